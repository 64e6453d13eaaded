package io.danmaku.storage.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdInputStream;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.bus.RewindException;
import io.danmaku.storage.archive.ArchiveStore.SegmentKey;
import io.danmaku.testkit.s3.S3ProxyExtension;
import io.danmaku.testkit.s3.S3ProxyServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The archive's store cases on a real S3 API (S3Proxy), plus what a shared bucket adds: writers on two local
 * directories (two storage processes) serve each other's sealed segments, and a stream that moves between them
 * (handed over, or taken from a killed one) ends up in the bucket exactly once per offset.
 */
@ExtendWith(S3ProxyExtension.class)
class S3ArchiveWriterStoreTest extends ArchiveWriterStoreContract {
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String E0 = TOPIC + "/E-0";
    static S3ProxyServer s3;
    String bucket;

    @BeforeAll
    static void server(S3ProxyServer server) {
        s3 = server;
    }

    @BeforeEach
    void newBucket() {
        bucket = s3.createBucket("writer-contract-" + BUCKETS.incrementAndGet());
    }

    @Override
    ArchiveStore newStore(Path dir) {
        // lists the bucket before every read, so a test sees what the other writer sealed at once
        return new S3ArchiveStore(S3ArchiveStoreTest.config(s3, bucket).withRefreshInterval(Duration.ZERO));
    }

