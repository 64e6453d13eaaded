package io.danmaku.server.cluster;

import static io.danmaku.server.cluster.ClusterEndToEndTest.texts;
import static io.danmaku.server.cluster.ClusterStack.room;
import static io.danmaku.server.cluster.ClusterStack.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A moderator deletes messages after they were sent, through the server API, on the real Kafka broker and Redis
 * Cluster: connected clients on both gateways get the retraction pushed in the room's stream; the messages are gone
 * from the Redis history, from the history API (also when only the archive answers, by its tombstone) and from
 * recovery after a reconnect, whether the gateway's ring or the Redis history serves it, and the recovery is still
 * complete. {@code delete_user_messages} takes only that user's messages of that room.
 */
@ExtendWith({KafkaExtension.class, RedisClusterExtension.class})
class RetractionClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static ClusterStack stack;
    static RedisCluster redis;
    static Path archiveDir;
    static ApiPoster api;
    static int storageHttp;
    static int gateway1;
    static int gateway2;

    @BeforeAll
    static void start(KafkaBroker kafka, RedisCluster cluster, @TempDir Path dir) {
        redis = cluster;
        archiveDir = dir.resolve("archive");
        stack = new ClusterStack("retract", kafka.bootstrapServers(), cluster);
        api = new ApiPoster(stack.startLogic().httpPort());
        storageHttp = stack.startStorage(archiveDir).httpPort();
        gateway1 = stack.startGateway(1).gatewayPort();
        gateway2 = stack.startGateway(2).gatewayPort();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aDeletedMessageLeavesScreensHistoryRecoveryAndTheArchive() {
        String room = room("retract");
        try (CentrifugeTestClient poster = CentrifugeTestClient.connect(gateway1, token("spammer"));
             CentrifugeTestClient viewer1 = CentrifugeTestClient.connect(gateway1, null);
             CentrifugeTestClient viewer2 = CentrifugeTestClient.connect(gateway2, null)) {
            String epoch = viewer1.subscribe(room).path("subscribe").path("epoch").asText();
            assertThat(viewer2.subscribe(room).has("subscribe")).isTrue();
            for (String text : List.of("keep 1", "spam", "keep 2")) {
                assertThat(poster.publish(room, text).has("publish")).as(text).isTrue();
            }
            List<JsonNode> seen = viewer2.awaitPublications(room, 3, WAIT);
            assertThat(texts(seen)).containsExactly("keep 1", "spam", "keep 2");
            String spamId = seen.get(1).path("data").path("id").asText();
            String keep2Id = seen.get(2).path("data").path("id").asText();
            long keep1Offset = seen.get(0).path("offset").asLong();
            await("storage wrote the three").atMost(WAIT).until(() -> Stored.redisHistory(redis, room).size() == 3);

            ApiPoster.Raw deleted = api.post("delete", "{\"channel\":\"" + room + "\",\"id\":\"" + spamId + "\"}");
            assertThat(deleted.status()).as("%s", deleted.body()).isEqualTo(200);
            long deleteOffset = deleted.body().path("result").path("offset").asLong();
            assertThat(deleteOffset).isGreaterThan(seen.get(2).path("offset").asLong());

            // the push, on both gateways, in the room's order: after the message it deletes
            for (CentrifugeTestClient viewer : List.of(viewer1, viewer2)) {
                List<JsonNode> pubs = viewer.awaitPublications(room, 4, WAIT);
                JsonNode retraction = pubs.get(3);
                assertThat(retraction.path("offset").asLong()).isEqualTo(deleteOffset);
                assertThat(retraction.path("data").path("cmd").asText()).isEqualTo("DELETE");
                assertThat(retraction.path("data").path("ids").toString()).isEqualTo("[\"" + spamId + "\"]");
            }

            // the hot history: the message gone, the retraction kept for recovering clients
            await("storage applied the retraction").atMost(WAIT)
                    .until(() -> Stored.redisHistory(redis, room).stream().noneMatch(e -> "spam".equals(e.text())));
            assertThat(Stored.redisHistory(redis, room)).extracting(Stored.HistoryEntry::offset)
                    .containsExactly(keep1Offset, seen.get(2).path("offset").asLong(), deleteOffset);

            // the archive: marked by a tombstone
            await("the archive has a tombstone").atMost(WAIT).until(() -> tombstones(room).contains(spamId));
            assertThat(historyTexts(room)).containsExactly("keep 1", "keep 2");

            // recovery after a reconnect: from the ring of gateway 1, then from Redis on a gateway without one
            assertRecovers(gateway1, room, keep1Offset, epoch, keep2Id, spamId);
            int gateway3 = stack.startGateway(3).gatewayPort();
            assertRecovers(gateway3, room, keep1Offset, epoch, keep2Id, spamId);

            // the archive alone (hot history removed): the tombstone keeps the message out
            assertThat(api.post("history_remove", "{\"channel\":\"" + room + "\"}").status()).isEqualTo(200);
            assertThat(historyTexts(room)).containsExactly("keep 1", "keep 2");
        }
    }

    @Test
    void deleteUserMessagesTakesOnlyThatUsersMessagesOfThatRoom() {
        String room = room("by-user");
        String other = room("by-user-other");
        try (CentrifugeTestClient spammer = CentrifugeTestClient.connect(gateway1, token("spammer-2"));
             CentrifugeTestClient fine = CentrifugeTestClient.connect(gateway2, token("fine-2"));
             CentrifugeTestClient viewer = CentrifugeTestClient.connect(gateway2, null)) {
            viewer.subscribe(room);
            assertThat(spammer.publish(room, "spam 1").has("publish")).isTrue();
            assertThat(fine.publish(room, "hello").has("publish")).isTrue();
            assertThat(spammer.publish(room, "spam 2").has("publish")).isTrue();
            assertThat(spammer.publish(other, "elsewhere").has("publish")).isTrue();
            List<JsonNode> seen = viewer.awaitPublications(room, 3, WAIT);
            await("storage wrote them").atMost(WAIT).until(() -> Stored.redisHistory(redis, room).size() == 3
                    && Stored.redisHistory(redis, other).size() == 1);

            ApiPoster.Raw r = api.post("delete_user_messages",
                    "{\"channel\":\"" + room + "\",\"user\":\"spammer-2\",\"minutes\":10}");
            assertThat(r.status()).as("%s", r.body()).isEqualTo(200);
            List<String> ids = new ArrayList<>();
            r.body().path("result").path("ids").forEach(n -> ids.add(n.asText()));
            assertThat(ids).containsExactlyInAnyOrder(seen.get(0).path("data").path("id").asText(),
                    seen.get(2).path("data").path("id").asText());

            JsonNode retraction = viewer.awaitPublications(room, 4, WAIT).get(3).path("data");
            assertThat(retraction.path("cmd").asText()).isEqualTo("DELETE");
            assertThat(retraction.path("ids")).hasSize(2);
            await("storage applied it").atMost(WAIT).until(() -> historyTexts(room).equals(List.of("hello")));
            assertThat(historyTexts(other)).as("another room keeps the user's messages").containsExactly("elsewhere");
        }
    }

    /** A client reconnecting with the position of "keep 1": it gets "keep 2" and the retraction, not the spam. */
    private static void assertRecovers(int gateway, String room, long offset, String epoch, String keep2Id,
                                       String spamId) {
        try (CentrifugeTestClient back = CentrifugeTestClient.connect(gateway, null)) {
            JsonNode sub = back.subscribeRecover(room, offset, epoch).path("subscribe");
            assertThat(sub.path("recovered").asBoolean()).as("complete, nothing missing: %s", sub).isTrue();
            List<String> ids = new ArrayList<>();
            List<String> cmds = new ArrayList<>();
            sub.path("publications").forEach(p -> {
                ids.add(p.path("data").path("id").asText());
                cmds.add(p.path("data").path("cmd").asText(""));
            });
            assertThat(ids).as("gateway %d", gateway).doesNotContain(spamId).startsWith(keep2Id).hasSize(2);
            assertThat(cmds).containsExactly("", "DELETE");
        }
    }

    /** The texts the history API serves for the room (messages only: retractions are not history). */
    private static List<String> historyTexts(String room) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + storageHttp + "/api/rooms/"
                        + room + "/history?limit=1000"))
                .timeout(Duration.ofSeconds(20)).build();
        try {
            HttpResponse<String> res = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
            List<String> out = new ArrayList<>();
            Json.MAPPER.readTree(res.body()).path("messages").forEach(m -> out.add(m.path("text").asText("<none>")));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** What the archive's tombstones of the room hold, as text. */
    private static String tombstones(String room) {
        Path dir = archiveDir.resolve("@tombstones").resolve(room);
        if (!Files.isDirectory(dir)) {
            return "";
        }
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                all.append(Files.readString(p, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            return "";
        }
        return all.toString();
    }
}
