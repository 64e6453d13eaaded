package io.danmaku.server.cluster;

import static io.danmaku.server.cluster.ClusterStack.room;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.json.Json;
import io.danmaku.server.cluster.Stored.ArchivedLine;
import io.danmaku.server.cluster.Stored.HistoryEntry;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.kafka.KafkaExtension;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import io.danmaku.testkit.s3.S3ProxyExtension;
import io.danmaku.testkit.s3.S3ProxyServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two storage processes (the {@code storage} role, each its own JVM and local directory) share the archive in a
 * bucket of a real S3 API (S3Proxy), on real Kafka and Redis Cluster. A room's history by time is the same from
 * either, before and after one of them is killed ({@code kill -9}) while it holds messages it has not sealed yet
 * and its partitions move to the other; the bucket then holds every accepted message exactly once. A third
 * process configured with a retention prunes the bucket's old segments (never a partition's newest), and every
 * process serves the same, shorter history afterwards.
 *
 * <p>The hot history keeps {@value #HOT} messages per room, so older messages come from the bucket only.
 */
@ExtendWith({KafkaExtension.class, RedisClusterExtension.class, S3ProxyExtension.class})
class SharedArchiveTest {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int HOT = 10;
    private static final int ROOMS = 6;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static ClusterStack stack;
    static RedisCluster redis;
    static S3ProxyServer s3;
    static ApiPoster api;

    @BeforeAll
    static void start(KafkaBroker kafka, RedisCluster cluster, S3ProxyServer server) {
        redis = cluster;
        s3 = server;
        stack = new ClusterStack("shared-archive", kafka.bootstrapServers(), cluster,
                "store.redis.history-per-room=" + HOT);
        api = new ApiPoster(stack.startLogic().httpPort());
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** One accepted post and where the bus put it. */
    record Accepted(String room, String text, long offset, String epoch) {
        String position() {
            return epoch + "/" + offset;
        }
    }

    /** A storage process and the port of its history API. */
    record Storage(StorageProcess process, int httpPort) {
    }

    @Test
    void anyStorageProcessServesTheSameHistoryBeforeAndAfterOneIsKilledAndRetentionPrunesOldSegments(
            @TempDir Path dirs) throws Exception {
        String bucket = s3.createBucket("shared-archive-" + UUID.randomUUID().toString().substring(0, 8));
        Path objects = s3.dataDir().resolve(bucket).resolve("archive");
        List<String> base = stack.settings(
                "storage.archive.type=s3",
                "storage.archive.s3.endpoint=" + s3.endpoint(),
                "storage.archive.s3.bucket=" + bucket,
                "storage.archive.s3.access-key=" + s3.accessKey(),
                "storage.archive.s3.secret-key=" + s3.secretKey(),
                "storage.archive.s3.refresh-interval=0s",
                "storage.archive.segment-max-age=10s",
                // a killed member's partitions move to the other after this, not after the default 45 s
                "bus.kafka.consumer.session.timeout.ms=6000", "bus.kafka.consumer.heartbeat.interval.ms=500");
        List<String> rooms = new ArrayList<>();
        for (int i = 0; i < ROOMS; i++) {
            rooms.add(room("shared-" + i));
        }
        List<Accepted> accepted = new ArrayList<>();
        List<Storage> started = new ArrayList<>();
        try {
            Storage a = storage("a", base, dirs);
            started.add(a);
            Storage b = storage("b", base, dirs);
            started.add(b);

            // 1. more messages per room than the hot history keeps; once sealed, both serve all of them
            post(rooms, 3 * HOT, "one", accepted);
            awaitSealed(objects, accepted);
            awaitSameHistory(rooms, accepted, List.of(a, b));

            // 2. a few more (in open segments, sealed only after 10 s), then one process dies holding them
            post(rooms, 2, "two", accepted);
            for (String room : rooms) {
                await("hot history of " + room).atMost(WAIT).until(() -> Stored.redisHistory(redis, room).stream()
                        .anyMatch(e -> e.text().startsWith("two-")));
            }
            a.process().kill();
            post(rooms, HOT, "three", accepted);
            awaitSealed(objects, accepted);
            assertOncePerOffset(objects, accepted);
            awaitSameHistory(rooms, accepted, List.of(b));

            // 3. the killed process comes back with an empty directory (a new pod); partitions move again
            Storage again = storage("a-again", base, dirs);
            started.add(again);
            awaitSameHistory(rooms, accepted, List.of(again, b));

            // 4. a process with a retention of 1 s prunes every sealed segment but the newest of each partition
            Storage pruner = storage("pruner", withRetention(base), dirs);
            started.add(pruner);
            await("pruned to one segment per partition").atMost(WAIT).ignoreExceptions()
                    .until(() -> segmentsPerStream(objects).values().stream().allMatch(n -> n == 1));
            Set<String> kept = Stored.archive(objects).stream().map(l -> l.epoch() + "/" + l.offset())
                    .collect(Collectors.toSet());
            for (String room : rooms) {
                Set<String> hot = new HashSet<>();
                for (HistoryEntry e : Stored.redisHistory(redis, room)) {
                    hot.add(e.offset() + "");
                }
                List<String> expected = accepted.stream().filter(m -> m.room().equals(room))
                        .filter(m -> kept.contains(m.position()) || hot.contains(m.offset() + ""))
                        .map(Accepted::position).toList();
                assertThat(expected).as("room %s lost its oldest messages to the retention", room)
                        .hasSizeLessThan((int) accepted.stream().filter(m -> m.room().equals(room)).count())
                        .doesNotContain(first(accepted, room).position());
                for (Storage s : List.of(again, b, pruner)) {
                    await("history of " + room + " from storage on port " + s.httpPort()).atMost(WAIT)
                            .untilAsserted(() -> assertThat(history(s, room)).isEqualTo(expected));
                }
            }
        } finally {
            for (Storage s : started) {
                s.process().close();
            }
        }
    }

    private static Storage storage(String name, List<String> base, Path dirs) {
        int httpPort = ClusterStack.freePort();
        List<String> settings = new ArrayList<>(base);
        settings.add("node.id=shared-storage-" + name);
        settings.add("storage.http.port=" + httpPort);
        settings.add("storage.archive.dir=" + dirs.resolve(name));
        return new Storage(StorageProcess.start("shared-" + name, settings), httpPort);
    }

    private static List<String> withRetention(List<String> base) {
        List<String> settings = new ArrayList<>(base);
        settings.add("storage.archive.retention=1s");
        return settings;
    }

    /** Posts {@code perRoom} messages to every room through the server API; all must be accepted. */
    private static void post(List<String> rooms, int perRoom, String phase, List<Accepted> accepted) {
        for (int i = 0; i < perRoom; i++) {
            for (String room : rooms) {
                String text = phase + "-" + i;
                ApiPoster.Result r = api.publish(room, text);
                assertThat(r.accepted()).as("post %s to %s: %s", text, room, r).isTrue();
                accepted.add(new Accepted(room, text, r.offset(), r.epoch()));
            }
        }
    }

    private static Accepted first(List<Accepted> accepted, String room) {
        return accepted.stream().filter(m -> m.room().equals(room)).findFirst().orElseThrow();
    }

    /** Waits until every accepted message is in a segment in the bucket (read from the objects themselves). */
    private static void awaitSealed(Path objects, List<Accepted> accepted) {
        Set<String> wanted = accepted.stream().map(Accepted::position).collect(Collectors.toSet());
        await("every accepted message sealed in the bucket").atMost(WAIT).ignoreExceptions()
                .until(() -> Stored.archive(objects).stream().map(l -> l.epoch() + "/" + l.offset())
                        .collect(Collectors.toSet()).containsAll(wanted));
    }

    /** Each partition's segments in the bucket hold its offsets once, in order, and ours are the accepted ones. */
    private static void assertOncePerOffset(Path objects, List<Accepted> accepted) {
        List<ArchivedLine> all = Stored.archive(objects);
        Map<String, List<Long>> byStream = all.stream().collect(Collectors.groupingBy(ArchivedLine::stream,
                LinkedHashMap::new, Collectors.mapping(ArchivedLine::offset, Collectors.toList())));
        byStream.forEach((stream, offsets) ->
                assertThat(offsets).as("offsets of partition %s in the bucket", stream).isSorted()
                        .doesNotHaveDuplicates());
        assertThat(all).extracting(l -> l.epoch() + "/" + l.offset() + "/" + l.room() + "/" + l.text())
                .containsExactlyInAnyOrderElementsOf(accepted.stream()
                        .map(m -> m.position() + "/" + m.room() + "/" + m.text()).toList());
    }

    /** Sealed segments per partition directory in the bucket. */
    private static Map<String, Long> segmentsPerStream(Path objects) throws IOException {
        try (Stream<Path> files = Files.walk(objects)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".ndjson.zst"))
                    .collect(Collectors.groupingBy(p -> objects.relativize(p.getParent()).toString(),
                            Collectors.counting()));
        }
    }

    /** Every process answers every room's whole history with exactly the accepted messages, in order. */
    private static void awaitSameHistory(List<String> rooms, List<Accepted> accepted, List<Storage> storages) {
        for (String room : rooms) {
            List<String> expected = accepted.stream().filter(m -> m.room().equals(room)).map(Accepted::position)
                    .toList();
            assertThat(expected).hasSizeGreaterThan(HOT);
            for (Storage s : storages) {
                await("history of " + room + " from storage on port " + s.httpPort()).atMost(WAIT)
                        .untilAsserted(() -> assertThat(history(s, room)).isEqualTo(expected));
            }
        }
    }

    /** {@code GET /api/rooms/{room}/history?from=0&limit=1000}: the messages' epoch/offset, in order. */
    private static List<String> history(Storage s, String room) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort() + "/api/rooms/"
                + room + "/history?from=0&limit=1000")).timeout(Duration.ofSeconds(20)).build();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode body = Json.MAPPER.readTree(response.body());
            assertThat(body.path("truncated").asBoolean()).isFalse();
            List<String> out = new ArrayList<>();
            for (JsonNode m : body.path("messages")) {
                out.add(m.path("epoch").asText() + "/" + m.path("offset").asLong());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