    /** The offsets in the bucket's segments of {@code stream}, read from the objects themselves, in order. */
    List<Long> sealedOffsets(String stream) throws IOException {
        List<Long> out = new ArrayList<>();
        try (ArchiveStore store = newStore(root)) {
            for (SegmentKey k : store.list(stream)) {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(new ZstdInputStream(store.open(k)),
                        StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        out.add(MAPPER.readTree(line).get("offset").asLong());
                    }
                }
            }
        }
        return out;
    }

    static List<Long> range(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().toList();
    }

    static long openFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".ndjson.open")).count();
        }
    }

    @Test
    void anotherProcessServesWhatTheFirstSealedButNotItsOpenSegment() {
        ArchiveWriter a = writer(root.resolve("a"), Duration.ZERO);
        ArchiveWriter b = writer(root.resolve("b"), Duration.ZERO);
        a.append(records("E-0", 1, 30)).join();
        rollAll(a);
        a.append(records("E-0", 31, 33)).join(); // still open: only in a's directory (and the hot store)

        assertThat(offsets(b.reader().read("room-a", 0, Long.MAX_VALUE, 1000).join()))
                .isEqualTo(offsetsOf("room-a", 1, 30));
        assertThat(offsets(a.reader().read("room-a", 0, Long.MAX_VALUE, 1000).join()))
                .isEqualTo(offsetsOf("room-a", 1, 33));
    }

    @Test
    void aStreamTakenFromAKilledProcessStartsWhereTheBucketEndsAndHoldsEveryOffsetOnce() throws IOException {
        ArchiveWriter a = writer(root.resolve("a"), Duration.ZERO);
        a.append(records("E-0", 1, 30)).join();
        rollAll(a);
        a.append(records("E-0", 31, 40)).join(); // acknowledged (its offsets committed), not all sealed
        a.halt();
        List<Long> sealed = sealedOffsets(E0);
        long end = sealed.get(sealed.size() - 1);
        assertThat(end).as("the size roll sealed some of 31..40, not all").isBetween(30L, 39L);

        ArchiveWriter b = writer(root.resolve("b"), Duration.ZERO);
        // the group's committed position is 41: the bucket ends before
        assertThatThrownBy(() -> b.append(records("E-0", 41, 50)).join())
                .hasCauseInstanceOf(RewindException.class)
                .cause().satisfies(e -> assertThat(((RewindException) e).from()).isEqualTo(Map.of(E0, end + 1)));
        b.append(records("E-0", end + 1, 50)).join(); // the bus started the partition again there
        rollAll(b);

        assertThat(sealedOffsets(E0)).isEqualTo(range(1, 50));
        assertThat(meters.counter("danmaku.storage.archive.rewinds").count()).isEqualTo(1);
        assertThat(offsets(b.reader().read("room-b", 0, Long.MAX_VALUE, 1000).join()))
                .isEqualTo(offsetsOf("room-b", 1, 50));
    }

    @Test
    void aGapThatIsStillThereAfterOneRewindIsAccepted() throws IOException {
        ArchiveWriter w = writer(root, Duration.ZERO);
        assertThatThrownBy(() -> w.append(records("E-0", 5, 10)).join()).hasCauseInstanceOf(RewindException.class);
        w.append(records("E-0", 5, 10)).join(); // the bus had nothing before 5 (retention deleted it)
        rollAll(w);

        assertThat(sealedOffsets(E0)).isEqualTo(range(5, 10));
    }

    @Test
    void aHandedOverStreamIsSealedForItsNextOwnerAndALostOneIsDropped() throws IOException {
        ArchiveWriter a = writer(root.resolve("a"), Duration.ZERO);
        a.append(records("E-0", 1, 10)).join();
        a.append(records("E-1", 1, 3)).join(); // below the segment size: all in the open segment

        a.release(List.of(E0), true).join();
        a.release(List.of(TOPIC + "/E-1"), false).join();

        assertThat(sealedOffsets(E0)).isEqualTo(range(1, 10));
        assertThat(a.store().list(TOPIC + "/E-1")).as("a lost stream is not written any more").isEmpty();
        assertThat(openFiles(root.resolve("a"))).isZero();
        ArchiveWriter b = writer(root.resolve("b"), Duration.ZERO);
        b.append(records("E-0", 11, 20)).join(); // continues the bucket: no rewind
        rollAll(b);
        assertThat(meters.counter("danmaku.storage.archive.rewinds").count()).isZero();
        assertThat(sealedOffsets(E0)).isEqualTo(range(1, 20));
        assertThat(meters.counter("danmaku.storage.archive.rolls", "reason", "handover").count()).isEqualTo(1);
    }

    @Test
    void aLocalOpenSegmentThatContinuesTheBucketIsKeptAcrossARestartAndAStaleOneIsDropped() throws IOException {
        Path dir = root.resolve("a");
        ArchiveWriter a = writer(dir, Duration.ZERO);
        a.append(records("E-0", 1, 10)).join();
        rollAll(a);
        a.append(records("E-0", 11, 15)).join();
        a.close();

        ArchiveWriter again = writer(dir, Duration.ZERO);
        again.append(records("E-0", 16, 20)).join(); // the group committed 15: no rewind, 11..15 kept locally
        assertThat(meters.counter("danmaku.storage.archive.rewinds").count()).isZero();
        rollAll(again);
        again.close();
        assertThat(sealedOffsets(E0)).isEqualTo(range(1, 20));

        ArchiveWriter other = writer(root.resolve("b"), Duration.ZERO);
        other.append(records("E-0", 21, 22)).join();
        other.halt(); // 21..22 stay in b's directory, unsealed
        ArchiveWriter third = writer(root.resolve("c"), Duration.ZERO);
        // meanwhile another process takes the stream over and seals past b's open segment, which is now stale
        assertThatThrownBy(() -> third.append(records("E-0", 23, 30)).join()).hasCauseInstanceOf(RewindException.class);
        third.append(records("E-0", 21, 30)).join();
        rollAll(third);
        third.close();
        ArchiveWriter back = writer(root.resolve("b"), Duration.ZERO); // b restarts with its old open segment
        back.append(records("E-0", 31, 32)).join();
        rollAll(back);

        assertThat(sealedOffsets(E0)).isEqualTo(range(1, 32));
        assertThat(openFiles(root.resolve("b"))).isZero();
        List<RoomRecord> all = back.reader().read("room-a", 0, Long.MAX_VALUE, 1000).join().records();
        assertThat(all).extracting(RoomRecord::offset).isEqualTo(offsetsOf("room-a", 1, 32));
    }
}
