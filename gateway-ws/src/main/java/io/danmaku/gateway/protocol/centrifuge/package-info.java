/**
 * Centrifugo's client protocol v2 on {@code /connection/websocket}, so the unmodified {@code centrifuge} SDKs work:
 * connect, subscribe (with recovery by offset and epoch), unsubscribe, publish (a danmaku post), history, presence,
 * presence_stats, refresh, sub_refresh, pings and pongs, and publication pushes. One command model
 * ({@link io.danmaku.gateway.protocol.centrifuge.CentrifugeCommand}, {@link
 * io.danmaku.gateway.protocol.centrifuge.CentrifugeReply}), one command handler ({@link
 * io.danmaku.gateway.protocol.centrifuge.CentrifugeHandler}), and a codec per wire format: JSON (text frames,
 * newline-separated objects) and Protobuf (subprotocol {@code centrifuge-protobuf}, binary frames of
 * varint-delimited messages of {@code client.proto}, generated into the {@code pb} subpackage at build time).
 */
package io.danmaku.gateway.protocol.centrifuge;
