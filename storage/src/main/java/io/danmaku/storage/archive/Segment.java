package io.danmaku.storage.archive;

import java.nio.file.Path;

/**
 * What the archive knows of one segment file without opening it: its stream, offset and time ranges, size
 * and rooms. An open segment ({@code open}) is the uncompressed file being appended to; {@code bytes} is then
 * its committed (fsync'ed) length, which is all a reader may read of it. A final segment is the compressed file
 * and {@code bytes} its uncompressed size; its {@code path} is null when it lives in a shared store (the bucket).
 *
 * @param minTime the earliest record time in the segment (ms since the epoch); times follow offsets only up to
 *     the clock skew between publishers, so the range is min/max, not first/last
 */
record Segment(String stream, long firstOffset, long lastOffset, String epoch, long minTime, long maxTime,
               long records, long bytes, RoomFilter rooms, Path path, boolean open) {

    boolean overlaps(long fromMillis, long toMillis) {
        return maxTime >= fromMillis && minTime <= toMillis;
    }

    Segment moved(String newStream, Path newPath) {
        return new Segment(newStream, firstOffset, lastOffset, epoch, minTime, maxTime, records, bytes, rooms,
                newPath, open);
    }
}
