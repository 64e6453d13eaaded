package io.danmaku.storage.archive;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.contract.MutableClock;
import io.danmaku.storage.archive.ArchiveStore.SegmentKey;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive's cases on each store: what is rolled is served by time after a restart, each record once; retention
 * deletes old sealed segments but never a stream's newest. Run on the archive directory and on a real S3 API.
 */
abstract class ArchiveWriterStoreContract {
    static final Instant START = Instant.parse("2024-05-01T12:00:00Z");
    static final String TOPIC = "danmaku.room-messages";
    static final long SEGMENT_BYTES = 1024;
    static final Function<RoomRecord, String> STREAM_OF = r -> TOPIC + "/" + r.epoch();

    @TempDir
    Path root;

    final MutableClock clock = new MutableClock(START);
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final List<ArchiveWriter> writers = new ArrayList<>();

    /** A store for a writer on {@code dir}; null = the writer's own directory. */
    abstract ArchiveStore newStore(Path dir);

    @AfterEach
    void closeWriters() {
        writers.forEach(ArchiveWriter::close);
    }

    ArchiveWriter writer(Path dir, Duration retention) {
        ArchiveWriter w = new ArchiveWriter(dir, newStore(dir), retention, SEGMENT_BYTES, Duration.ofMinutes(10),
                STREAM_OF, clock, meters);
        writers.add(w);
        w.start().join();
        return w;
    }

    /** A record of partition {@code epoch} at START + offset seconds; rooms alternate a, b, c. */
    static RoomRecord record(String epoch, long offset) {
        String room = "room-" + (char) ('a' + offset % 3);
        long time = START.toEpochMilli() + offset * 1000;
        String json = "{\"id\":\"" + epoch + "-" + offset + "\",\"room\":\"" + room + "\",\"time\":" + time
                + ",\"user\":{\"id\":\"u1\",\"name\":\"Ann\"},\"text\":\"message " + offset + " 弹幕\"}";
        return new RoomRecord(room, offset, epoch, time, json.getBytes(StandardCharsets.UTF_8));
    }

    static List<RoomRecord> records(String epoch, long from, long to) {
        return LongStream.rangeClosed(from, to).mapToObj(o -> record(epoch, o)).toList();
    }

    static List<Long> offsets(ArchiveSlice slice) {
        return slice.records().stream().map(RoomRecord::offset).toList();
    }

    static List<Long> offsetsOf(String room, long from, long to) {
        return LongStream.rangeClosed(from, to).filter(o -> room.equals(record("x", o).room())).boxed().toList();
    }

    /**
     * Appends records that follow a gap in the offsets, as the bus delivers them: a writer on a shared store first
     * asks once for the records before the gap ({@link io.danmaku.protocol.bus.RewindException}); the bus has
     * none, so the same records come again and are taken.
     */
    static void appendAfterGap(ArchiveWriter w, List<RoomRecord> records) {
        try {
            w.append(records).join();
        } catch (java.util.concurrent.CompletionException e) {
            if (!(e.getCause() instanceof io.danmaku.protocol.bus.RewindException)) {
                throw e;
            }
            w.append(records).join();
        }
    }

    /** Advances the clock past the segment age and rolls every open segment. */
    void rollAll(ArchiveWriter w) {
        clock.advance(Duration.ofMinutes(11));
        w.rollExpired().join();
    }

    @Test
    void rolledSegmentsAreServedByTimeAfterARestartEachRecordOnce() {
        ArchiveWriter first = writer(root, Duration.ZERO);
        first.append(records("E-0", 1, 20)).join();
        first.append(records("E-0", 15, 40)).join(); // a redelivery overlapping what is archived
        first.append(records("E-1", 1, 5)).join();
        rollAll(first);
        first.close();

        ArchiveWriter again = writer(root, Duration.ZERO);
        ArchiveSlice a = again.reader().read("room-a", 0, Long.MAX_VALUE, 1000).join();
        assertThat(a.records()).extracting(RoomRecord::epoch).containsOnly("E-0", "E-1");
        assertThat(a.records().stream().filter(r -> r.epoch().equals("E-0")).map(RoomRecord::offset).toList())
                .isEqualTo(offsetsOf("room-a", 1, 40));
        ArchiveSlice window = again.reader().read("room-b", START.toEpochMilli() + 10_000,
                START.toEpochMilli() + 20_000, 1000).join();
        assertThat(window.records()).allMatch(r -> r.timeMillis() >= START.toEpochMilli() + 10_000
                && r.timeMillis() <= START.toEpochMilli() + 20_000);
        assertThat(window.records().stream().filter(r -> r.epoch().equals("E-0")).map(RoomRecord::offset).toList())
                .isEqualTo(offsetsOf("room-b", 10, 20));
        ArchiveSlice limited = again.reader().read("room-c", 0, Long.MAX_VALUE, 3).join();
        assertThat(limited.records()).hasSize(3);
        assertThat(limited.truncated()).isTrue();
    }

