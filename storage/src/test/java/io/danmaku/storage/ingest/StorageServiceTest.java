package io.danmaku.storage.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.danmaku.protocol.DanmakuException;
import io.danmaku.storage.ArchiveFiles;
import io.danmaku.storage.FailingHotStore;
import io.danmaku.storage.StorageException;
import io.danmaku.storage.api.HistoryApi;
import io.danmaku.storage.archive.ArchiveSink;
import io.danmaku.storage.archive.ArchiveWriter;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.api.ApiRequest;
import io.danmaku.protocol.api.ApiResponse;
import io.danmaku.protocol.bus.BusMessage;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.danmaku.protocol.store.HistoryPage;
import io.danmaku.protocol.store.HistoryQuery;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.storage.StorageConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageServiceTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final List<String> ROOMS = List.of("room-a", "room-b", "room-c");

    private final MemoryMessageBus bus = new MemoryMessageBus();
    private final MemoryHotStore history = new MemoryHotStore();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<StorageService> services = new ArrayList<>();
    private final List<ArchiveWriter> writers = new ArrayList<>();

    @TempDir
    Path archiveRoot;

    @AfterEach
    void tearDown() {
        services.forEach(StorageService::close);
        writers.forEach(ArchiveWriter::close);
        bus.close();
        history.close();
    }

    private StorageService start(HotStore store) {
        return start(StorageConfig.defaults(), store);
    }

    private StorageService start(StorageConfig config, HotStore store) {
        StorageService s = new StorageService(config, bus, store, meters);
        services.add(s);
        s.start();
        return s;
    }

    private StorageService startWithArchive(HotStore store, ArchiveSink archive) {
        StorageService s = new StorageService(StorageConfig.defaults(), bus, store, archive, meters);
        services.add(s);
        s.start();
        return s;
    }

    private ArchiveWriter archiveWriter() {
        ArchiveWriter w = new ArchiveWriter(archiveRoot, StorageConfig.DEFAULT_SEGMENT_MAX_BYTES,
                StorageConfig.DEFAULT_SEGMENT_MAX_AGE, bus::streamOf, Clock.systemUTC(), meters);
        writers.add(w);
        w.start().join();
        return w;
    }

    private StorageConfig archiving() {
        return StorageConfig.defaults().withArchiveDir(archiveRoot);
    }

    @Test
    void publishedRecordsReachTheHistoryOfTheirRoomInOrder() throws Exception {
        start(history);

        Map<String, List<BusPosition>> sent = publishRounds(0, 10);

        awaitHistory(sent);
        // the batch is counted right after its last write, on the bus thread
        await().atMost(TIMEOUT).until(() -> meters.counter("danmaku.storage.records").count() == 30);
        assertThat(meters.counter("danmaku.storage.write.errors").count()).isZero();
        assertThat(meters.summary("danmaku.storage.batch.size").totalAmount()).isEqualTo(30);
    }

    @Test
    void failedWritesAreRetriedUntilTheHistoryIsCompleteWithoutDuplicates() throws Exception {
        FailingHotStore flaky = new FailingHotStore(history, 4);
        start(flaky);

        Map<String, List<BusPosition>> sent = publishRounds(0, 10);

        awaitHistory(sent);
        await().atMost(TIMEOUT).until(() -> meters.counter("danmaku.storage.records").count() == 30);
        assertThat(flaky.failures.get()).isEqualTo(4);
        assertThat(meters.counter("danmaku.storage.write.errors").count()).isPositive();
        assertThat(meters.summary("danmaku.storage.batch.size").totalAmount()).isGreaterThan(30);
    }

    @Test
    void aNewInstanceOfTheGroupContinuesWhereTheLastOneStopped() throws Exception {
        StorageService first = start(history);
        Map<String, List<BusPosition>> sent = publishRounds(0, 5);
        awaitHistory(sent);
        first.close();

        Map<String, List<BusPosition>> more = publishRounds(5, 5);
        start(history);
        more.forEach((room, positions) -> sent.get(room).addAll(positions));

        awaitHistory(sent);
    }

    @Test
    void everyPublishedRecordIsArchivedExactlyOnceAsWellAsInTheHistory() throws Exception {
        StorageService s = start(archiving(), history);

        Map<String, List<BusPosition>> sent = publishRounds(0, 10);

        awaitHistory(sent);
        awaitArchive(sent);
        assertThat(s.archiveReader()).isPresent();
        assertThat(meters.counter("danmaku.storage.archive.records").count()).isEqualTo(30);
        assertThat(meters.counter("danmaku.storage.archive.skipped").count()).isZero();
    }

    @Test
    void withoutAnArchiveDirectoryNothingIsArchived() throws Exception {
        StorageService s = start(history);

        awaitHistory(publishRounds(0, 3));

        assertThat(s.archiveReader()).isEmpty();
        assertThat(archiveRoot).isEmptyDirectory();
    }

    @Test
    void failedArchiveWritesAreRetriedUntilTheArchiveIsCompleteWithoutDuplicates() throws Exception {
        ArchiveWriter writer = archiveWriter();
        AtomicInteger failures = new AtomicInteger();
        ArchiveSink failingFirst = records -> failures.incrementAndGet() <= 3
                ? CompletableFuture.failedFuture(new DanmakuException("test: disk full", true))
                : writer.append(records);
        startWithArchive(history, failingFirst);

        Map<String, List<BusPosition>> sent = publishRounds(0, 10);

        awaitHistory(sent);
        awaitArchive(sent);
        assertThat(failures.get()).isGreaterThan(3);
        assertThat(meters.counter("danmaku.storage.write.errors").count()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void failedHotStoreWritesAreRetriedWithoutDoublingTheArchive() throws Exception {
        ArchiveWriter writer = archiveWriter();
        FailingHotStore flaky = new FailingHotStore(history, 4);
        startWithArchive(flaky, writer);

        Map<String, List<BusPosition>> sent = publishRounds(0, 10);

        awaitHistory(sent);
        awaitArchive(sent);
        assertThat(flaky.failures.get()).isEqualTo(4);
        // the archive had the failed batches already: their redelivery was skipped
        assertThat(meters.counter("danmaku.storage.archive.skipped").count()).isPositive();
    }

    @Test
    void anInstanceStoppedMidBatchIsFollowedByOneThatLeavesNoGapAndNoDuplicate() throws Exception {
        // the first instance archives every batch but never gets it acknowledged: its hot store is down
        StorageService first = start(archiving(), new FailingHotStore(history, Integer.MAX_VALUE));
        Map<String, List<BusPosition>> sent = publishRounds(0, 5);
        await().atMost(TIMEOUT).until(() -> meters.counter("danmaku.storage.archive.records").count() == 15);
        first.close();

        Map<String, List<BusPosition>> more = publishRounds(5, 5);
        more.forEach((room, positions) -> sent.get(room).addAll(positions));
        start(archiving(), history);

        awaitHistory(sent);
        awaitArchive(sent);
        assertThat(meters.counter("danmaku.storage.archive.skipped").count()).isGreaterThanOrEqualTo(15);
    }

    @Test
    void theHistoryApiServesWhatTheServiceArchived() throws Exception {
        StorageService s = start(archiving(), history);
        Map<String, List<BusPosition>> sent = publishRounds(0, 4);
        awaitArchive(sent);
        HistoryApi api = new HistoryApi(history, s.archiveReader().orElseThrow(), Clock.systemUTC(),
                io.danmaku.protocol.api.RoomReadAccess.OPEN, meters);

        ApiResponse r = api.handle(new ApiRequest("GET", "/api/rooms/room-b/history", Map.of(), Map.of(),
                new byte[0])).join();

        assertThat(r.status()).isEqualTo(200);
        JsonNode messages = new ObjectMapper().readTree(r.body()).get("messages");
        assertThat(messages).hasSize(4);
        for (int i = 0; i < 4; i++) {
            assertThat(messages.get(i).get("id").asText()).isEqualTo("room-b-" + i);
            assertThat(messages.get(i).get("offset").asLong()).isEqualTo(sent.get("room-b").get(i).offset());
        }
    }

    @Test
    void aRetractionRemovesItsMessagesFromTheHotHistoryAndLeavesATombstoneAlsoWhenRedelivered() throws Exception {
        FailingHotStore flaky = new FailingHotStore(history, 1); // the first batch comes twice
        StorageService s = start(archiving(), flaky);
        String m1 = "{\"id\":\"M1\",\"room\":\"room-a\",\"time\":1,\"text\":\"spam\"}";
        String m2 = "{\"id\":\"M2\",\"room\":\"room-a\",\"time\":2,\"text\":\"fine\"}";
        String delete = "{\"id\":\"D1\",\"room\":\"room-a\",\"time\":3,\"cmd\":\"DELETE\",\"ids\":[\"M1\"]}";
        List<BusPosition> positions = bus.publish(List.of(
                new BusMessage("room-a", m1.getBytes(StandardCharsets.UTF_8)),
                new BusMessage("room-a", m2.getBytes(StandardCharsets.UTF_8)),
                new BusMessage("room-a", delete.getBytes(StandardCharsets.UTF_8))))
                .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(
                history.history(HistoryQuery.after("room-a", -1, 100)).join().records())
                .extracting(RoomRecord::payloadText).containsExactly(m2, delete));
        HistoryPage page = history.history(HistoryQuery.after("room-a", -1, 100)).join();
        assertThat(page.topOffset()).isEqualTo(positions.get(2).offset());
        assertThat(flaky.failures.get()).isEqualTo(1);
        Path tombstones = archiveRoot.resolve("@tombstones").resolve("room-a");
        await().atMost(TIMEOUT).until(() -> java.nio.file.Files.exists(tombstones.resolve("D1.json")));
        assertThat(java.nio.file.Files.readString(tombstones.resolve("D1.json"))).isEqualTo(delete);

        history.removeHistory("room-a").join(); // the archive alone answers now
        HistoryApi api = new HistoryApi(history, s.archiveReader().orElseThrow(), Clock.systemUTC(),
                io.danmaku.protocol.api.RoomReadAccess.OPEN, meters);
        ApiResponse r = api.handle(new ApiRequest("GET", "/api/rooms/room-a/history", Map.of(), Map.of(),
                new byte[0])).join();
        JsonNode messages = new ObjectMapper().readTree(r.body()).get("messages");
        assertThat(messages).extracting(m -> m.get("id").asText()).containsExactly("M2");
    }

    @Test
    void anArchiveDirectoryInUseFailsTheStartNamingIt() {
        archiveWriter();

        StorageService s = new StorageService(archiving(), bus, history, meters);
        services.add(s);

        assertThatThrownBy(s::start)
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("cannot open the archive under " + archiveRoot)
                .hasMessageContaining("in use by another storage process");
    }

    @Test
    void startsOnlyOnce() {
        StorageService s = start(history);
        assertThatThrownBy(s::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("started");
        s.close();
        assertThatThrownBy(s::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    /** Publishes {@code rounds} batches, each with one message per room; returns the positions per room. */
    private Map<String, List<BusPosition>> publishRounds(int firstRound, int rounds) throws Exception {
        Map<String, List<BusPosition>> positions = new LinkedHashMap<>();
        for (int round = firstRound; round < firstRound + rounds; round++) {
            List<BusMessage> batch = new ArrayList<>();
            for (String room : ROOMS) {
                batch.add(new BusMessage(room, payload(room, round).getBytes(StandardCharsets.UTF_8)));
            }
            for (BusPosition p : bus.publish(batch).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                positions.computeIfAbsent(p.room(), k -> new ArrayList<>()).add(p);
            }
        }
        return positions;
    }

    /** Waits until every room's history is exactly what was published to it, in order. */
    private void awaitHistory(Map<String, List<BusPosition>> sent) {
        await().atMost(TIMEOUT).untilAsserted(() -> {
            for (Map.Entry<String, List<BusPosition>> e : sent.entrySet()) {
                HistoryPage page = history.history(HistoryQuery.after(e.getKey(), -1, 100)).join();
                List<BusPosition> expected = e.getValue();
                assertThat(page.records()).extracting(RoomRecord::offset)
                        .containsExactlyElementsOf(expected.stream().map(BusPosition::offset).toList());
                for (int i = 0; i < expected.size(); i++) {
                    assertThat(page.records().get(i).payloadText()).isEqualTo(payload(e.getKey(), i));
                    assertThat(page.records().get(i).epoch()).isEqualTo(bus.epoch(e.getKey()));
                }
            }
        });
    }

    /** Waits until every room's archived stream holds exactly what was published to it, in order, once. */
    private void awaitArchive(Map<String, List<BusPosition>> sent) {
        await().atMost(TIMEOUT).untilAsserted(() -> {
            for (Map.Entry<String, List<BusPosition>> e : sent.entrySet()) {
                Path dir = archiveRoot.resolve(bus.epoch(e.getKey())).resolve(e.getKey());
                assertThat(ArchiveFiles.streamOffsets(dir))
                        .containsExactlyElementsOf(e.getValue().stream().map(BusPosition::offset).toList());
                List<String> texts = ArchiveFiles.streamLines(dir).stream()
                        .map(n -> n.get("msg").toString()).toList();
                for (int i = 0; i < texts.size(); i++) {
                    assertThat(texts.get(i)).isEqualTo(payload(e.getKey(), i));
                }
            }
        });
    }

    private static String payload(String room, int round) {
        return "{\"id\":\"" + room + "-" + round + "\",\"room\":\"" + room + "\"}";
    }
}
