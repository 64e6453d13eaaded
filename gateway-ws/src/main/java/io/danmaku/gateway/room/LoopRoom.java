package io.danmaku.gateway.room;

import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.store.PresenceMember;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One room's members on one event loop, and the batch being accumulated for them. Confined to the loop.
 */
final class LoopRoom {
    /**
     * Wire formats encoded once per batch and shared (Centrifugo JSON, Bilibili uncompressed, zlib and brotli,
     * the two unidirectional HTTP streams, with room to spare); a member with a further one gets its own encoding.
     */
    static final int SHARED_ENCODERS = 8;

    final String name;
    private final LoopShard shard;
    private final ArrayList<RoomSubscription> subs = new ArrayList<>();
    private ArrayList<RoomRecord> pending = new ArrayList<>();
    private boolean flushScheduled;
    /** When the last flush ended (the next is spaced from it), and what writing a batch costs (smoothed). */
    private long lastFlushNanos;
    private long flushCostNanos;
    /** The shared frames of the batch being flushed, by encoder; empty between flushes. */
    private final BatchEncoder[] sharedEncoders = new BatchEncoder[SHARED_ENCODERS];
    private final ByteBuf[] sharedFrames = new ByteBuf[SHARED_ENCODERS];
    /**
     * The permessage-deflate form of each shared frame, made at the first member that negotiated the extension
     * (null when that was not worth it: such members then get the plain frame), and whether it was tried.
     */
    private final ByteBuf[] deflatedFrames = new ByteBuf[SHARED_ENCODERS];
    private final boolean[] deflateTried = new boolean[SHARED_ENCODERS];

    LoopRoom(String name, LoopShard shard) {
        this.name = name;
        this.shard = shard;
        this.lastFlushNanos = System.nanoTime() - shard.batching.maxWindowNanos() - 1;
    }

    int size() {
        return subs.size();
    }

    void add(RoomSubscription s) {
        s.index = subs.size();
        subs.add(s);
    }

    /** Swap-remove: O(1), order of members does not matter. */
    void remove(RoomSubscription s) {
        int i = s.index;
        if (i < 0 || i >= subs.size() || subs.get(i) != s) {
            return;
        }
        RoomSubscription last = subs.remove(subs.size() - 1);
        if (last != s) {
            subs.set(i, last);
            last.index = i;
        }
        s.index = -1;
    }

    void enqueue(List<RoomRecord> records) {
        pending.addAll(records);
        if (flushScheduled && pending.size() < shard.batching.maxMessages()) {
            return; // the scheduled flush takes these too
        }
        long now = System.nanoTime();
        long due = lastFlushNanos + shard.batching.windowFor(flushCostNanos);
        if (pending.size() >= shard.batching.maxMessages() || now - due >= 0) {
            flush(now);
        } else {
            flushScheduled = true;
            shard.loop.schedule(this::scheduledFlush, due - now, TimeUnit.NANOSECONDS);
        }
    }

    private void scheduledFlush() {
        flushScheduled = false;
        flush(System.nanoTime());
    }

    /** Writes the pending batch to every member at once (drain). */
    void flush() {
        flush(System.nanoTime());
    }

