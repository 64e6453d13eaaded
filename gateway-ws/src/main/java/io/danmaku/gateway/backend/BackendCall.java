package io.danmaku.gateway.backend;

/**
 * Who makes a backend call: the fields of Centrifugo's proxy requests that name the connection.
 *
 * @param client the connection's client id
 * @param transport {@code websocket}, {@code uni_sse}, …
 * @param protocol {@code json} or {@code protobuf}
 * @param user the user id, {@code ""} when anonymous
 */
public record BackendCall(String client, String transport, String protocol, String user) {
}
