package io.danmaku.storage.archive;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The running description of a segment's content while it is written or scanned: offsets, times, rooms,
 * count and size. Confined to the thread that fills it, except {@link #rooms}, a concurrent set that an open
 * segment's catalog entry reads.
 */
final class SegmentStats {
    final long firstOffset;
    final Set<String> rooms = ConcurrentHashMap.newKeySet();
    long lastOffset = -1;
    String epoch;
    long firstTime;
    long minTime = Long.MAX_VALUE;
    long maxTime = Long.MIN_VALUE;
    long records;
    long bytes;

    SegmentStats(long firstOffset) {
        this.firstOffset = firstOffset;
    }

    void add(String room, long offset, String epoch, long timeMillis, long lineBytes) {
        if (records == 0) {
            firstTime = timeMillis;
        }
        rooms.add(room);
        lastOffset = offset;
        this.epoch = epoch;
        minTime = Math.min(minTime, timeMillis);
        maxTime = Math.max(maxTime, timeMillis);
        records++;
        bytes += lineBytes;
    }

    /** The catalog entry of the open segment at {@code path} holding the first {@code committedBytes}. */
    Segment open(String stream, Path path, long committedBytes) {
        return new Segment(stream, firstOffset, lastOffset, epoch, minTime, maxTime, records, committedBytes,
                RoomFilter.live(rooms), path, true);
    }

    /** The catalog entry of the final segment at {@code path}. */
    Segment finalSegment(String stream, Path path) {
        return new Segment(stream, firstOffset, lastOffset, epoch, minTime, maxTime, records, bytes,
                RoomFilter.of(rooms), path, false);
    }
}
