package io.danmaku.store.redis;

import static io.danmaku.store.redis.RedisHotStoreTest.get;
import static io.danmaku.store.redis.RedisHotStoreTest.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmaku.protocol.DanmakuException;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.store.HistoryPage;
import io.danmaku.protocol.store.HistoryQuery;
import io.danmaku.testkit.redis.OverTls;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisCluster.Node;
import io.danmaku.testkit.redis.RedisCluster.Role;
import io.danmaku.testkit.redis.RedisClusterExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Redis master dies (SIGKILL): its replica is promoted, the store follows the new topology by itself and
 * nothing acknowledged before the kill is lost, in plain text and over TLS. Runs on the JVM's shared clusters and
 * restarts the killed node, so the cluster is healthy again afterwards.
 */
@ExtendWith(RedisClusterExtension.class)
class RedisHotStoreFailoverTest {
    private static final Logger log = LoggerFactory.getLogger(RedisHotStoreFailoverTest.class);
    private static final String EPOCH = "f-0";

    @Test
    void historySurvivesTheDeathOfItsMasterAndTheNodeRejoins(RedisCluster cluster) {
        historySurvivesTheDeathOfItsMaster(cluster);
    }

    /** The same over TLS: the replica took its data over TLS, the store finds the promoted one over TLS. */
    @Test
    void overTlsHistorySurvivesTheDeathOfItsMasterAndTheNodeRejoins(@OverTls RedisCluster cluster) {
        historySurvivesTheDeathOfItsMaster(cluster);
    }

    private static void historySurvivesTheDeathOfItsMaster(RedisCluster cluster) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (RedisHotStore store = TestRedis.connectAlone(cluster, 100, registry)) {
            String room = unique("room");
            get(store.appendHistory(room, records(room, 1, 2, 3, 4, 5)));
            cluster.awaitReplicasInSync();

            long killedAt = System.nanoTime();
            Node killed = cluster.killMasterOf(RedisKeys.history(room));
            try {
                assertThat(killed.role()).isEqualTo(Role.MASTER);

                // Until a replica is promoted (cluster-node-timeout 1 s), calls fail fast and retriably.
                assertThat(store.appendHistory(room, records(room, 6))).failsWithin(Duration.ofSeconds(5))
                        .withThrowableOfType(ExecutionException.class)
                        .havingCause()
                        .isInstanceOfSatisfying(DanmakuException.class, e -> assertThat(e.retriable()).isTrue());

                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                        .until(() -> succeeds(store.appendHistory(room, records(room, 6, 7))));
                log.info("failover: appends succeed again {} ms after the kill of {}",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt), killed.address());

                HistoryPage page = get(store.history(HistoryQuery.after(room, -1, 100)));
                assertThat(page.records()).extracting(RoomRecord::offset)
                        .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
                assertThat(page.epoch()).isEqualTo(EPOCH);
                assertThat(cluster.masterOf(RedisKeys.history(room)).port()).isNotEqualTo(killed.port());
                assertThat(registry.get("danmaku.store.redis.errors").tag("op", "append_history").counter().count())
                        .isPositive();
            } finally {
                cluster.restart(killed);
            }

            assertThat(cluster.nodes()).filteredOn(n -> n.port() == killed.port()).singleElement()
                    .satisfies(n -> assertThat(n.role()).isEqualTo(Role.REPLICA));
            assertThat(cluster.nodes()).filteredOn(n -> n.role() == Role.MASTER).hasSize(3);
            get(store.appendHistory(room, records(room, 8)));
            assertThat(get(store.history(HistoryQuery.latest(room, 1))).topOffset()).isEqualTo(8);
        }
    }

    private static boolean succeeds(CompletableFuture<?> call) {
        try {
            call.get(10, TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException e) {
            return false;
        } catch (Exception e) {
            throw new AssertionError("store call did not complete", e);
        }
    }

    private static List<RoomRecord> records(String room, long... offsets) {
        return LongStream.of(offsets).mapToObj(o -> new RoomRecord(room, o, EPOCH, o,
                ("{\"n\":" + o + "}").getBytes(StandardCharsets.UTF_8))).toList();
    }
}
