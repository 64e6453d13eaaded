package io.danmaku.gateway.protocol.bilibili;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.RoomRecord;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Each record's op-5 packet ({@link CommandJson#packet}), built once and shared by the plain, zlib and brotli
 * encoders on every event loop: a batch reaches each loop as the same record objects, and each form of each
 * loop needs the same packets.
 *
 * <p>A fixed table of slots, each holding at most one record's packet. A record is found by identity (the
 * slot is chosen from its room and offset, so a room's consecutive records take consecutive slots); any other
 * record in its slot, same offset or not, is a miss, and the packet built for it replaces the slot's entry.
 * The table holds records weakly: once the rings have dropped a record and the collector has taken it, its
 * slot is emptied on a later miss. Memory is bounded by {@code slots} × {@code maxCachedBytes}; larger packets
 * are built each time they are needed and not kept.
 *
 * <p>Thread-safe without locks: entries are immutable and published with release/acquire; two loops that
 * miss the same record at once both build it (the same bytes) and the last one stays.
 */
final class CommandPacketCache {
    /** Enough for several windows' worth of batches of busy rooms. */
    static final int DEFAULT_SLOTS = 1024;
    /** A danmaku's packet is ~1-2 KB; large custom events are not kept. */
    static final int DEFAULT_MAX_CACHED_BYTES = 8 * 1024;
    /** The instance the encoders share. */
    static final CommandPacketCache SHARED = new CommandPacketCache(DEFAULT_SLOTS, DEFAULT_MAX_CACHED_BYTES);

    private static final int ROOM_SPREAD = 0x9E3779B9;

    private final AtomicReferenceArray<Entry> slots;
    private final int mask;
    private final int maxCachedBytes;
    private final ReferenceQueue<RoomRecord> collected = new ReferenceQueue<>();
    private final LongAdder builds = new LongAdder();

    /**
     * @param slots a power of two, 1..2^20
     * @param maxCachedBytes the largest packet kept, 0.. (0 keeps none)
     */
    CommandPacketCache(int slots, int maxCachedBytes) {
        if (slots < 1 || slots > 1 << 20 || Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots: " + slots + " (expected: a power of two in 1..1048576)");
        }
        if (maxCachedBytes < 0) {
            throw new IllegalArgumentException("maxCachedBytes: " + maxCachedBytes + " (expected: >= 0)");
        }
        this.slots = new AtomicReferenceArray<>(slots);
        this.mask = slots - 1;
        this.maxCachedBytes = maxCachedBytes;
    }

    /**
     * The op-5 packet (header and body) for {@code r}. The array is shared: callers only read it.
     */
    byte[] packet(RoomRecord r) {
        requireNonNull(r, "r");
        int slot = ((int) r.offset() + r.room().hashCode() * ROOM_SPREAD) & mask;
        Entry e = slots.getAcquire(slot);
        if (e != null && e.get() == r) {
            return e.packet;
        }
        byte[] packet = CommandJson.packet(r);
        builds.increment();
        if (packet.length <= maxCachedBytes) {
            slots.setRelease(slot, new Entry(r, collected, slot, packet));
        }
        expungeCollected();
        return packet;
    }

    /** How many packets were built (misses), for tests. */
    long builds() {
        return builds.sum();
    }

    /** Empties the slots whose records have been collected, so their packets go too. */
    private void expungeCollected() {
        for (Reference<? extends RoomRecord> ref; (ref = collected.poll()) != null; ) {
            Entry e = (Entry) ref;
            slots.compareAndSet(e.slot, e, null);
        }
    }

    private static final class Entry extends WeakReference<RoomRecord> {
        final int slot;
        final byte[] packet;

        Entry(RoomRecord record, ReferenceQueue<RoomRecord> queue, int slot, byte[] packet) {
            super(record, queue);
            this.slot = slot;
            this.packet = packet;
        }
    }
}
