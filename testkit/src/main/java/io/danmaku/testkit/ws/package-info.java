/**
 * A real WebSocket client for tests (the JDK's {@code java.net.http.WebSocket} over loopback) that records
 * every JSON line and the close code, a Centrifugo-protocol client on top of it, and HS256 token minting.
 */
package io.danmaku.testkit.ws;
