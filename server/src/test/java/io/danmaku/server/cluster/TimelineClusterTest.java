package io.danmaku.server.cluster;

import static io.danmaku.server.cluster.ClusterStack.room;
import static io.danmaku.server.cluster.ClusterStack.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.json.Json;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.kafka.KafkaExtension;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recording's timeline on the real Kafka broker and Redis Cluster, without waiting for minutes to pass: the
 * stream start is set in the past ({@code POST /api/stream_start} with {@code start_ms}), so a post made now is
 * minutes into the stream, and moving the start moves it; posts that carry a {@code progress} (a video that is not
 * live) are placed at 10 s, 70 s and 400 s whatever their time. Each comes back in its 6-minute segment, in order.
 */
@ExtendWith({KafkaExtension.class, RedisClusterExtension.class})
class TimelineClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static ClusterStack stack;
    static ApiPoster api;
    static int storageHttp;
    static int gateway;

    @BeforeAll
    static void start(KafkaBroker kafka, RedisCluster cluster, @TempDir Path dir) {
        stack = new ClusterStack("timeline", kafka.bootstrapServers(), cluster);
        api = new ApiPoster(stack.startLogic().httpPort());
        storageHttp = stack.startStorage(dir.resolve("archive")).httpPort();
        gateway = stack.startGateway(1).gatewayPort();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void postsComeBackInTheirSegmentsInOrderByTimeIntoTheStreamOrByProgress() {
        String room = room("timeline");
        try (CentrifugeTestClient poster = CentrifugeTestClient.connect(gateway, token("viewer-t"))) {
            // a live post, then its stream start 200 s before it: it is 200 s into the stream
            assertThat(poster.publish(room, "live").has("publish")).isTrue();
            await("stored").atMost(WAIT).until(() -> historyTimes(room).size() == 1);
            long liveTime = historyTimes(room).get(0);
            setStreamStart(room, liveTime - 200_000);

            // posts on the video, sent in another order than their progress
            for (long progress : new long[] {400_000, 10_000, 70_000}) {
                ObjectNode data = Json.MAPPER.createObjectNode().put("text", "at " + progress / 1000 + " s")
                        .put("progress", progress);
                JsonNode reply = poster.command("publish", Json.MAPPER.createObjectNode().put("channel", room)
                        .set("data", data));
                assertThat(reply.has("publish")).as("%s", reply).isTrue();
            }
            JsonNode bad = poster.command("publish", (ObjectNode) Json.MAPPER.createObjectNode().put("channel", room)
                    .set("data", Json.MAPPER.createObjectNode().put("text", "x").put("progress", -1)));
            assertThat(bad.path("error").path("code").asInt()).isEqualTo(107);
            assertThat(bad.path("error").path("message").asText()).startsWith("bad_request: progress: -1 (expected");
            assertThat(api.post("publish", "{\"channel\":\"" + room + "\",\"data\":{\"text\":\"from the backend\","
                    + "\"progress\":70001}}").status()).isEqualTo(200);
            await("stored").atMost(WAIT).until(() -> historyTimes(room).size() == 5);

            JsonNode first = timeline(room, 0);
            assertThat(texts(first)).containsExactly("at 10 s", "at 70 s", "from the backend", "live");
            assertThat(positions(first).subList(0, 3)).containsExactly(10_000L, 70_000L, 70_001L);
            // a live post's position is its time on the bus minus the start: within a second of its stamp
            assertThat(positions(first).get(3)).isBetween(199_000L, 201_000L);
            assertThat(first.path("stream_start").asLong()).isEqualTo(liveTime - 200_000);
            JsonNode second = timeline(room, 360_000);
            assertThat(texts(second)).containsExactly("at 400 s");
            assertThat(positions(second)).containsExactly(400_000L);

            // 450 s into the stream: the live post moves to the second segment, the video's posts stay
            setStreamStart(room, liveTime - 450_000);
            assertThat(texts(timeline(room, 0))).containsExactly("at 10 s", "at 70 s", "from the backend");
            JsonNode moved = timeline(room, 360_000);
            assertThat(texts(moved)).containsExactly("at 400 s", "live");
            assertThat(positions(moved).get(1)).isBetween(449_000L, 451_000L);
            // 30 s into it: between the video's posts at 10 s and 70 s
            setStreamStart(room, liveTime - 30_000);
            assertThat(texts(timeline(room, 0))).containsExactly("at 10 s", "live", "at 70 s", "from the backend");
            assertThat(texts(timeline(room, 360_000))).containsExactly("at 400 s");
        }
    }

    private static void setStreamStart(String room, long startMs) {
        ApiPoster.Raw r = api.post("stream_start", "{\"channel\":\"" + room + "\",\"start_ms\":" + startMs + "}");
        assertThat(r.status()).as("%s", r.body()).isEqualTo(200);
    }

    private static List<String> texts(JsonNode answer) {
        List<String> out = new ArrayList<>();
        answer.path("messages").forEach(m -> out.add(m.path("text").asText()));
        return out;
    }

    private static List<Long> positions(JsonNode answer) {
        List<Long> out = new ArrayList<>();
        answer.path("messages").forEach(m -> out.add(m.path("position_ms").asLong()));
        return out;
    }

    private static JsonNode timeline(String room, long fromMs) {
        return get("/api/rooms/" + room + "/timeline?from_ms=" + fromMs);
    }

    /** The record times the history API serves for the room, in order. */
    private static List<Long> historyTimes(String room) {
        JsonNode answer = get("/api/rooms/" + room + "/history?limit=1000");
        List<Long> out = new ArrayList<>();
        answer.path("messages").forEach(m -> out.add(m.path("time").asLong()));
        return out;
    }

    private static JsonNode get(String path) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + storageHttp + path))
                .timeout(Duration.ofSeconds(20)).build();
        try {
            HttpResponse<String> res = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
            return Json.MAPPER.readTree(res.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
