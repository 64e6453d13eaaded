/**
 * The Netty pipeline of the gateway port: HTTP codec and aggregation, then a router that serves the demo page,
 * the demo token endpoint and the server API, and upgrades the protocol endpoints to WebSocket, installing the
 * protocol's session handler.
 */
package io.danmaku.gateway.pipeline;
