package io.danmaku.protocol.api;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * An HTTP request handed to an {@link HttpApi}: method, path (without the query), query parameters (first
 * value of each), headers with lower-case names, and the body (copied out of the transport's buffers).
 */
public record ApiRequest(String method, String path, Map<String, String> query, Map<String, String> headers,
                         byte[] body) {
    public ApiRequest {
        requireNonNull(method, "method");
        requireNonNull(path, "path");
        query = Map.copyOf(query);
        headers = Map.copyOf(headers);
        requireNonNull(body, "body");
    }

    public String header(String lowerCaseName) {
        return headers.get(lowerCaseName);
    }
}
