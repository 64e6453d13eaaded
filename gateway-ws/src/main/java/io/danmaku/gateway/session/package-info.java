/**
 * What every connection shares: the gateway's collaborators ({@link io.danmaku.gateway.session.GatewayContext})
 * and the per-connection meters. Protocol handlers in {@code io.danmaku.gateway.protocol.*} are the sessions.
 */
package io.danmaku.gateway.session;
