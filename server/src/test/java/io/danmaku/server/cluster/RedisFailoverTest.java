package io.danmaku.server.cluster;

import static io.danmaku.server.cluster.ClusterEndToEndTest.offsets;
import static io.danmaku.server.cluster.ClusterEndToEndTest.texts;
import static io.danmaku.server.cluster.ClusterStack.room;
import static io.danmaku.server.cluster.ClusterStack.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.server.cluster.Stored.HistoryEntry;
import io.danmaku.store.redis.RedisKeys;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.kafka.KafkaExtension;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisCluster.Node;
import io.danmaku.testkit.redis.RedisClusterExtension;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Redis master that holds a room's history is killed while a client keeps posting to the room: the
 * replica is promoted, fan-out (over Kafka) goes on, a post that cannot be taken meanwhile is refused as
 * {@code unavailable} (108), storage pauses and resumes, and in the end the history holds every accepted
 * message exactly once. The killed node is restarted, so the JVM's shared cluster is healthy again afterwards.
 */
@ExtendWith({KafkaExtension.class, RedisClusterExtension.class})
class RedisFailoverTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int POSTS_PER_PHASE = 30;
    private static final int MAX_POSTS = 3000;
    private static final String FENCE = "fence";

    static ClusterStack stack;
    static RedisCluster redis;
    static int gateway;

    @BeforeAll
    static void start(KafkaBroker kafka, RedisCluster cluster, @TempDir Path dir) {
        redis = cluster;
        stack = new ClusterStack("redis-failover", kafka.bootstrapServers(), cluster);
        stack.startLogic();
        stack.startStorage(dir.resolve("archive"));
        gateway = stack.startGateway(1).gatewayPort();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void killingTheMasterOfARoomsHistoryLosesAndDoublesNothingAccepted() throws Exception {
        String room = room("failover");
        String key = RedisKeys.history(room);
        List<String> accepted = Collections.synchronizedList(new ArrayList<>());
        List<JsonNode> refused = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (CentrifugeTestClient poster = CentrifugeTestClient.connect(gateway, token("failover-poster"));
             CentrifugeTestClient viewer1 = CentrifugeTestClient.connect(gateway, null);
             CentrifugeTestClient viewer2 = CentrifugeTestClient.connect(gateway, token("failover-viewer"))) {
            List<CentrifugeTestClient> clients = List.of(poster, viewer1, viewer2);
            for (CentrifugeTestClient c : clients) {
                assertThat(c.subscribe(room).has("subscribe")).isTrue();
            }
            Future<?> posting = pool.submit(() -> {
                for (int i = 0; i < MAX_POSTS && !done.get(); i++) {
                    String text = "f" + i;
                    JsonNode reply = poster.publish(room, text);
                    if (reply.has("publish")) {
                        accepted.add(text);
                    } else {
                        refused.add(reply);
                    }
                    Thread.sleep(10);
                }
                return null;
            });

            await("history being written").atMost(WAIT).until(() -> accepted.size() >= POSTS_PER_PHASE
                    && Stored.redisHistory(redis, room).size() >= POSTS_PER_PHASE / 2);
            redis.awaitReplicasInSync();
            Node killed = redis.killMasterOf(key);
            try {
                int atKill = accepted.size();
                await("a replica promoted for " + key).atMost(WAIT)
                        .until(() -> redis.masterOf(key).port() != killed.port());
                int atFailover = accepted.size();
                await("posts after the failover").atMost(WAIT)
                        .until(() -> accepted.size() >= Math.max(atFailover, atKill) + POSTS_PER_PHASE);
                done.set(true);
                posting.get(1, TimeUnit.MINUTES);
                assertThat(accepted.size()).as("the loop ended by the test, not by its bound").isLessThan(MAX_POSTS);
                assertThat(refused).as("refused posts").allSatisfy(r -> {
                    assertThat(r.path("error").path("code").asInt()).as("%s", r).isEqualTo(108);
                    assertThat(r.path("error").path("temporary").asBoolean()).as("%s", r).isTrue();
                });
                JsonNode fence = poster.publish(room, FENCE);
                assertThat(fence.has("publish")).as("after the failover: %s", fence).isTrue();

                List<String> expected = new ArrayList<>(accepted);
                expected.add(FENCE);
                List<Long> order = null;
                for (CentrifugeTestClient c : clients) {
                    c.socket().await(n -> FENCE.equals(n.path("push").path("pub").path("data").path("text")
                            .asText()), WAIT);
                    List<JsonNode> pubs = c.publications(room);
                    assertThat(texts(pubs)).containsExactlyElementsOf(expected);
                    if (order == null) {
                        order = offsets(pubs);
                        assertThat(order).isSorted().doesNotHaveDuplicates();
                    } else {
                        assertThat(offsets(pubs)).isEqualTo(order);
                    }
                }

                List<Long> offsets = order;
                await("Redis history after the failover").atMost(WAIT)
                        .until(() -> Stored.redisHistory(redis, room).size() >= expected.size());
                List<HistoryEntry> history = Stored.redisHistory(redis, room);
                assertThat(history).extracting(HistoryEntry::text).containsExactlyElementsOf(expected);
                assertThat(history).extracting(HistoryEntry::offset).containsExactlyElementsOf(offsets);
            } finally {
                done.set(true);
                redis.restart(killed);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
