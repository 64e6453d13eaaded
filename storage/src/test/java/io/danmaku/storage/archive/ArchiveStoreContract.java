package io.danmaku.storage.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.storage.archive.ArchiveStore.SegmentKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What every {@link ArchiveStore} does; run on the archive directory and on a real S3 API (S3Proxy). */
abstract class ArchiveStoreContract {
    @TempDir
    Path scratch;

    ArchiveStore store;

    /** A new, empty store. */
    abstract ArchiveStore newStore() throws IOException;

    /** Stores only the segment file of {@code key}, without its index: a put interrupted halfway. */
    abstract void putSegmentOnly(SegmentKey key, byte[] content) throws IOException;

    @BeforeEach
    void open() throws IOException {
        store = newStore();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private Path file(String name, String content) throws IOException {
        return Files.writeString(scratch.resolve(name), content);
    }

    private static String read(InputStream in) throws IOException {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aPutSegmentIsListedAndReadBackWithItsIndex() throws IOException {
        SegmentKey key = new SegmentKey("topic/abc-0", 42);
        store.put(key, file("42.tmp", "segment bytes"), "{\"index\":42}\n".getBytes(StandardCharsets.UTF_8));

        assertThat(store.list()).containsExactly(key);
        assertThat(store.list("topic/abc-0")).containsExactly(key);
        assertThat(read(store.open(key))).isEqualTo("segment bytes");
        assertThat(new String(store.readIndex(key), StandardCharsets.UTF_8)).isEqualTo("{\"index\":42}\n");
    }

    @Test
    void tombstonesAreKeptPerRoomReplacedByNameAndNotListedAsSegments() throws IOException {
        byte[] first = "{\"id\":\"R1\",\"ids\":[\"a\"]}".getBytes(StandardCharsets.UTF_8);
        byte[] second = "{\"id\":\"R2\",\"ids\":[\"b\"]}".getBytes(StandardCharsets.UTF_8);
        store.putTombstone("live:1#u1,u2", "R1", first);
        store.putTombstone("live:1#u1,u2", "R1", first); // a redelivery
        store.putTombstone("live:1#u1,u2", "R2", second);
        store.putTombstone("live:2", "R3", second);

        assertThat(store.tombstones("live:1#u1,u2")).extracting(b -> new String(b, StandardCharsets.UTF_8))
                .containsExactlyInAnyOrder(new String(first, StandardCharsets.UTF_8),
                        new String(second, StandardCharsets.UTF_8));
        assertThat(store.tombstones("live:2")).hasSize(1);
        assertThat(store.tombstones("live:3")).isEmpty();
        assertThat(store.tombstones("live")).as("a prefix of a room is another room").isEmpty();
        assertThat(store.list()).as("tombstones are not segments").isEmpty();
    }

    @Test
    void segmentsAreListedInOffsetOrderPerStreamAndAcrossStreams() throws IOException {
        for (long first : new long[] {1000, 9, 10, 1, 99_999_999_999L}) {
            store.put(new SegmentKey("t/p-1", first), file("s" + first, "x" + first), new byte[] {'{', '}'});
        }
        store.put(new SegmentKey("t/p-0", 5), file("other", "y"), new byte[] {'{', '}'});

        assertThat(store.list("t/p-1")).extracting(SegmentKey::firstOffset)
                .containsExactly(1L, 9L, 10L, 1000L, 99_999_999_999L);
        assertThat(store.list()).extracting(k -> k.stream() + ":" + k.firstOffset())
                .containsExactly("t/p-0:5", "t/p-1:1", "t/p-1:9", "t/p-1:10", "t/p-1:1000", "t/p-1:99999999999");
        assertThat(store.listAfter("t/p-1", 10)).extracting(SegmentKey::firstOffset)
                .containsExactly(1000L, 99_999_999_999L);
        assertThat(store.listAfter("t/p-1", -1)).hasSize(5);
        assertThat(store.list("t/p-2")).isEmpty();
    }

    @Test
    void aSegmentWithoutItsIndexIsNotListed() throws IOException {
        putSegmentOnly(new SegmentKey("t/p-3", 7), "half".getBytes(StandardCharsets.UTF_8));
        store.put(new SegmentKey("t/p-3", 8), file("8", "whole"), new byte[] {'{', '}'});

        assertThat(store.list("t/p-3")).extracting(SegmentKey::firstOffset).containsExactly(8L);
        assertThat(store.list()).extracting(SegmentKey::firstOffset).containsExactly(8L);
    }

    @Test
    void aPutReplacesASegmentOfTheSameKey() throws IOException {
        SegmentKey key = new SegmentKey("t/p-4", 3);
        store.put(key, file("a", "first"), "1".getBytes(StandardCharsets.UTF_8));
        store.put(key, file("b", "second"), "2".getBytes(StandardCharsets.UTF_8));

        assertThat(store.list()).containsExactly(key);
        assertThat(read(store.open(key))).isEqualTo("second");
        assertThat(store.readIndex(key)).containsExactly('2');
    }

    @Test
    void deleteRemovesSegmentAndIndexAndIsANoOpTheSecondTime() throws IOException {
        SegmentKey gone = new SegmentKey("t/p-5", 1);
        SegmentKey kept = new SegmentKey("t/p-5", 2);
        store.put(gone, file("1", "one"), new byte[] {'{', '}'});
        store.put(kept, file("2", "two"), new byte[] {'{', '}'});

        store.delete(gone);
        store.delete(gone);

        assertThat(store.list()).containsExactly(kept);
        assertThatThrownBy(() -> read(store.open(gone))).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> store.readIndex(gone)).isInstanceOf(NoSuchFileException.class);
        assertThat(read(store.open(kept))).isEqualTo("two");
    }

    @Test
    void aMissingSegmentIsNoSuchFile() {
        SegmentKey missing = new SegmentKey("t/p-6", 11);
        assertThatThrownBy(() -> read(store.open(missing))).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> store.readIndex(missing)).isInstanceOf(NoSuchFileException.class);
    }
}
