package io.danmaku.storage.archive;

import static io.danmaku.storage.ArchiveFiles.finals;
import static io.danmaku.storage.ArchiveFiles.lines;
import static io.danmaku.storage.ArchiveFiles.names;
import static io.danmaku.storage.ArchiveFiles.opens;
import static io.danmaku.storage.ArchiveFiles.streamLines;
import static io.danmaku.storage.ArchiveFiles.streamOffsets;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.contract.MutableClock;
import io.danmaku.storage.ArchiveFiles;
import io.danmaku.storage.StorageException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveWriterTest {
    private static final String EPOCH = "mem-0000abcd";
    private static final Instant START = Instant.parse("2024-05-01T12:00:00Z");
    private static final long MIB_64 = 64L * 1024 * 1024;
    private static final Duration TEN_MINUTES = Duration.ofMinutes(10);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path root;

    private final MutableClock clock = new MutableClock(START);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<ArchiveWriter> writers = new ArrayList<>();

    @AfterEach
    void tearDown() {
        writers.forEach(ArchiveWriter::close);
    }

    private ArchiveWriter writer(long maxBytes, Duration maxAge) {
        return writer(maxBytes, maxAge, r -> r.epoch() + "/" + r.room());
    }

    private ArchiveWriter writer(long maxBytes, Duration maxAge, Function<RoomRecord, String> streamOf) {
        ArchiveWriter w = new ArchiveWriter(root, maxBytes, maxAge, streamOf, clock, meters);
        writers.add(w);
        w.start().join();
        return w;
    }

    private Path stream(String room) {
        return root.resolve(EPOCH).resolve(room);
    }

    private static RoomRecord record(String room, long offset) {
        return record(room, offset, EPOCH);
    }

    private static RoomRecord record(String room, long offset, String epoch) {
        long time = START.toEpochMilli() + offset * 1000;
        String json = "{\"id\":\"" + room + "-" + offset + "\",\"room\":\"" + room + "\",\"time\":" + time
                + ",\"user\":{\"id\":\"u1\",\"name\":\"Ann\"},\"text\":\"message " + offset + " 弹幕\",\"color\":16777215,"
                + "\"mode\":1}";
        return new RoomRecord(room, offset, epoch, time, json.getBytes(StandardCharsets.UTF_8));
    }

    private static List<RoomRecord> records(String room, long first, long last) {
        return LongStream.rangeClosed(first, last).mapToObj(o -> record(room, o)).toList();
    }

    private static List<Long> offsets(long first, long last) {
        return LongStream.rangeClosed(first, last).boxed().toList();
    }

    private double counter(String name) {
        return meters.counter(name).count();
    }

    @Test
    void archivesEachRecordAsOneNdjsonLineOfItsStreamAndRollsToZstd() throws Exception {
        ArchiveWriter w = writer(MIB_64, TEN_MINUTES);
        List<RoomRecord> batch = new ArrayList<>(records("room-a", 1, 3));
        batch.addAll(records("room-b", 1, 2));

        w.append(batch).join();

        assertThat(names(stream("room-a"))).containsExactly("1.ndjson.open");
        assertThat(names(stream("room-b"))).containsExactly("1.ndjson.open");
        clock.advance(TEN_MINUTES);
        assertThat(w.rollExpired().join()).isEqualTo(2);

        assertThat(names(stream("room-a"))).containsExactly("1.idx", "1.ndjson.zst");
        List<JsonNode> lines = lines(stream("room-a").resolve("1.ndjson.zst"));
        assertThat(lines).hasSize(3);
        for (int i = 0; i < 3; i++) {
            RoomRecord r = batch.get(i);
            JsonNode line = lines.get(i);
            assertThat(line.get("room").asText()).isEqualTo("room-a");
            assertThat(line.get("offset").asLong()).isEqualTo(r.offset());
            assertThat(line.get("epoch").asText()).isEqualTo(EPOCH);
            assertThat(line.get("time").asLong()).isEqualTo(r.timeMillis());
            assertThat(line.get("msg")).isEqualTo(MAPPER.readTree(r.payload()));
        }
        JsonNode index = ArchiveFiles.json(stream("room-a").resolve("1.idx"));
        assertThat(index.get("firstOffset").asLong()).isEqualTo(1);
        assertThat(index.get("lastOffset").asLong()).isEqualTo(3);
        assertThat(index.get("minTime").asLong()).isEqualTo(batch.get(0).timeMillis());
        assertThat(index.get("maxTime").asLong()).isEqualTo(batch.get(2).timeMillis());
        assertThat(index.get("records").asLong()).isEqualTo(3);
        assertThat(index.get("rooms")).containsExactly(MAPPER.readTree("\"room-a\""));
        assertThat(streamOffsets(stream("room-b"))).containsExactly(1L, 2L);
        assertThat(counter("danmaku.storage.archive.records")).isEqualTo(5);
    }

    @Test
    void rollsASegmentBeforeItWouldExceedTheMaximumSize() {
        ArchiveWriter w = writer(1024, TEN_MINUTES);

        for (long first = 1; first <= 40; first += 5) {
            w.append(records("room-a", first, first + 4)).join();
        }

        List<Path> finals = finals(stream("room-a"));
        assertThat(finals).hasSizeGreaterThan(3);
        long expectedFirst = 1;
        for (Path segment : finals) {
            List<JsonNode> lines = lines(segment);
            assertThat(ArchiveFiles.firstOffset(segment)).isEqualTo(expectedFirst);
            assertThat(lines.get(0).get("offset").asLong()).isEqualTo(expectedFirst);
            JsonNode index = ArchiveFiles.json(segment.resolveSibling(expectedFirst + ".idx"));
            assertThat(index.get("bytes").asLong()).isLessThanOrEqualTo(1024).isGreaterThan(1024 - 300);
            expectedFirst = lines.get(lines.size() - 1).get("offset").asLong() + 1;
        }
        assertThat(streamOffsets(stream("room-a"))).containsExactlyElementsOf(offsets(1, 40));
        assertThat(meters.counter("danmaku.storage.archive.rolls", "reason", "size").count())
                .isEqualTo(finals.size());
    }

    @Test
    void rollsASegmentOnceItIsOlderThanTheMaximumAge() {
        ArchiveWriter w = writer(MIB_64, Duration.ofMinutes(1));
        w.append(records("room-a", 1, 3)).join();
        clock.advance(Duration.ofSeconds(30));
        w.append(records("room-a", 4, 5)).join();
        assertThat(w.rollExpired().join()).isZero();
        assertThat(names(stream("room-a"))).containsExactly("1.ndjson.open");

        clock.advance(Duration.ofSeconds(30));
        w.append(records("room-a", 6, 6)).join();

        assertThat(names(stream("room-a"))).containsExactly("1.idx", "1.ndjson.zst", "6.ndjson.open");
        assertThat(lines(stream("room-a").resolve("1.ndjson.zst"))).extracting(n -> n.get("offset").asLong())
                .containsExactly(1L, 2L, 3L, 4L, 5L);

        clock.advance(Duration.ofMinutes(1));
        assertThat(w.rollExpired().join()).isEqualTo(1);
        assertThat(names(stream("room-a"))).containsExactly("1.idx", "1.ndjson.zst", "6.idx", "6.ndjson.zst");
        assertThat(streamOffsets(stream("room-a"))).containsExactlyElementsOf(offsets(1, 6));
        assertThat(meters.counter("danmaku.storage.archive.rolls", "reason", "age").count()).isEqualTo(2);
    }

    @Test
    void aBatchDeliveredAgainIsSkipped() {
        ArchiveWriter w = writer(MIB_64, TEN_MINUTES);
        w.append(records("room-a", 1, 5)).join();

        w.append(records("room-a", 1, 7)).join();
        w.append(records("room-a", 3, 4)).join();

        assertThat(streamOffsets(stream("room-a"))).containsExactlyElementsOf(offsets(1, 7));
        assertThat(counter("danmaku.storage.archive.skipped")).isEqualTo(7);
        assertThat(counter("danmaku.storage.archive.records")).isEqualTo(7);
    }

    @Test
    void afterACrashThatTornTheLastLineARestartLeavesNoGapAndNoDuplicate() throws Exception {
        ArchiveWriter crashed = writer(MIB_64, TEN_MINUTES);
        crashed.append(records("room-a", 1, 5)).join();
        crashed.append(records("room-a", 6, 10)).join();
        // kill -9: the writer stops without closing anything, and the last line is only partly on disk
        crashed.halt();
        Path open = stream("room-a").resolve("1.ndjson.open");
        long size = Files.size(open);
        try (FileChannel ch = FileChannel.open(open, StandardOpenOption.WRITE)) {
            ch.truncate(size - 25);
        }

        ArchiveWriter restarted = writer(MIB_64, TEN_MINUTES);
        assertThat(streamOffsets(stream("room-a"))).containsExactlyElementsOf(offsets(1, 9));
        assertThat(counter("danmaku.storage.archive.truncated.bytes")).isPositive();
        // the bus delivers the unacknowledged batch again, then goes on
        restarted.append(records("room-a", 6, 10)).join();
        restarted.append(records("room-a", 11, 12)).join();

        assertThat(streamOffsets(stream("room-a"))).containsExactlyElementsOf(offsets(1, 12));
        clock.advance(TEN_MINUTES);
        restarted.rollExpired().join();
        assertThat(names(stream("room-a"))).containsExactly("1.idx", "1.ndjson.zst");
        assertThat(streamOffsets(stream("room-a"))).containsExactlyElementsOf(offsets(1, 12));
    }

    @Test
    void afterACrashThatLeftGarbageBehindTheLastLineRecoveryKeepsTheCompleteLines() throws Exception {
        ArchiveWriter crashed = writer(MIB_64, TEN_MINUTES);
        crashed.append(records("room-a", 1, 4)).join();
        crashed.halt();
        Path open = stream("room-a").resolve("1.ndjson.open");
        // blocks allocated but never written by the crashed process read back as zeros
        Files.write(open, new byte[300], StandardOpenOption.APPEND);
        Files.write(open, "\n{\"room\":\"room-a\",\"offset\":5}\n".getBytes(StandardCharsets.UTF_8),
                StandardOpenOption.APPEND);

        ArchiveWriter restarted = writer(MIB_64, TEN_MINUTES);
        restarted.append(records("room-a", 1, 6)).join();

        assertThat(streamOffsets(stream("room-a"))).containsExactlyElementsOf(offsets(1, 6));
    }

    @Test
    void afterACrashBetweenCompressingAndDeletingTheOpenFileTheFinalOneWins() throws Exception {
        ArchiveWriter crashed = writer(MIB_64, TEN_MINUTES);
        crashed.append(records("room-a", 1, 10)).join();
        Path dir = stream("room-a");
        byte[] openCopy = Files.readAllBytes(dir.resolve("1.ndjson.open"));
        clock.advance(TEN_MINUTES);
        crashed.rollExpired().join();
        crashed.halt();
        // as if the crash came after the rename of the final file, before its index and the open file's deletion
        Files.write(dir.resolve("1.ndjson.open"), openCopy);
        Files.delete(dir.resolve("1.idx"));
        Files.write(dir.resolve("1.idx.tmp"), "{\"vers".getBytes(StandardCharsets.UTF_8));
        assertThat(names(dir)).containsExactly("1.idx.tmp", "1.ndjson.open", "1.ndjson.zst");

        ArchiveWriter restarted = writer(MIB_64, TEN_MINUTES);
        assertThat(names(dir)).containsExactly("1.idx", "1.ndjson.zst");
        JsonNode index = ArchiveFiles.json(dir.resolve("1.idx"));
        assertThat(index.get("lastOffset").asLong()).isEqualTo(10);
        assertThat(index.get("records").asLong()).isEqualTo(10);
        restarted.append(records("room-a", 1, 10)).join();
        restarted.append(records("room-a", 11, 13)).join();

        assertThat(names(dir)).containsExactly("1.idx", "1.ndjson.zst", "11.ndjson.open");
        assertThat(streamOffsets(dir)).containsExactlyElementsOf(offsets(1, 13));
    }

    @Test
    void afterACrashDuringCompressionTheOpenFileGoesOn() throws Exception {
        ArchiveWriter crashed = writer(MIB_64, TEN_MINUTES);
        crashed.append(records("room-a", 1, 5)).join();
        crashed.halt();
        Path dir = stream("room-a");
        Files.write(dir.resolve("1.ndjson.zst.tmp"), new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 1, 2});

        ArchiveWriter restarted = writer(MIB_64, TEN_MINUTES);
        restarted.append(records("room-a", 4, 8)).join();

        assertThat(names(dir)).containsExactly("1.ndjson.open");
        assertThat(streamOffsets(dir)).containsExactlyElementsOf(offsets(1, 8));
    }

    @Test
    void anUnreadableFinalSegmentIsSetAsideAndItsOpenCopyKept() throws Exception {
        ArchiveWriter crashed = writer(MIB_64, TEN_MINUTES);
        crashed.append(records("room-a", 1, 5)).join();
        crashed.halt();
        Path dir = stream("room-a");
        Files.write(dir.resolve("1.ndjson.zst"), new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 1, 2, 3});

        ArchiveWriter restarted = writer(MIB_64, TEN_MINUTES);
        restarted.append(records("room-a", 1, 6)).join();

        assertThat(names(dir)).containsExactly("1.ndjson.open", "1.ndjson.zst.corrupt");
        assertThat(streamOffsets(dir)).containsExactlyElementsOf(offsets(1, 6));
    }

    @Test
    void aNewEpochOfAStreamGetsItsOwnDirectoryAndTheOldOneStaysReadable() {
        ArchiveWriter w = writer(MIB_64, TEN_MINUTES, r -> "danmaku.room-messages/0");
        w.append(List.of(record("room-a", 5, "topicA-0"), record("room-a", 6, "topicA-0"))).join();

        // the topic was deleted and created again: offsets start over under a new epoch
        w.append(List.of(record("room-a", 0, "topicB-0"), record("room-a", 1, "topicB-0"))).join();

        Path current = root.resolve("danmaku.room-messages/0");
        Path retired = root.resolve("danmaku.room-messages/0.epoch-topicA-0");
        assertThat(names(current)).containsExactly("0.ndjson.open");
        assertThat(streamLines(current)).extracting(n -> n.get("epoch").asText() + "/" + n.get("offset").asLong())
                .containsExactly("topicB-0/0", "topicB-0/1");
        assertThat(names(retired)).containsExactly("5.idx", "5.ndjson.zst");
        assertThat(streamOffsets(retired)).containsExactly(5L, 6L);
        ArchiveSlice all = w.reader().read("room-a", 0, Long.MAX_VALUE, 10).join();
        assertThat(all.records()).extracting(r -> r.epoch() + "/" + r.offset())
                .containsExactly("topicB-0/0", "topicB-0/1", "topicA-0/5", "topicA-0/6");
    }

    @Test
    void payloadsThatAreNotCompactJsonObjectsStillMakeOneValidLineEach() {
        ArchiveWriter w = writer(MIB_64, TEN_MINUTES);
        byte[] pretty = "{\n  \"id\": \"p\",\n  \"text\": \"two\\nlines\"\n}".getBytes(StandardCharsets.UTF_8);
        byte[] notJson = "not json\nat all".getBytes(StandardCharsets.UTF_8);
        w.append(List.of(new RoomRecord("room-a", 1, EPOCH, 1000, pretty),
                new RoomRecord("room-a", 2, EPOCH, 2000, notJson))).join();

        List<JsonNode> lines = streamLines(stream("room-a"));
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0).get("msg").get("text").asText()).isEqualTo("two\nlines");
        assertThat(lines.get(1).get("msg").asText()).isEqualTo("not json\nat all");
        List<RoomRecord> read = w.reader().read("room-a", 0, 5000, 10).join().records();
        assertThat(read).extracting(RoomRecord::payloadText)
                .containsExactly("{\"id\":\"p\",\"text\":\"two\\nlines\"}", "not json\nat all");

        w.close();
        ArchiveWriter restarted = writer(MIB_64, TEN_MINUTES);
        restarted.append(List.of(new RoomRecord("room-a", 3, EPOCH, 3000, pretty))).join();
        assertThat(streamOffsets(stream("room-a"))).containsExactly(1L, 2L, 3L);
    }

    @Test
    void theReaderFindsOneRoomAmongManyInAPartitionStream() {
        ArchiveWriter w = writer(32 * 1024, TEN_MINUTES, r -> "danmaku.room-messages/1");
        long offset = 0;
        for (int round = 0; round < 3; round++) {
            List<RoomRecord> batch = new ArrayList<>();
            for (int room = 0; room < 100; room++) {
                RoomRecord r = record("room-" + room, offset++);
                batch.add(r);
            }
            w.append(batch).join();
        }

        List<RoomRecord> found = w.reader().read("room-42", 0, Long.MAX_VALUE, 100).join().records();

        assertThat(finals(root.resolve("danmaku.room-messages/1"))).hasSizeGreaterThan(1);
        assertThat(found).extracting(RoomRecord::offset).containsExactly(42L, 142L, 242L);
        assertThat(found).allSatisfy(r -> assertThat(r.room()).isEqualTo("room-42"));
        assertThat(w.reader().read("room-missing", 0, Long.MAX_VALUE, 100).join().records()).isEmpty();
    }

    @Test
    void theReaderReturnsTheEarliestRecordsOfTheRangeAndSaysWhenThereAreMore() {
        ArchiveWriter w = writer(1024, TEN_MINUTES);
        w.append(records("room-a", 1, 30)).join();
        long t5 = record("room-a", 5).timeMillis();
        long t20 = record("room-a", 20).timeMillis();

        ArchiveSlice first = w.reader().read("room-a", t5, t20, 5).join();
        ArchiveSlice whole = w.reader().read("room-a", t5, t20, 16).join();

        assertThat(first.records()).extracting(RoomRecord::offset).containsExactlyElementsOf(offsets(5, 9));
        assertThat(first.truncated()).isTrue();
        assertThat(whole.records()).extracting(RoomRecord::offset).containsExactlyElementsOf(offsets(5, 20));
        assertThat(whole.truncated()).isFalse();
        assertThat(whole.records().get(0).payloadText()).contains("\"text\":\"message 5 弹幕\"");
    }

    @Test
    void manyStreamsDoNotHoldAFileDescriptorEach() throws Exception {
        Path fds = Path.of("/proc/self/fd");
        assumeTrue(Files.isDirectory(fds), "needs /proc to count descriptors");
        ArchiveWriter w = writer(MIB_64, TEN_MINUTES);
        int rooms = ArchiveWriter.MAX_OPEN_FILES + 44;

        for (long offset = 1; offset <= 2; offset++) {
            List<RoomRecord> batch = new ArrayList<>();
            for (int room = 0; room < rooms; room++) {
                batch.add(record("room-" + room, offset));
            }
            w.append(batch).join();
        }

        assertThat(openFilesUnder(fds)).isLessThanOrEqualTo(ArchiveWriter.MAX_OPEN_FILES);
        for (int room = 0; room < rooms; room++) {
            assertThat(streamOffsets(stream("room-" + room))).as("room-" + room).containsExactly(1L, 2L);
        }
    }

    /** Open segment files this process has open. */
    private long openFilesUnder(Path fds) throws Exception {
        long n = 0;
        try (var links = Files.list(fds)) {
            for (Path link : links.toList()) {
                try {
                    Path target = Files.readSymbolicLink(link);
                    if (target.startsWith(root.toRealPath()) && target.toString().endsWith(".ndjson.open")) {
                        n++;
                    }
                } catch (IOException e) {
                    // closed while listing
                }
            }
        }
        return n;
    }

    @Test
    void segmentsAnOperatorPrunedAreNoLongerRead() throws Exception {
        ArchiveWriter w = writer(1024, TEN_MINUTES);
        w.append(records("room-a", 1, 30)).join();
        Path first = finals(stream("room-a")).get(0);
        long nextFirst = ArchiveFiles.firstOffset(finals(stream("room-a")).get(1));

        Files.delete(first);
        Files.delete(first.resolveSibling("1.idx"));
        ArchiveSlice after = w.reader().read("room-a", 0, Long.MAX_VALUE, 100).join();

        assertThat(after.records()).extracting(RoomRecord::offset).containsExactlyElementsOf(offsets(nextFirst, 30));
        assertThat(w.reader().read("room-a", 0, Long.MAX_VALUE, 100).join().records()).hasSize(after.records().size());
    }

    @Test
    void aSecondWriterOnTheSameDirectoryIsRefused() {
        ArchiveWriter first = writer(MIB_64, TEN_MINUTES);
        first.append(records("room-a", 1, 2)).join();
        ArchiveWriter second = new ArchiveWriter(root, MIB_64, TEN_MINUTES, r -> r.epoch() + "/" + r.room(), clock,
                meters);
        writers.add(second);

        assertThatThrownBy(() -> second.start().join())
                .cause()
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("is in use by another storage process");
        assertThatThrownBy(() -> second.append(records("room-a", 3, 3)).join())
                .cause()
                .isInstanceOf(StorageException.class);

        first.close();
        ArchiveWriter third = writer(MIB_64, TEN_MINUTES);
        third.append(records("room-a", 2, 3)).join();
        assertThat(streamOffsets(stream("room-a"))).containsExactly(1L, 2L, 3L);
    }

    @Test
    void aStreamThatIsNotARelativePathIsRefused() {
        ArchiveWriter w = writer(MIB_64, TEN_MINUTES, r -> "../outside");

        assertThatThrownBy(() -> w.append(records("room-a", 1, 1)).join())
                .isInstanceOf(CompletionException.class)
                .cause()
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("stream \"../outside\"");
        assertThat(Files.exists(root.resolveSibling("outside"))).isFalse();
    }

    @Test
    void opensNothingForAnEmptyBatchAndFailsAfterClose() {
        ArchiveWriter w = writer(MIB_64, TEN_MINUTES);
        w.append(List.of()).join();
        assertThat(names(root)).containsExactly(".lock");

        w.close();

        assertThatThrownBy(() -> w.append(records("room-a", 1, 1)).join())
                .cause().isInstanceOf(StorageException.class).hasMessageContaining("closed");
    }
}
