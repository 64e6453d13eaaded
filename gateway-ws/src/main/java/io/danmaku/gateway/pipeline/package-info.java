/**
 * The Netty pipeline of the gateway port: admission at accept (accept rate, connection caps), behind proxies the
 * client's address from a PROXY protocol header or a trusted proxy's forwarding header, HTTP codec and
 * aggregation with the handshake deadline, then a router that serves the demo page, the demo token endpoint and
 * the server API, and upgrades the protocol endpoints to WebSocket, installing the protocol's session handler.
 */
package io.danmaku.gateway.pipeline;
