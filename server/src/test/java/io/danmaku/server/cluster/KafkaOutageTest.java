package io.danmaku.server.cluster;

import static io.danmaku.server.cluster.ClusterEndToEndTest.texts;
import static io.danmaku.server.cluster.ClusterStack.room;
import static io.danmaku.server.cluster.ClusterStack.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.json.Json;
import io.danmaku.server.cluster.PipelinedPosts.Sent;
import io.danmaku.server.cluster.Stored.HistoryEntry;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka goes away under a running gateway, two logic instances and storage (a broker of this class's own, so the
 * JVM's shared one keeps serving the other classes), while users post without waiting for their answers: every
 * post is answered once, accepted or refused {@code unavailable} (108, temporary) by logic itself, before the
 * gateway's deadline, instead of hanging; connections stay open and keep answering; once the broker is back
 * posting works again by itself, and no accepted post is lost: subscribers receive each once, and storage's
 * history holds each once.
 */
@ExtendWith(RedisClusterExtension.class)
class KafkaOutageTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static final int BURST_USERS = 8;
    private static final int BURST_POSTS = 10;

    static KafkaBroker broker;
    static ClusterStack stack;
    static RedisCluster redis;
    static int gateway;
    static int logicHttp;

    @BeforeAll
    static void start(RedisCluster cluster, @TempDir Path dir) {
        redis = cluster;
        broker = KafkaBroker.launch();
        stack = new ClusterStack("kafka-outage", broker.bootstrapServers(), cluster, 2,
                "logic.publish.timeout=2s", "gateway.logic.deadline=4s");
        logicHttp = stack.startLogic(1).httpPort();
        stack.startLogic(2);
        stack.startStorage(dir.resolve("archive"));
        gateway = stack.startGateway(1).gatewayPort();
    }

    @AfterAll
    static void stop() {
        try {
            if (stack != null) {
                stack.close();
            }
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
    }

    @Test
    void whileKafkaIsDownPostsAreRefusedUnavailableConnectionsStayAndServiceResumesByItself() {
        String room = room("outage");
        ApiPoster api = new ApiPoster(logicHttp);
        List<CentrifugeTestClient> burstClients = new ArrayList<>();
        try (CentrifugeTestClient poster = CentrifugeTestClient.connect(gateway, token("outage-poster"));
             CentrifugeTestClient viewer = CentrifugeTestClient.connect(gateway, null)) {
            assertThat(poster.subscribe(room).has("subscribe")).isTrue();
            assertThat(viewer.subscribe(room).has("subscribe")).isTrue();
            List<String> accepted = new ArrayList<>();
            List<String> refused = new ArrayList<>();
            assertThat(poster.publish(room, "before").has("publish")).isTrue();
            accepted.add("before");
            assertThat(texts(viewer.awaitPublications(room, 1))).containsExactly("before");

            // users of both logic instances have posts in flight as the broker stops, and post on while it is down
            List<PipelinedPosts> burst = new ArrayList<>();
            // half of them owned by each logic instance (which one owns a user depends on the instances' ports)
            List<String> burstUsers = new ArrayList<>();
            for (int u = 0; burstUsers.size() < BURST_USERS && u < 10_000; u++) {
                String user = "outage-user-" + u;
                long sameOwner = burstUsers.stream().filter(b -> stack.logicFor(b) == stack.logicFor(user)).count();
                if (sameOwner < BURST_USERS / 2) {
                    burstUsers.add(user);
                }
            }
            for (int u = 0; u < BURST_USERS; u++) {
                CentrifugeTestClient c = CentrifugeTestClient.connect(gateway, token(burstUsers.get(u)));
                burstClients.add(c);
                burst.add(new PipelinedPosts(c));
            }
            assertThat(burstUsers.stream().map(stack::logicFor).distinct())
                    .as("logic instances of the users").hasSize(2);
            for (int i = 0; i < BURST_POSTS; i++) {
                for (int u = 0; u < BURST_USERS; u++) {
                    burst.get(u).send(room, "burst u" + u + " #" + i);
                }
            }
            broker.stop();
            for (int i = BURST_POSTS; i < 2 * BURST_POSTS; i++) {
                for (int u = 0; u < BURST_USERS; u++) {
                    burst.get(u).send(room, "burst u" + u + " #" + i);
                }
            }
            for (PipelinedPosts p : burst) {
                for (Sent s : p.awaitAnswers(WAIT)) {
                    if (s.accepted()) {
                        accepted.add(s.text());
                        continue;
                    }
                    // refused by logic when the bus did not acknowledge, not by the gateway's deadline
                    assertThat(s.errorCode()).as("%s", s.reply()).isEqualTo(108);
                    assertThat(s.reply().path("error").path("message").asText()).as("%s", s.reply())
                            .startsWith("unavailable: message bus");
                    refused.add(s.text());
                }
            }
            for (int i = 0; i < 2; i++) {
                String text = "during " + i;
                JsonNode reply = poster.publish(room, text); // bounded: the client waits 10 s for the reply
                assertThat(reply.path("error").path("code").asInt()).as("%s", reply).isEqualTo(108);
                assertThat(reply.path("error").path("message").asText()).as("%s", reply)
                        .startsWith("unavailable: message bus");
                assertThat(reply.path("error").path("temporary").asBoolean()).as("%s", reply).isTrue();
                refused.add(text);
            }
            ApiPoster.Result byApi = api.publish(room, "during api");
            assertThat(byApi.status()).as("%s", byApi).isEqualTo(503);
            assertThat(byApi.code()).as("%s", byApi).isEqualTo(108);
            refused.add("during api");

            assertThat(poster.socket().isClosed()).isFalse();
            assertThat(viewer.socket().isClosed()).isFalse();
            await("presence_stats while Kafka is down").atMost(WAIT).until(() -> viewer.command("presence_stats",
                    Json.MAPPER.createObjectNode().put("channel", room)).path("presence_stats")
                    .path("num_clients").asLong() == 2);
            JsonNode history = viewer.command("history", Json.MAPPER.createObjectNode().put("channel", room)
                    .put("limit", 10));
            assertThat(history.has("history")).as("%s", history).isTrue();

            broker.start();
            AtomicInteger attempt = new AtomicInteger();
            await("a post accepted once Kafka is back").atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
                String text = "after " + attempt.getAndIncrement();
                JsonNode reply = poster.publish(room, text);
                if (reply.has("publish")) {
                    accepted.add(text);
                    return true;
                }
                assertThat(reply.path("error").path("code").asInt()).as("%s", reply).isEqualTo(108);
                refused.add(text);
                return false;
            });
            for (int i = 0; i < 5; i++) {
                JsonNode reply = poster.publish(room, "resumed " + i);
                assertThat(reply.has("publish")).as("%s", reply).isTrue();
                accepted.add("resumed " + i);
            }
            assertThat(api.publish(room, "resumed api").accepted()).isTrue();
            accepted.add("resumed api");

            for (CentrifugeTestClient c : List.of(viewer, poster)) {
                c.socket().await(n -> "resumed api".equals(n.path("push").path("pub").path("data").path("text")
                        .asText()), WAIT);
                List<String> received = texts(c.publications(room));
                // a refused post may still have reached Kafka (its acknowledgement was what timed out)
                assertThat(received).doesNotHaveDuplicates().containsAll(accepted)
                        .allSatisfy(t -> assertThat(accepted.contains(t) || refused.contains(t)).as(t).isTrue());
                // one user's posts acknowledged one after the other keep their order
                assertThat(received).filteredOn(accepted::contains).filteredOn(t -> !t.startsWith("burst"))
                        .containsExactlyElementsOf(accepted.stream().filter(t -> !t.startsWith("burst")).toList());
            }
            assertThat(viewer.socket().isClosed()).isFalse();

            List<String> delivered = texts(viewer.publications(room));
            await("Redis history of " + room).atMost(WAIT)
                    .until(() -> Stored.redisHistory(redis, room).size() >= delivered.size());
            assertThat(Stored.redisHistory(redis, room)).extracting(HistoryEntry::text)
                    .containsExactlyElementsOf(delivered);
        } finally {
            burstClients.forEach(CentrifugeTestClient::close);
        }
    }
}
