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
 */
final class RecentRing {
    private final RoomRecord[] slots;
    private int head;
    private int size;
    private long coveredFrom = -1;
    private String epoch;

    RecentRing(int capacity) {
        this.slots = new RoomRecord[Math.max(capacity, 0)];
    }

    synchronized void append(List<RoomRecord> records) {
        if (slots.length == 0) {
            return;
        }
        for (RoomRecord r : records) {
            if (epoch == null || !epoch.equals(r.epoch())) {
                java.util.Arrays.fill(slots, null);
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
                head = (head + 1) % slots.length;
                size--;
            }
            slots[(head + size) % slots.length] = r;
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
                slots[(head + kept) % slots.length] = r;
                kept++;
            }
        }
        for (int i = kept; i < size; i++) {
            slots[(head + i) % slots.length] = null;
        }
        size = kept;
    }

    /** The records after {@code offset} if the ring holds all of them in {@code epoch}, else null. */
    synchronized RingSnapshot snapshot(long offset) {
        List<RoomRecord> after = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            RoomRecord r = slots[(head + i) % slots.length];
            if (r.offset() > offset) {
                after.add(r);
            }
        }
        long top = size == 0 ? -1 : slots[(head + size - 1) % slots.length].offset();
        return new RingSnapshot(epoch, coveredFrom, top, after);
    }
}
