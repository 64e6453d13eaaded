/**
 * A minimal WebSocket client for load generation: the HTTP upgrade and RFC 6455 framing on a raw Netty
 * channel, with payload handed to the protocol session in place as it is read (no frame objects, no
 * aggregation, no copy), so one process can hold and read tens of thousands of connections on the cores it
 * shares with the server under test.
 */
package io.danmaku.bench.ws;
