package io.danmaku.gateway.backend;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * A connect to authenticate through the connect proxy: the fields of Centrifugo's {@code ConnectRequest}.
 *
 * @param client the client id the connection will have
 * @param transport {@code websocket}, {@code uni_sse}, {@code uni_http_stream}
 * @param protocol {@code json} or {@code protobuf}
 * @param name the client's name from its connect command, {@code ""} when none
 * @param version the client's version from its connect command, {@code ""} when none
 * @param data the connect command's {@code data} (JSON), or null
 * @param headers the client request's headers named by {@code gateway.backend.connect-headers} (lower-case names)
 */
public record ConnectCall(String client, String transport, String protocol, String name, String version,
                          JsonNode data, Map<String, String> headers) {
    public ConnectCall {
        name = name == null ? "" : name;
        version = version == null ? "" : version;
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }
}
