package io.danmaku.gateway.room;

import io.danmaku.protocol.RoomRecord;
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
     * with room to spare); a member with a further one gets its own encoding.
     */
    static final int SHARED_ENCODERS = 6;

    final String name;
    private final LoopShard shard;
    private final ArrayList<RoomSubscription> subs = new ArrayList<>();
    private ArrayList<RoomRecord> pending = new ArrayList<>();
    private boolean flushScheduled;
    /** The shared frames of the batch being flushed, by encoder; empty between flushes. */
    private final BatchEncoder[] sharedEncoders = new BatchEncoder[SHARED_ENCODERS];
    private final ByteBuf[] sharedFrames = new ByteBuf[SHARED_ENCODERS];

    LoopRoom(String name, LoopShard shard) {
        this.name = name;
        this.shard = shard;
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
        long windowNanos = shard.batchWindowNanos;
        if (windowNanos == 0 || pending.size() >= shard.batchMaxMessages) {
            flush();
        } else if (!flushScheduled) {
            flushScheduled = true;
            shard.loop.schedule(this::scheduledFlush, windowNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void scheduledFlush() {
        flushScheduled = false;
        flush();
    }

    /** Writes the pending batch to every member: encoded once per wire format, one flush per member. */
    void flush() {
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
        long nowNanos = System.nanoTime();
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
                    for (int k = 0; k < slots; k++) {
                        if (sharedEncoders[k] == enc) {
                            shared = sharedFrames[k];
                            break;
                        }
                    }
                    if (shared == null && slots < SHARED_ENCODERS) {
                        shared = enc.encode(ch.alloc(), name, batch);
                        sharedEncoders[slots] = enc;
                        sharedFrames[slots] = shared;
                        slots++;
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
            }
        }
        shard.recordBatch(batch, delivered, frames, skipped);
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
}
