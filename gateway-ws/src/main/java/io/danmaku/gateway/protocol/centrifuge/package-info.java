/**
 * Centrifugo's client protocol v2 in its JSON form, on {@code /connection/websocket}, so the unmodified
 * {@code centrifuge} SDKs work: connect, subscribe (with recovery by offset and epoch), unsubscribe, publish
 * (a danmaku post), history, presence_stats, server pings answered by empty-object pongs, and publication
 * pushes — several replies or pushes per frame, newline-separated.
 */
package io.danmaku.gateway.protocol.centrifuge;