    /**
     * Writes the pending batch to every member: encoded once per wire format (and deflated once more for the
     * members that negotiated permessage-deflate), one write and flush per member. Remembers when
     * (the next frame is spaced from it) and how long it took (big rooms get a longer window).
     */
    private void flush(long nowNanos) {
        if (pending.isEmpty()) {
            return;
        }
        List<RoomRecord> batch = pending;
        pending = new ArrayList<>();
        if (subs.isEmpty()) {
            return;
        }
        long first = batch.get(0).offset();
        long last = batch.get(batch.size() - 1).offset();
        // One slot per wire format in use, filled on first use: each format is encoded once for the batch.
        int slots = 0;
        long delivered = 0;
        long frames = 0;
        long skipped = 0;
        try {
            for (int i = 0, n = subs.size(); i < n; i++) {
                RoomSubscription s = subs.get(i);
                if (s.recovering()) {
                    s.buffer(batch);
                    continue;
                }
                if (s.lastOffset >= last) {
                    continue;
                }
                Member m = s.member;
                Channel ch = m.channel();
                if (!ch.isWritable()) {
                    skipped += batch.size();
                    m.onSkippedBatch(nowNanos);
                    continue;
                }
                BatchEncoder enc = m.encoder();
                ByteBuf out;
                int count;
                if (s.lastOffset >= first) {
                    // joined mid-batch (after a recovery): only the part it does not have, encoded for it alone
                    List<RoomRecord> tail = tail(batch, s.lastOffset);
                    out = enc.encode(ch.alloc(), name, tail);
                    count = tail.size();
                } else {
                    ByteBuf shared = null;
                    int slot = -1;
                    for (int k = 0; k < slots; k++) {
                        if (sharedEncoders[k] == enc) {
                            shared = sharedFrames[k];
                            slot = k;
                            break;
                        }
                    }
                    if (shared == null && slots < SHARED_ENCODERS) {
                        shared = enc.encode(shard.frameAlloc, name, batch);
                        sharedEncoders[slots] = enc;
                        sharedFrames[slots] = shared;
                        slot = slots;
                        slots++;
                    }
                    if (shared != null && m.permessageDeflate() && enc.compressible()) {
                        // deflated once per batch and format, at the first member that can take it
                        if (!deflateTried[slot]) {
                            deflateTried[slot] = true;
                            deflatedFrames[slot] = shard.deflate(shared);
                        }
                        if (deflatedFrames[slot] != null) {
                            shared = deflatedFrames[slot];
                        }
                    }
                    out = shared != null ? shared.retainedDuplicate() : enc.encode(ch.alloc(), name, batch);
                    count = batch.size();
                }
                ch.writeAndFlush(out, ch.voidPromise());
                s.lastOffset = last;
                delivered += count;
                frames++;
            }
        } finally {
            for (int k = 0; k < slots; k++) {
                sharedFrames[k].release();
                sharedFrames[k] = null;
                sharedEncoders[k] = null;
                if (deflatedFrames[k] != null) {
                    deflatedFrames[k].release();
                    deflatedFrames[k] = null;
                }
                deflateTried[k] = false;
            }
        }
        long cost = System.nanoTime() - nowNanos;
        // smoothed over a few flushes so one preempted flush does not stretch the window alone
        flushCostNanos = flushCostNanos == 0 ? cost : flushCostNanos + ((cost - flushCostNanos) >> 2);
        // the next frame is spaced from the end of this flush: however long writing took, the loop (and the
        // members reading) get at least the window before this room's next flush
        lastFlushNanos = nowNanos + cost;
        shard.recordBatch(batch, delivered, frames, skipped, cost);
    }

    private static List<RoomRecord> tail(List<RoomRecord> batch, long after) {
        int i = 0;
        while (i < batch.size() && batch.get(i).offset() <= after) {
            i++;
        }
        return batch.subList(i, batch.size());
    }

    /** Called when the last member left: pending messages have no one to go to. */
    void discard() {
        pending = new ArrayList<>();
    }

    /**
     * Hands a join or leave push to each member that asked for them and is not still recovering (its subscribe
     * answer has not gone out yet); the bytes are shared by all of them.
     */
    void pushJoinLeave(byte[] push) {
        for (int i = 0, n = subs.size(); i < n; i++) {
            RoomSubscription s = subs.get(i);
            if (s.joinLeave && !s.recovering()) {
                s.member.pushJoinLeave(push);
            }
        }
    }

    /** Adds every member's presence entry to {@code out} (members without one are left out). */
    void collectPresence(List<PresenceMember> out) {
        for (RoomSubscription s : subs) {
            PresenceMember m = s.member.presence();
            if (m != null) {
                out.add(m);
            }
        }
    }
}