    /** A retraction in room-a at {@code offset} (a multiple of 3) deleting the messages {@code ids}. */
    static RoomRecord retraction(String epoch, long offset, String... ids) {
        long time = START.toEpochMilli() + offset * 1000;
        String json = "{\"id\":\"R" + offset + "\",\"room\":\"room-a\",\"time\":" + time
                + ",\"cmd\":\"DELETE\",\"ids\":[\"" + String.join("\",\"", ids) + "\"]}";
        return new RoomRecord("room-a", offset, epoch, time, json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void retractedMessagesAndRetractionsAreLeftOutOfReadsAlsoAfterARestart() {
        ArchiveWriter first = writer(root, Duration.ZERO);
        first.append(records("E-0", 1, 30)).join();
        rollAll(first); // 3 is in a sealed segment
        first.append(records("E-0", 31, 35)).join(); // 33 in the open one
        RoomRecord retraction = retraction("E-0", 36, "E-0-3", "E-0-33", "E-0-999");
        first.append(List.of(retraction)).join();
        first.retract(List.of(retraction)).join();
        first.retract(List.of(retraction)).join(); // a redelivery: the same tombstone

        List<Long> expected = new ArrayList<>(offsetsOf("room-a", 1, 35));
        expected.removeAll(List.of(3L, 33L));
        assertThat(offsets(first.reader().read("room-a", 0, Long.MAX_VALUE, 1000).join()))
                .as("neither the deleted messages nor the retraction").isEqualTo(expected);
        assertThat(offsets(first.reader().read("room-b", 0, Long.MAX_VALUE, 1000).join()))
                .as("other rooms untouched").isEqualTo(offsetsOf("room-b", 1, 35));
        rollAll(first);
        first.close();

        ArchiveWriter again = writer(root, Duration.ZERO);
        assertThat(offsets(again.reader().read("room-a", 0, Long.MAX_VALUE, 1000).join()))
                .as("the tombstones are in the store").isEqualTo(expected);
        assertThat(offsets(again.reader().read("room-a", 0, Long.MAX_VALUE, 2).join()))
                .as("a limit counts what is served").isEqualTo(expected.subList(0, 2));
    }

    @Test
    void retentionDeletesOldSealedSegmentsButNeverTheNewestOfAStream() throws IOException {
        ArchiveWriter w = writer(root, Duration.ofMinutes(15));
        w.append(records("E-0", 1, 40)).join(); // START + 1..40 s, several segments
        w.append(records("E-1", 1, 2)).join(); // a stream whose only segment is old
        rollAll(w);
        appendAfterGap(w, records("E-0", 1100, 1102)); // recent, not the newest
        rollAll(w);
        appendAfterGap(w, records("E-0", 1300, 1302)); // the newest
        rollAll(w); // now START + 33 min: the cutoff is START + 1080 s
        List<SegmentKey> before = w.store().list();
        assertThat(before.stream().filter(k -> k.stream().endsWith("E-0")).count()).isGreaterThan(4);

        int pruned = w.prune().join();

        List<SegmentKey> after = w.store().list();
        assertThat(after).extracting(k -> k.stream() + ":" + k.firstOffset())
                .containsExactly(TOPIC + "/E-0:1100", TOPIC + "/E-0:1300", TOPIC + "/E-1:1");
        assertThat(pruned).isEqualTo(before.size() - after.size());
        for (String room : List.of("room-a", "room-b", "room-c")) {
            List<String> expected = new ArrayList<>();
            for (RoomRecord r : concat(records("E-1", 1, 2), records("E-0", 1100, 1102), records("E-0", 1300, 1302))) {
                if (r.room().equals(room)) {
                    expected.add(r.epoch() + "/" + r.offset());
                }
            }
            assertThat(w.reader().read(room, 0, Long.MAX_VALUE, 1000).join().records())
                    .extracting(r -> r.epoch() + "/" + r.offset()).as(room).containsExactlyElementsOf(expected);
        }
        assertThat(meters.counter("danmaku.storage.archive.pruned").count()).isEqualTo(pruned);
        assertThat(w.prune().join()).as("a second pass finds nothing left to prune").isZero();
    }

    @SafeVarargs
    static List<RoomRecord> concat(List<RoomRecord>... parts) {
        List<RoomRecord> out = new ArrayList<>();
        for (List<RoomRecord> p : parts) {
            out.addAll(p);
        }
        return out;
    }
}
