package io.danmaku.server.cluster;

import static io.danmaku.server.cluster.ClusterEndToEndTest.offsets;
import static io.danmaku.server.cluster.ClusterEndToEndTest.texts;
import static io.danmaku.server.cluster.ClusterStack.room;
import static io.danmaku.server.cluster.ClusterStack.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.server.cluster.PipelinedPosts.Sent;
import io.danmaku.server.cluster.Stored.HistoryEntry;
import io.danmaku.server.role.GatewayRole;
import io.danmaku.server.role.LogicRole;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.kafka.KafkaExtension;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batched write path under load on the real Kafka broker and Redis Cluster: two gateways, two logic
 * instances, one storage. Many users on both gateways post thousands of danmaku into several rooms at once, each
 * connection sending without waiting for its answers, so every gateway loop coalesces posts of many connections
 * and every batch is split between the two logic instances by user. Every post is answered once and accepted;
 * a subscriber on each gateway receives every accepted post exactly once, in one order per room (the same on
 * both gateways, offsets increasing); storage's Redis history holds that same sequence.
 */
@ExtendWith({KafkaExtension.class, RedisClusterExtension.class})
class BatchedWritePathTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int ROOMS = 4;
    private static final int USERS_PER_GATEWAY = 12;
    private static final int POSTS_PER_USER = 120;
    private static final String FENCE = "fence";

    static ClusterStack stack;
    static RedisCluster redis;
    static LogicRole logic1;
    static LogicRole logic2;
    static GatewayRole gateway1;
    static GatewayRole gateway2;

    @BeforeAll
    static void start(KafkaBroker kafka, RedisCluster cluster, @TempDir Path dir) {
        redis = cluster;
        stack = new ClusterStack("batched", kafka.bootstrapServers(), cluster, 2);
        logic1 = stack.startLogic(1);
        logic2 = stack.startLogic(2);
        stack.startStorage(dir.resolve("archive"));
        gateway1 = stack.startGateway(1);
        gateway2 = stack.startGateway(2);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void thousandsOfPostsThroughTwoGatewaysAndTwoLogicInstancesAreDeliveredOnceInOneOrderAndStored()
            throws Exception {
        List<String> rooms = new ArrayList<>();
        for (int r = 0; r < ROOMS; r++) {
            rooms.add(room("batched-" + r));
        }
        List<CentrifugeTestClient> clients = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<CentrifugeTestClient> subscribers = List.of(
                    connect(clients, gateway1.gatewayPort(), null), connect(clients, gateway2.gatewayPort(), null));
            for (CentrifugeTestClient s : subscribers) {
                for (String room : rooms) {
                    assertThat(s.subscribe(room).has("subscribe")).isTrue();
                }
            }
            List<PipelinedPosts> posters = new ArrayList<>();
            Set<Integer> owners = new HashSet<>();
            for (int u = 0; u < 2 * USERS_PER_GATEWAY; u++) {
                String user = "batched-user-" + u;
                owners.add(stack.logicFor(user));
                GatewayRole gateway = u % 2 == 0 ? gateway1 : gateway2;
                posters.add(new PipelinedPosts(connect(clients, gateway.gatewayPort(), token(user))));
            }
            assertThat(owners).as("logic instances owning the users").containsExactlyInAnyOrder(1, 2);

            List<Future<?>> sending = new ArrayList<>();
            for (int u = 0; u < posters.size(); u++) {
                PipelinedPosts poster = posters.get(u);
                int user = u;
                sending.add(pool.submit(() -> {
                    for (int i = 0; i < POSTS_PER_USER; i++) {
                        poster.send(rooms.get((user + i) % ROOMS), "u" + user + " #" + i);
                    }
                }));
            }
            for (Future<?> f : sending) {
                f.get(1, TimeUnit.MINUTES);
            }
            List<Sent> answered = new ArrayList<>();
            for (PipelinedPosts poster : posters) {
                answered.addAll(poster.awaitAnswers(WAIT));
            }
            assertThat(answered).hasSize(2 * USERS_PER_GATEWAY * POSTS_PER_USER)
                    .allSatisfy(s -> assertThat(s.accepted()).as("answer to %s: %s", s.text(), s.reply()).isTrue());
            // Everything acknowledged before the fence is before it in its room's partition.
            ApiPoster api = new ApiPoster(logic1.httpPort());
            for (String room : rooms) {
                assertThat(api.publish(room, FENCE).accepted()).isTrue();
            }

            for (String room : rooms) {
                List<String> accepted = answered.stream().filter(s -> s.room().equals(room)).map(Sent::text).toList();
                List<String> order = null;
                List<Long> offsets = null;
                for (CentrifugeTestClient s : subscribers) {
                    s.socket().await(n -> n.path("push").path("channel").asText().equals(room)
                            && FENCE.equals(n.path("push").path("pub").path("data").path("text").asText()), WAIT);
                    List<JsonNode> pubs = s.publications(room);
                    List<String> texts = texts(pubs);
                    assertThat(texts).as("texts of %s", room).hasSize(accepted.size() + 1).endsWith(FENCE)
                            .doesNotHaveDuplicates();
                    assertThat(texts.subList(0, accepted.size())).containsExactlyInAnyOrderElementsOf(accepted);
                    assertThat(offsets(pubs)).as("offsets of %s", room).isSorted().doesNotHaveDuplicates();
                    if (order == null) {
                        order = texts;
                        offsets = offsets(pubs);
                    } else {
                        assertThat(texts).as("order of %s on both gateways", room).isEqualTo(order);
                        assertThat(offsets(pubs)).as("offsets of %s on both gateways", room).isEqualTo(offsets);
                    }
                }
                List<String> expected = order;
                await("Redis history of " + room).atMost(WAIT)
                        .until(() -> Stored.redisHistory(redis, room).size() >= expected.size());
                List<HistoryEntry> history = Stored.redisHistory(redis, room);
                assertThat(history).extracting(HistoryEntry::text).containsExactlyElementsOf(order);
                assertThat(history).extracting(HistoryEntry::offset).containsExactlyElementsOf(offsets);
            }

            // both instances judged posts, and in batches: more posts than calls reached logic
            double accepted1 = stack.meter(logic1, "danmaku_logic_posts_total", "result=\"accepted\"");
            double accepted2 = stack.meter(logic2, "danmaku_logic_posts_total", "result=\"accepted\"");
            assertThat(accepted1).as("posts accepted by logic 1").isPositive();
            assertThat(accepted2).as("posts accepted by logic 2").isPositive();
            assertThat(accepted1 + accepted2).isEqualTo(answered.size());
            for (LogicRole logic : List.of(logic1, logic2)) {
                double batches = stack.meter(logic, "danmaku_logic_batch_size_count");
                double posts = stack.meter(logic, "danmaku_logic_batch_size_sum");
                assertThat(posts).as("posts in batches of %s (%s batches)", logic, batches).isGreaterThan(batches);
            }
            for (GatewayRole gateway : List.of(gateway1, gateway2)) {
                double batches = stack.meter(gateway, "danmaku_gateway_post_batch_size_count");
                double posts = stack.meter(gateway, "danmaku_gateway_post_batch_size_sum");
                assertThat(posts).as("posts coalesced by a gateway (%s batches)", batches).isGreaterThan(batches);
            }
        } finally {
            pool.shutdownNow();
            clients.forEach(CentrifugeTestClient::close);
        }
    }

    private static CentrifugeTestClient connect(List<CentrifugeTestClient> clients, int port, String token) {
        CentrifugeTestClient c = CentrifugeTestClient.connect(port, token);
        clients.add(c);
        return c;
    }
}
