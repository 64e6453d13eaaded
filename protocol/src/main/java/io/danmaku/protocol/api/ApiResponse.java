package io.danmaku.protocol.api;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;

/** An HTTP response: status, content type and body. */
public record ApiResponse(int status, String contentType, byte[] body) {
    public ApiResponse {
        requireNonNull(contentType, "contentType");
        requireNonNull(body, "body");
    }

    public static ApiResponse json(int status, String json) {
        return new ApiResponse(status, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }
}
