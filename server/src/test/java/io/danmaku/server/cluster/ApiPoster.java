package io.danmaku.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A backend posting danmaku through logic's server API ({@code POST /api/publish} with the API key), as
 * Centrifugo's server API clients do; and a moderator banning a user ({@code POST /api/ban}) or cutting their
 * connections ({@code POST /api/disconnect}).
 */
final class ApiPoster {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);

    /** One answer: accepted with its position, or refused with its HTTP status and Centrifugo error code. */
    record Result(int status, int code, String message, long offset, String epoch) {
        boolean accepted() {
            return status == 200;
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final int port;

    ApiPoster(int port) {
        this.port = port;
    }

    Result publish(String room, String text) {
        ObjectNode body = Json.MAPPER.createObjectNode().put("channel", room);
        body.putObject("data").put("text", text);
        return call("publish", body);
    }

    /** Bans {@code user} from posting anywhere for {@code duration}. */
    Result ban(String user, Duration duration) {
        return call("ban", Json.MAPPER.createObjectNode().put("user", user).put("duration_ms", duration.toMillis()));
    }

    /** Closes every connection of {@code user} on every gateway. */
    Result disconnect(String user) {
        return call("disconnect", Json.MAPPER.createObjectNode().put("user", user));
    }

    /** Any method's whole answer: the HTTP status and the JSON body. */
    record Raw(int status, JsonNode body) {
    }

    /** {@code POST /api/<method>} with {@code json}; the whole answer. */
    Raw post(String method, String json) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/" + method))
                .timeout(REQUEST_TIMEOUT)
                .header("X-API-Key", ClusterStack.API_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            return new Raw(response.statusCode(), Json.MAPPER.readTree(response.body()));
        } catch (IOException e) {
            throw new UncheckedIOException("POST /api/" + method + " to 127.0.0.1:" + port, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private Result call(String method, ObjectNode body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/" + method))
                .timeout(REQUEST_TIMEOUT)
                .header("X-API-Key", ClusterStack.API_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode json = Json.MAPPER.readTree(response.body());
            if (response.statusCode() == 200) {
                JsonNode result = json.path("result");
                return new Result(200, 0, "", result.path("offset").asLong(-1), result.path("epoch").asText());
            }
            JsonNode error = json.path("error");
            return new Result(response.statusCode(), error.path("code").asInt(), error.path("message").asText(), -1,
                    "");
        } catch (IOException e) {
            throw new UncheckedIOException("POST /api/" + method + " to 127.0.0.1:" + port, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
