package io.danmaku.storage.archive;

import static io.danmaku.storage.archive.ArchiveWriterStoreContract.offsetsOf;
import static io.danmaku.storage.archive.ArchiveWriterStoreContract.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdInputStream;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.contract.MutableClock;
import io.danmaku.storage.StorageException;
import io.danmaku.storage.archive.ArchiveStore.SegmentKey;
import io.danmaku.testkit.s3.S3ProxyServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bucket goes away (its server stopped) and comes back: rolls fail as retriable errors and keep the open
 * segment, reads of sealed segments fail as retriable, and once it is back the same batches (as the bus hands
 * them over again) end up in the bucket exactly once.
 */
class S3ArchiveOutageTest {
    private static final String STREAM = ArchiveWriterStoreContract.TOPIC + "/E-0";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path root;

    private S3ProxyServer s3;
    private S3ArchiveConfig bucket;
    private final MutableClock clock = new MutableClock(ArchiveWriterStoreContract.START);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private ArchiveWriter writer;

    @BeforeEach
    void start() {
        s3 = S3ProxyServer.launch(); // its own server: this test stops it
        bucket = S3ArchiveStoreTest.config(s3, s3.createBucket("outage")).withRefreshInterval(Duration.ZERO);
        writer = new ArchiveWriter(root, new S3ArchiveStore(bucket), Duration.ZERO,
                ArchiveWriterStoreContract.SEGMENT_BYTES, Duration.ofMinutes(10), ArchiveWriterStoreContract.STREAM_OF,
                clock, meters);
        writer.start().join();
    }

    @AfterEach
    void stop() {
        if (writer != null) {
            writer.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    private List<Long> sealedOffsets() throws IOException {
        List<Long> out = new ArrayList<>();
        try (ArchiveStore store = new S3ArchiveStore(bucket)) {
            for (SegmentKey k : store.list(STREAM)) {
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

    @Test
    void whileTheBucketIsDownRollsAndReadsFailRetriablyAndNothingIsLostOrDoubledOnceItIsBack() throws IOException {
        writer.append(records("E-0", 1, 10)).join();
        clock.advance(Duration.ofMinutes(11));
        writer.rollExpired().join();
        assertThat(sealedOffsets()).isEqualTo(LongStream.rangeClosed(1, 10).boxed().toList());

        s3.stop();
        List<RoomRecord> batch = records("E-0", 11, 40); // several segments' worth: a size roll must upload
        assertThatThrownBy(() -> writer.append(batch).join()).isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(StorageException.class)
                .satisfies(e -> assertThat(((StorageException) e).retriable()).isTrue());
        assertThatThrownBy(() -> writer.reader().read("room-a", 0, Long.MAX_VALUE, 1000).join())
                .cause().isInstanceOf(StorageException.class)
                .satisfies(e -> assertThat(((StorageException) e).retriable()).isTrue());
        assertThat(meters.counter("danmaku.storage.archive.write.errors").count()).isPositive();

        s3.start();
        writer.append(batch).join(); // the bus hands the batch over again
        clock.advance(Duration.ofMinutes(11));
        writer.rollExpired().join();

        assertThat(sealedOffsets()).isEqualTo(LongStream.rangeClosed(1, 40).boxed().toList());
        assertThat(writer.reader().read("room-a", 0, Long.MAX_VALUE, 1000).join().records())
                .extracting(RoomRecord::offset).isEqualTo(offsetsOf("room-a", 1, 40));
    }
}
