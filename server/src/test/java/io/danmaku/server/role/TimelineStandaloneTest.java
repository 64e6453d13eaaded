package io.danmaku.server.role;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.json.Json;
import io.danmaku.server.cli.RoleRunner;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.ConfigLoader;
import io.danmaku.server.config.DanmakuKeys;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The timeline through a running standalone server: a backend sets the stream start with the server API,
 * messages published after it come back from {@code /api/rooms/{room}/timeline} in the segment of their position,
 * with the ETag and Cache-Control the gateway's HTTP transport must carry, and 304 for a matching If-None-Match.
 */
class TimelineStandaloneTest {
    private static final String API_KEY = "timeline-test-key";
    private static final HttpClient http = HttpClient.newHttpClient();
    private static StandaloneRole role;
    private static RoleRunner runner;

    @BeforeAll
    static void start() {
        Config config = new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(), List.of(
                "gateway.host=127.0.0.1", "gateway.port=0", "admin.host=127.0.0.1", "admin.port=0",
                "api.key=" + API_KEY, "gateway.drain.window=0s"));
        role = new StandaloneRole();
        runner = new RoleRunner(config, role);
        runner.start();
    }

    @AfterAll
    static void stop() {
        runner.close();
    }

    private static HttpResponse<String> send(String method, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + role.gatewayPort() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode api(String method, String body) throws Exception {
        HttpResponse<String> r = send("POST", "/api/" + method, body, "X-API-Key", API_KEY);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.MAPPER.readTree(r.body());
    }

    private static JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<String> texts(JsonNode answer) {
        List<String> out = new ArrayList<>();
        answer.get("messages").forEach(m -> out.add(m.path("text").asText()));
        return out;
    }

    @Test
    void messagesPublishedAfterTheStreamStartComeBackInTheirSegmentCacheable() throws Exception {
        // the stream started 7 min 10 s ago: what is published now lies in segment 1 (positions 360000..719999),
        // and segment 0 ended 70 s ago, more than the minute after which a segment is closed
        long start = System.currentTimeMillis() - Duration.ofSeconds(430).toMillis();
        assertThat(api("stream_start", "{\"channel\":\"show\",\"start_ms\":" + start + "}").path("result")
                .path("start_ms").asLong()).isEqualTo(start);
        api("publish", "{\"channel\":\"show\",\"data\":{\"text\":\"first\"}}");
        api("publish", "{\"channel\":\"show\",\"data\":{\"text\":\"second\"}}");

        String path = "/api/rooms/show/timeline?from_ms=360000";
        HttpResponse<String> answer = await().atMost(Duration.ofSeconds(30)).until(() -> send("GET", path, null),
                r -> r.statusCode() == 200 && texts(parse(r.body())).size() == 2);
        JsonNode body = Json.MAPPER.readTree(answer.body());
        assertThat(texts(body)).containsExactly("first", "second");
        for (JsonNode m : body.get("messages")) {
            assertThat(m.get("position_ms").asLong()).isBetween(430_000L, 719_999L);
            // the position is the time on the bus minus the start, within milliseconds of the stamped time's
            assertThat(m.get("position_ms").asLong()).isCloseTo(m.get("time").asLong() - start,
                    org.assertj.core.api.Assertions.within(1_000L));
        }
        assertThat(body.get("stream_start").asLong()).isEqualTo(start);
        assertThat(body.get("closed").asBoolean()).isFalse();
        assertThat(answer.headers().firstValue("cache-control")).hasValue("public, max-age=5");
        String etag = answer.headers().firstValue("etag").orElseThrow();

        HttpResponse<String> notModified = send("GET", path, null, "If-None-Match", etag);
        assertThat(notModified.statusCode()).isEqualTo(304);
        assertThat(notModified.body()).isEmpty();
        assertThat(notModified.headers().firstValue("etag")).hasValue(etag);

        HttpResponse<String> first = send("GET", "/api/rooms/show/timeline?from_ms=0", null);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(texts(Json.MAPPER.readTree(first.body()))).isEmpty();
        assertThat(first.headers().firstValue("cache-control")).as("segment 0 ended over a minute ago")
                .hasValue("public, max-age=86400");

        HttpResponse<String> bad = send("GET", "/api/rooms/show/timeline?from_ms=0&to_ms=400000", null);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(bad.body()).path("error").path("message").asText()).startsWith("to_ms: 400000");
        assertThat(bad.headers().firstValue("cache-control")).hasValue("no-cache");
    }
}
