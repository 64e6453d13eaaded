/**
 * The access tier: {@link io.danmaku.gateway.GatewayServer} binds the WebSocket port, feeds the bus's stream
 * into the fan-out engine, reports online counts and drains on shutdown.
 */
package io.danmaku.gateway;
