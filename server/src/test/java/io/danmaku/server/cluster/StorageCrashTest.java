package io.danmaku.server.cluster;

import static io.danmaku.server.cluster.ClusterStack.room;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmaku.server.cluster.Stored.ArchivedLine;
import io.danmaku.server.cluster.Stored.HistoryEntry;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.kafka.KafkaExtension;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage process is killed ({@code kill -9}) while messages keep coming, then a new one is started with
 * the same consumer group and archive directory: the group resumes from its committed offsets, both writes are
 * idempotent, and in the end Redis history and the archive each hold every accepted message exactly once, with
 * no gap.
 */
@ExtendWith({KafkaExtension.class, RedisClusterExtension.class})
class StorageCrashTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    /** Posts between the phases of the test (before the kill, while storage is down, after the restart). */
    private static final int POSTS_PER_PHASE = 60;
    /** Bound of the posting loop: 3 rooms, each below the Redis history cap of 1000. */
    private static final int MAX_POSTS = 2400;

    static ClusterStack stack;
    static RedisCluster redis;
    static int logicHttp;

    @BeforeAll
    static void start(KafkaBroker kafka, RedisCluster cluster) {
        redis = cluster;
        stack = new ClusterStack("crash", kafka.bootstrapServers(), cluster);
        logicHttp = stack.startLogic().httpPort();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** One accepted post and where the bus put it. */
    record Accepted(String room, String text, long offset, String epoch) {
    }

    @Test
    void aStorageKilledMidStreamAndRestartedLeavesEveryAcceptedMessageStoredExactlyOnce(@TempDir Path dir)
            throws Exception {
        Path archive = dir.resolve("archive");
        List<String> settings = stack.settings("storage.archive.dir=" + archive,
                // a killed member's partitions move to the new one after this, not after the default 45 s
                "bus.kafka.consumer.session.timeout.ms=6000", "bus.kafka.consumer.heartbeat.interval.ms=500");
        List<String> rooms = List.of(room("crash-a"), room("crash-b"), room("crash-c"));
        List<Accepted> accepted = Collections.synchronizedList(new ArrayList<>());
        List<ApiPoster.Result> refused = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean done = new AtomicBoolean();
        ApiPoster api = new ApiPoster(logicHttp);
        ExecutorService poster = Executors.newSingleThreadExecutor();
        StorageProcess first = StorageProcess.start("crash-1", withNode(settings, "crash-storage-1"));
        StorageProcess second = null;
        try {
            Future<?> posting = poster.submit(() -> {
                for (int i = 0; i < MAX_POSTS && !done.get(); i++) {
                    String room = rooms.get(i % rooms.size());
                    String text = "m" + i;
                    ApiPoster.Result r = api.publish(room, text);
                    if (r.accepted()) {
                        accepted.add(new Accepted(room, text, r.offset(), r.epoch()));
                    } else {
                        refused.add(r);
                    }
                    sleep(10);
                }
                return null;
            });

            // the first storage is writing when it dies
            await("first storage archiving").atMost(WAIT).until(() -> accepted.size() >= POSTS_PER_PHASE
                    && archived(archive, rooms).size() >= POSTS_PER_PHASE / 2);
            first.kill();
            int atKill = accepted.size();
            await("posts while storage is down").atMost(WAIT).until(() -> accepted.size() >= atKill + POSTS_PER_PHASE);
            second = StorageProcess.start("crash-2", withNode(settings, "crash-storage-2"));
            int atRestart = accepted.size();
            await("posts after the restart").atMost(WAIT)
                    .until(() -> accepted.size() >= atRestart + POSTS_PER_PHASE);
            done.set(true);
            posting.get(1, TimeUnit.MINUTES);
            assertThat(accepted.size()).as("the loop ended by the test, not by its bound").isLessThan(MAX_POSTS);
            assertThat(refused).as("logic and Kafka were up the whole time").isEmpty();

            Map<String, List<Accepted>> byRoom = new LinkedHashMap<>();
            rooms.forEach(room -> byRoom.put(room, new ArrayList<>()));
            for (Accepted a : accepted) {
                byRoom.get(a.room()).add(a);
            }
            for (String room : rooms) {
                List<Long> offsets = byRoom.get(room).stream().map(Accepted::offset).toList();
                assertThat(offsets).isSorted().doesNotHaveDuplicates();
                await("Redis history of " + room).atMost(WAIT)
                        .until(() -> Stored.redisHistory(redis, room).size() >= offsets.size());
                List<HistoryEntry> history = Stored.redisHistory(redis, room);
                assertThat(history).as("Redis history of %s", room).extracting(HistoryEntry::offset)
                        .containsExactlyElementsOf(offsets);
                assertThat(history).extracting(HistoryEntry::text)
                        .containsExactlyElementsOf(byRoom.get(room).stream().map(Accepted::text).toList());
            }

            await("archive").atMost(WAIT).until(() -> archived(archive, rooms).size() >= accepted.size());
            List<ArchivedLine> all = Stored.archive(archive);
            List<ArchivedLine> ours = all.stream().filter(l -> rooms.contains(l.room())).toList();
            assertThat(ours).extracting(l -> l.epoch() + "/" + l.offset()).doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(accepted.stream().map(a -> a.epoch() + "/" + a.offset())
                            .toList());
            assertThat(ours).extracting(l -> l.room() + "/" + l.text() + "/" + l.offset())
                    .containsExactlyInAnyOrderElementsOf(accepted.stream()
                            .map(a -> a.room() + "/" + a.text() + "/" + a.offset()).toList());
            Map<String, List<Long>> byStream = all.stream().collect(Collectors.groupingBy(ArchivedLine::stream,
                    LinkedHashMap::new, Collectors.mapping(ArchivedLine::offset, Collectors.toList())));
            assertThat(byStream.keySet()).as("one stream directory per epoch (partition)")
                    .hasSize(Set.copyOf(accepted.stream().map(Accepted::epoch).toList()).size());
            byStream.forEach((stream, offsets) ->
                    assertThat(offsets).as("offsets of stream %s", stream).isSorted().doesNotHaveDuplicates());
        } finally {
            done.set(true);
            poster.shutdownNow();
            first.close();
            if (second != null) {
                second.close();
            }
        }
    }

    private static List<ArchivedLine> archived(Path archive, List<String> rooms) {
        return Stored.archive(archive).stream().filter(l -> rooms.contains(l.room())).toList();
    }

    private static List<String> withNode(List<String> settings, String node) {
        List<String> all = new ArrayList<>(settings);
        all.add("node.id=" + node);
        return all;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
