package io.danmaku.storage.archive;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every segment of the archive, final and open, by stream and first offset: filled by the writer (which
 * replaces an entry whenever it commits or rolls the segment), read by history reads from any thread. Entries
 * are immutable values; a reader works on a snapshot and looks an entry up again when its file moved.
 */
final class SegmentCatalog {
    /** Oldest first, then by stream and offset, so a read can stop once later segments cannot matter. */
    static final Comparator<Segment> BY_TIME = Comparator.comparingLong(Segment::minTime)
            .thenComparing(Segment::stream)
            .thenComparingLong(Segment::firstOffset);

    private record Key(String stream, long firstOffset) {
    }

    private final ConcurrentHashMap<Key, Segment> segments = new ConcurrentHashMap<>();

    void put(Segment s) {
        segments.put(new Key(s.stream(), s.firstOffset()), s);
    }

    /** Adds {@code s} unless its segment has an entry already. */
    void putIfAbsent(Segment s) {
        segments.putIfAbsent(new Key(s.stream(), s.firstOffset()), s);
    }

    /** Removes the open segment entries of {@code stream}. */
    void removeOpen(String stream) {
        segments.values().removeIf(s -> s.open() && s.stream().equals(stream));
    }

    /** The sealed segments (not open). */
    List<Segment> sealed() {
        List<Segment> out = new ArrayList<>();
        for (Segment s : segments.values()) {
            if (!s.open()) {
                out.add(s);
            }
        }
        return out;
    }

    /** Removes {@code s} if it is still the entry of its segment. */
    void remove(Segment s) {
        segments.remove(new Key(s.stream(), s.firstOffset()), s);
    }

    Segment get(String stream, long firstOffset) {
        return segments.get(new Key(stream, firstOffset));
    }

    /** Moves every entry of stream {@code from} (files in {@code fromDir}) to stream {@code to} in {@code toDir}. */
    void moveStream(String from, String to, Path fromDir, Path toDir) {
        for (Segment s : new ArrayList<>(segments.values())) {
            if (s.stream().equals(from)) {
                put(s.moved(to, toDir.resolve(fromDir.relativize(s.path()))));
                segments.remove(new Key(from, s.firstOffset()), s);
            }
        }
    }

    /** The segments that may hold records of {@code room} timed in [from, to], oldest first. */
    List<Segment> overlapping(String room, long fromMillis, long toMillis) {
        List<Segment> out = new ArrayList<>();
        for (Segment s : segments.values()) {
            if (s.records() > 0 && s.overlaps(fromMillis, toMillis) && s.rooms().mightContain(room)) {
                out.add(s);
            }
        }
        out.sort(BY_TIME);
        return out;
    }

    int size() {
        return segments.size();
    }
}
