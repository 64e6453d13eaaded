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
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A logic instance goes away while posts stream through both gateways to both instances (two gateways, two logic
 * instances, one storage). Every post is answered exactly once, accepted or refused {@code unavailable}, never
 * both and never left unanswered; every accepted post reaches the subscribers on both gateways once, in one order
 * per room, and storage's history; and the users of the instance that went away are then served by the other.
 */
@ExtendWith({KafkaExtension.class, RedisClusterExtension.class})
class LogicInstanceLossTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int USERS = 16;
    private static final int CHUNKS = 10;
    private static final int CHUNK = 10;
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
        stack = new ClusterStack("logic-loss", kafka.bootstrapServers(), cluster, 2);
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
    void postsInFlightWhenALogicInstanceGoesAwayAreAnsweredOnceAndTheAcceptedOnesAreKept() throws Exception {
        List<String> rooms = List.of(room("loss-a"), room("loss-b"));
        List<CentrifugeTestClient> clients = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(USERS);
        try {
            List<CentrifugeTestClient> subscribers = List.of(CentrifugeTestClient.connect(gateway1.gatewayPort(),
                    null), CentrifugeTestClient.connect(gateway2.gatewayPort(), null));
            clients.addAll(subscribers);
            for (CentrifugeTestClient s : subscribers) {
                for (String room : rooms) {
                    assertThat(s.subscribe(room).has("subscribe")).isTrue();
                }
            }
            List<String> users = new ArrayList<>();
            List<PipelinedPosts> posters = new ArrayList<>();
            for (int u = 0; u < USERS; u++) {
                String user = "loss-user-" + u;
                users.add(user);
                GatewayRole gateway = u % 2 == 0 ? gateway1 : gateway2;
                CentrifugeTestClient c = CentrifugeTestClient.connect(gateway.gatewayPort(), token(user));
                clients.add(c);
                posters.add(new PipelinedPosts(c));
            }
            List<String> ofLogic2 = users.stream().filter(u -> stack.logicFor(u) == 2).toList();
            assertThat(ofLogic2).as("users of logic 2").isNotEmpty().hasSizeLessThan(USERS);

            // each user keeps a chunk of posts in flight: sends it without waiting, then waits for its answers
            AtomicInteger sent = new AtomicInteger();
            AtomicInteger answered = new AtomicInteger();
            List<Future<List<Sent>>> streams = new ArrayList<>();
            for (int u = 0; u < USERS; u++) {
                PipelinedPosts poster = posters.get(u);
                int user = u;
                streams.add(pool.submit(() -> {
                    List<Sent> all = List.of();
                    for (int chunk = 0; chunk < CHUNKS; chunk++) {
                        for (int i = 0; i < CHUNK; i++) {
                            int n = chunk * CHUNK + i;
                            poster.send(rooms.get(n % rooms.size()), "u" + user + " #" + n);
                            sent.incrementAndGet();
                        }
                        int before = all.size();
                        all = poster.awaitAnswers(WAIT);
                        answered.addAndGet(all.size() - before);
                    }
                    return all;
                }));
            }
            int total = USERS * CHUNKS * CHUNK;
            await("a first part of the posts answered").atMost(WAIT).until(() -> answered.get() >= total / 8);
            int sentBeforeLoss = sent.get();
            stack.stop(logic2);
            assertThat(sentBeforeLoss).as("posts sent before logic 2 went away").isLessThan(total);

            List<Sent> answers = new ArrayList<>();
            for (Future<List<Sent>> stream : streams) {
                answers.addAll(stream.get(2, TimeUnit.MINUTES));
            }
            assertThat(answers).as("every post answered once").hasSize(total);
            assertThat(answers).filteredOn(Predicate.not(Sent::accepted))
                    .allSatisfy(s -> assertThat(s.reason()).as("%s", s.reply()).isEqualTo("unavailable"));
            assertThat(answers).filteredOn(Sent::accepted).as("accepted").isNotEmpty();
            Set<String> sentTexts = answers.stream().map(Sent::text).collect(Collectors.toSet());

            // the users of logic 2 are served by logic 1 now
            double accepted1 = stack.meter(logic1, "danmaku_logic_posts_total", "result=\"accepted\"");
            for (String user : ofLogic2) {
                PipelinedPosts poster = posters.get(users.indexOf(user));
                AtomicInteger attempt = new AtomicInteger();
                await("a post of " + user + " accepted by logic 1").atMost(WAIT).until(() -> {
                    poster.send(rooms.get(0), user + " after " + attempt.incrementAndGet());
                    List<Sent> all = poster.awaitAnswers(WAIT);
                    return all.get(all.size() - 1).accepted();
                });
            }
            assertThat(stack.meter(logic1, "danmaku_logic_posts_total", "result=\"accepted\""))
                    .isGreaterThanOrEqualTo(accepted1 + ofLogic2.size());

            ApiPoster api = new ApiPoster(logic1.httpPort());
            for (String room : rooms) {
                assertThat(api.publish(room, FENCE).accepted()).isTrue();
                List<String> accepted = answers.stream().filter(s -> s.room().equals(room) && s.accepted())
                        .map(Sent::text).toList();
                List<String> order = null;
                List<Long> offsets = null;
                for (CentrifugeTestClient s : subscribers) {
                    s.socket().await(n -> n.path("push").path("channel").asText().equals(room)
                            && FENCE.equals(n.path("push").path("pub").path("data").path("text").asText()), WAIT);
                    List<JsonNode> pubs = s.publications(room);
                    List<String> texts = texts(pubs);
                    assertThat(texts).as("texts of %s", room).doesNotHaveDuplicates().containsAll(accepted)
                            .endsWith(FENCE);
                    // besides the accepted posts only posts that were sent: one refused after its call failed
                    // may still have been published
                    assertThat(texts).filteredOn(t -> !t.equals(FENCE) && !t.contains(" after "))
                            .allSatisfy(t -> assertThat(sentTexts).contains(t));
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
        } finally {
            pool.shutdownNow();
            clients.forEach(CentrifugeTestClient::close);
        }
    }
}
