package io.danmaku.storage.archive;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the archive's sealed segments live once they are rolled: each a compressed segment and its index, named
 * by stream and first offset. {@link LocalArchiveStore} keeps them in the archive directory itself (the
 * standalone default, one storage process per directory); {@link S3ArchiveStore} in an S3-compatible bucket
 * that every storage process shares ({@link #shared()}), so any of them serves any room's history and a
 * partition that moves to another process finds what the previous one sealed.
 *
 * <p>The index is the commit mark: {@link #put} stores it after its segment, {@link #list} names only segments
 * that have it, and {@link #delete} removes the segment before its index. A segment without its index is a put
 * in progress (or interrupted) and is never read. Methods block (they run on the archive's own threads) and
 * throw {@link NoSuchFileException} for a segment that is not there.
 */
public interface ArchiveStore extends AutoCloseable {

    /** A sealed segment: its stream ({@code MessageBus.streamOf}) and the offset of its first record. */
    record SegmentKey(String stream, long firstOffset) implements Comparable<SegmentKey> {
        @Override
        public int compareTo(SegmentKey o) {
            int c = stream.compareTo(o.stream);
            return c != 0 ? c : Long.compare(firstOffset, o.firstOffset);
        }
    }

    /**
     * Whether several storage processes share this store: then the processes hand streams (partitions) over
     * to each other, and a process keeps no state of a stream it does not consume; see ArchiveWriter.
     */
    boolean shared();

    /**
     * Stores a sealed segment: the compressed file {@code compressed} (which the caller deletes afterwards,
     * unless the store moved it into place), then its index. Replaces a segment of the same key.
     */
    void put(SegmentKey key, Path compressed, byte[] index) throws IOException;

    /** The sealed segments (those with an index) of every stream, sorted by stream and first offset. */
    List<SegmentKey> list() throws IOException;

    /** The sealed segments of {@code stream}, by first offset. */
    List<SegmentKey> list(String stream) throws IOException;

    /** The sealed segments of {@code stream} whose first offset is above {@code afterFirstOffset}. */
    default List<SegmentKey> listAfter(String stream, long afterFirstOffset) throws IOException {
        return list(stream).stream().filter(k -> k.firstOffset() > afterFirstOffset).toList();
    }

    /** The index of a segment, as {@link SegmentIndex} wrote it. */
    byte[] readIndex(SegmentKey key) throws IOException;

    /** The compressed segment, to be read to its end and closed. */
    InputStream open(SegmentKey key) throws IOException;

    /** Removes a segment and then its index; nothing happens when it is already gone. */
    void delete(SegmentKey key) throws IOException;

    /** The directory (or key prefix) of the tombstones, beside the streams: no Kafka topic can have this name. */
    String TOMBSTONES = "@tombstones";

    /**
     * Stores a tombstone of {@code room}: the retraction event {@code content} named {@code name} (its message id),
     * at {@code @tombstones/<room>/<name>.json}. Replaces one of the same name, so a redelivered retraction is a
     * no-op. Tombstones are kept for good (retention prunes segments only).
     */
    void putTombstone(String room, String name, byte[] content) throws IOException;

    /** Every tombstone of {@code room}, as {@link #putTombstone} stored them, in no particular order. */
    List<byte[]> tombstones(String room) throws IOException;

    /** Where the segments are, for logs: a directory, or {@code s3://bucket/prefix} at an endpoint. */
    String describe();

    @Override
    void close();
}
