/**
 * What every connection shares: the gateway's collaborators ({@link io.danmaku.gateway.session.GatewayContext}),
 * the per-connection meters, the base of every protocol's session ({@link io.danmaku.gateway.session.WebSocketSession}:
 * lifecycle, control frames, fragment reassembly, closing) and the per-loop ping wheel that ticks idle sessions
 * without a timer each. Protocol handlers in {@code io.danmaku.gateway.protocol.*} are the sessions.
 */
package io.danmaku.gateway.session;
