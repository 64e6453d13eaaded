package io.danmaku.gateway.room;

import io.danmaku.protocol.Retraction;
import io.danmaku.protocol.RoomRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The newest records of one room, for recovery without a hot store round trip. Written by the bus thread,
 * read by event loops when a member subscribes (rare next to deliveries), hence a plain lock.
 *
 * <p>{@code coveredFrom}: every record of the current epoch with an offset greater than this is held. Before
 * the first record it is unknown (-1). After the first record {@code F} it is {@code F - 1}: no record of
 * the room lies strictly between {@code F - 1} and {@code F}. After evicting record {@code X} it is {@code X}.
 *
 * <p>In a sampled room the ring holds everything (recovery is never sampled) and remembers which records the sample
 * left out and whose they were, so that a member catching up live ({@link #sampledSnapshot}) gets what it would
 * have got had it kept up: the sample and its own posts, not the whole room at once.
 */
final class RecentRing {
    /** The author of a left-out record that had none (nobody's own post). */
    private static final String NO_AUTHOR = "";

    private final RoomRecord[] slots;
    /** Per slot: null when the record was in the sample (or the room is not sampled), else its author or NO_AUTHOR. */
    private final String[] leftOut;
    private int head;
    private int size;
    private long coveredFrom = -1;
    private String epoch;

    RecentRing(int capacity) {
        this.slots = new RoomRecord[Math.max(capacity, 0)];
        this.leftOut = new String[slots.length];
    }

    synchronized void append(List<RoomRecord> records) {
        append(records, List.of());
    }

    /**
     * Appends {@code records}, marking those of {@code sampledOut} (the posts a sampled room's fan-out left out, with
     * their authors) as left out; both ascending by offset ({@link FanoutBatch}).
     */
    synchronized void append(List<RoomRecord> records, List<FanoutBatch.OwnPost> sampledOut) {
        if (slots.length == 0) {
            return;
        }
        int next = 0; // both lists ascend by offset: one walk marks the left-out records
        for (RoomRecord r : records) {
            if (epoch == null || !epoch.equals(r.epoch())) {
                java.util.Arrays.fill(slots, null);
                java.util.Arrays.fill(leftOut, null);
                head = 0;
                size = 0;
                epoch = r.epoch();
                coveredFrom = r.offset() - 1;
            } else if (size > 0 && r.offset() <= slots[(head + size - 1) % slots.length].offset()) {
                continue; // already held (a replayed record)
            }
            if (size == slots.length) {
                coveredFrom = slots[head].offset();
                slots[head] = null;
                leftOut[head] = null;
                head = (head + 1) % slots.length;
                size--;
            }
            slots[(head + size) % slots.length] = r;
            while (next < sampledOut.size() && sampledOut.get(next).record().offset() < r.offset()) {
                next++;
            }
            String author = null;
            if (next < sampledOut.size() && sampledOut.get(next).record().offset() == r.offset()) {
                author = sampledOut.get(next).author() == null ? NO_AUTHOR : sampledOut.get(next).author();
            }
            leftOut[(head + size) % slots.length] = author;
            size++;
            if (Retraction.isRetraction(r.payload())) {
                forget(Retraction.ids(r.payload()));
            }
        }
    }

    /**
     * Drops the held records whose message id is in {@code ids} (a retraction came): a member recovering from the
     * ring does not get them back. The coverage stays: nothing the room still has is missing.
     */
    private void forget(List<String> ids) {
        if (ids.isEmpty()) {
            return;
        }
        Set<String> gone = Set.copyOf(ids);
        int kept = 0;
        for (int i = 0; i < size; i++) {
            RoomRecord r = slots[(head + i) % slots.length];
            String id = Retraction.messageId(r.payload());
            if (id == null || !gone.contains(id)) {
                leftOut[(head + kept) % slots.length] = leftOut[(head + i) % slots.length];
                slots[(head + kept) % slots.length] = r;
                kept++;
            }
        }
        for (int i = kept; i < size; i++) {
            slots[(head + i) % slots.length] = null;
            leftOut[(head + i) % slots.length] = null;
        }
        size = kept;
    }

    /** Every held record after {@code offset}, with the ring's coverage (recovery: never sampled). */
    synchronized RingSnapshot snapshot(long offset) {
        return snapshot(offset, false, null);
    }

    /**
     * The held records after {@code offset} that a member of a sampled room gets live: those in the sample, and the
     * left-out posts of {@code userId} (none when null). Coverage and {@code top} are the whole ring's.
     */
    synchronized RingSnapshot sampledSnapshot(long offset, String userId) {
        return snapshot(offset, true, userId);
    }

    private RingSnapshot snapshot(long offset, boolean sampled, String userId) {
        List<RoomRecord> after = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            int k = (head + i) % slots.length;
            RoomRecord r = slots[k];
            if (r.offset() > offset && (!sampled || leftOut[k] == null || leftOut[k].equals(userId))) {
                after.add(r);
            }
        }
        long top = size == 0 ? -1 : slots[(head + size - 1) % slots.length].offset();
        return new RingSnapshot(epoch, coveredFrom, top, after);
    }
}
