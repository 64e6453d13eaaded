package io.danmaku.protocol.api;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * An HTTP response: status, content type, body, and extra headers ({@code ETag}, {@code Cache-Control}, …) the
 * transport sets as given; without a {@code Cache-Control} among them the transport answers {@code no-cache}.
 */
public record ApiResponse(int status, String contentType, byte[] body, Map<String, String> headers) {
    public ApiResponse {
        requireNonNull(contentType, "contentType");
        requireNonNull(body, "body");
        headers = Map.copyOf(headers);
    }

    /** A response without extra headers. */
    public ApiResponse(int status, String contentType, byte[] body) {
        this(status, contentType, body, Map.of());
    }

    /** This response with {@code headers} (names as they go on the wire) instead of its extra headers. */
    public ApiResponse withHeaders(Map<String, String> headers) {
        return new ApiResponse(status, contentType, body, headers);
    }

    public static ApiResponse json(int status, String json) {
        return new ApiResponse(status, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    public static ApiResponse json(int status, JsonNode body) {
        try {
            return new ApiResponse(status, "application/json", Json.MAPPER.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a response", e);
        }
    }

    /** The Centrifugo-style error body every API of the project answers with: {@code {"error":{"code","message"}}}. */
    public static ApiResponse error(int status, int code, String message) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("code", code);
        error.put("message", message);
        return json(status, root);
    }
}
