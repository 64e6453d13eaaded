package io.danmaku.gateway.room;

import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.store.JoinLeaveEvent;
import io.danmaku.protocol.store.PresenceMember;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One room's members on one event loop, and the batch being accumulated for them. Confined to the loop.
 */
final class LoopRoom {
    /**
     * Wire formats encoded once per batch and shared (Centrifugo JSON and Protobuf, Bilibili uncompressed, zlib
     * and brotli, the two unidirectional HTTP streams, with room to spare); a member with a further one gets its own
     * encoding.
     */
    static final int SHARED_ENCODERS = 8;

    final String name;
    /** Whether the room's fan-out is sampled: its members are then also found by user, for their own posts. */
    final boolean sampled;
    private final LoopShard shard;
    private final ArrayList<RoomSubscription> subs = new ArrayList<>();
    private ArrayList<RoomRecord> pending = new ArrayList<>();
    /** Posts the room's sample left out since the last flush, for their authors' connections; null when none. */
    private ArrayList<FanoutBatch.OwnPost> pendingOwn;
    /** Members by user, for a sampled room only (null otherwise): where a left-out post's author is on this loop. */
    private final HashMap<String, ArrayList<RoomSubscription>> byUser;
    /** During a flush: the members given their own left-out posts ({@link RoomSubscription#own}); empty otherwise. */
    private final ArrayList<RoomSubscription> authors = new ArrayList<>();
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

    LoopRoom(String name, LoopShard shard, boolean sampled) {
        this.name = name;
        this.shard = shard;
        this.sampled = sampled;
        this.byUser = sampled ? new HashMap<>() : null;
        this.lastFlushNanos = System.nanoTime() - shard.batching.maxWindowNanos() - 1;
    }

    int size() {
        return subs.size();
    }

    void add(RoomSubscription s) {
        s.index = subs.size();
        subs.add(s);
        if (byUser != null && s.userId != null) {
            byUser.computeIfAbsent(s.userId, u -> new ArrayList<>(1)).add(s);
        }
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
        if (byUser != null && s.userId != null) {
            ArrayList<RoomSubscription> mine = byUser.get(s.userId);
            if (mine != null && mine.remove(s) && mine.isEmpty()) {
                byUser.remove(s.userId);
            }
        }
    }

    void enqueue(FanoutBatch batch) {
        pending.addAll(batch.shared());
        if (!batch.sampledOut().isEmpty()) {
            if (pendingOwn == null) {
                pendingOwn = new ArrayList<>();
            }
            pendingOwn.addAll(batch.sampledOut());
        }
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
     * members that negotiated permessage-deflate), one write and flush per member. In a sampled room the batch is the
     * sample; a member whose own posts the sample left out gets them merged in, encoded for it alone. Remembers when
     * (the next frame is spaced from it) and how long it took (big rooms get a longer window).
     */
    private void flush(long nowNanos) {
        if (pending.isEmpty() && pendingOwn == null) {
            return;
        }
        List<RoomRecord> batch = pending;
        pending = new ArrayList<>();
        List<FanoutBatch.OwnPost> own = pendingOwn;
        pendingOwn = null;
        if (subs.isEmpty()) {
            return;
        }
        if (own != null) {
            attachOwn(own);
        }
        if (batch.isEmpty() && authors.isEmpty()) {
            return; // only posts left out of the sample, and none of their authors is here
        }
        // a batch of left-out posts only goes to their authors
        List<RoomSubscription> targets = batch.isEmpty() ? authors : subs;
        long first = batch.isEmpty() ? Long.MAX_VALUE : batch.get(0).offset();
        long last = batch.isEmpty() ? -1 : batch.get(batch.size() - 1).offset();
        // One slot per wire format in use, filled on first use: each format is encoded once for the batch.
        int slots = 0;
        long delivered = 0;
        long frames = 0;
        long skipped = 0;
        // members behind (batches skipped while unwritable) that are writable again: caught up after the loop,
        // where leaving the room (a member told it fell too far behind) cannot disturb the iteration
        ArrayList<RoomSubscription> catchUps = null;
        long ownDelivered = 0;
        try {
            for (int i = 0, n = targets.size(); i < n; i++) {
                RoomSubscription s = targets.get(i);
                // an author of left-out posts gets the batch with them, in offset order, encoded for it alone
                List<RoomRecord> mine = s.own == null ? batch : withOwn(batch, s);
                if (s.recovering()) {
                    s.buffer(mine);
                    continue;
                }
                Member m = s.member;
                Channel ch = m.channel();
                if (s.behind) {
                    if (ch.isWritable()) {
                        if (catchUps == null) {
                            catchUps = new ArrayList<>();
                        }
                        catchUps.add(s);
                    } else {
                        skipped += mine.size();
                        m.onSkippedBatch(nowNanos);
                    }
                    continue;
                }
                long top = mine == batch ? last : mine.isEmpty() ? -1 : mine.get(mine.size() - 1).offset();
                if (s.lastOffset >= top) {
                    continue;
                }
                if (!ch.isWritable()) {
                    skipped += mine.size();
                    m.onSkippedBatch(nowNanos);
                    // from here on it is behind: its position stays where its last write left it (just before
                    // this batch if it never got one), and it catches up from the ring once writable
                    if (s.lastOffset < 0) {
                        s.lastOffset = mine.get(0).offset() - 1;
                    }
                    s.behindEpoch = mine.get(0).epoch();
                    shard.markBehind(s);
                    continue;
                }
                BatchEncoder enc = m.encoder();
                ByteBuf out;
                int count;
                if (mine != batch) {
                    out = enc.encode(ch.alloc(), name, mine);
                    count = mine.size();
                    ownDelivered += s.own.size();
                } else if (s.lastOffset >= first) {
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
                s.lastOffset = top;
                delivered += count;
                frames++;
            }
        } finally {
            for (int k = 0, n = authors.size(); k < n; k++) {
                authors.get(k).own = null;
            }
            authors.clear();
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
        if (!batch.isEmpty()) {
            shard.recordBatch(batch, delivered, frames, skipped, cost);
        }
        shard.recordOwn(ownDelivered);
        if (catchUps != null) {
            for (RoomSubscription s : catchUps) {
                catchUp(s);
            }
        }
    }

    /**
     * Gives each left-out post to its author's connections on this loop ({@link RoomSubscription#own}), listing them
     * in {@link #authors}. Cleared at the end of the flush.
     */
    private void attachOwn(List<FanoutBatch.OwnPost> own) {
        if (byUser == null) {
            return; // not a sampled room here (cannot happen: the registry samples the same rooms)
        }
        for (int i = 0, n = own.size(); i < n; i++) {
            FanoutBatch.OwnPost p = own.get(i);
            ArrayList<RoomSubscription> mine = p.author() == null ? null : byUser.get(p.author());
            if (mine == null) {
                continue;
            }
            for (int k = 0, m = mine.size(); k < m; k++) {
                RoomSubscription s = mine.get(k);
                if (s.own == null) {
                    s.own = new ArrayList<>(2);
                    authors.add(s);
                }
                s.own.add(p.record());
            }
        }
    }

    /**
     * Brings a member that is {@link RoomSubscription#behind() behind} and writable again up to date: the records
     * after its position from the room's recent ring, encoded for it alone and written at once (one write and
     * flush, this batch included when called from a flush); or, when the ring no longer holds all of them (or
     * holds another epoch), the member is told ({@link Member#onFellBehind}). Not writable: stays behind, tried
     * again at the next flush or writability change.
     */
    void catchUp(RoomSubscription s) {
        if (!s.behind || s.closed()) {
            return;
        }
        Member m = s.member;
        Channel ch = m.channel();
        if (!ch.isWritable()) {
            return;
        }
        shard.clearBehind(s);
        // in a sampled room: what it would have got live (the sample and its own posts), not the whole room at once
        RingSnapshot ring = sampled ? shard.sampledRingAfter(name, s.lastOffset, s.userId)
                : shard.ringAfter(name, s.lastOffset);
        if (ring == null || !ring.covers(s.lastOffset, s.behindEpoch)) {
            shard.recordFellBehind(m.protocol());
            m.onFellBehind(s);
            return;
        }
        List<RoomRecord> missed = ring.after();
        if (!missed.isEmpty()) {
            ch.writeAndFlush(m.encoder().encode(ch.alloc(), name, missed), ch.voidPromise());
            shard.recordCatchUp(m.protocol(), missed.size());
        }
        // up to date with everything the ring holds: what the sample left out is not owed later either
        s.lastOffset = Math.max(s.lastOffset, ring.top());
    }

    /** The batch with the member's own left-out posts merged in by offset, without what it already has. */
    private static List<RoomRecord> withOwn(List<RoomRecord> batch, RoomSubscription s) {
        List<RoomRecord> own = s.own;
        List<RoomRecord> out = new ArrayList<>(batch.size() + own.size());
        int i = 0;
        int k = 0;
        while (i < batch.size() || k < own.size()) {
            RoomRecord next;
            if (k == own.size() || (i < batch.size() && batch.get(i).offset() < own.get(k).offset())) {
                next = batch.get(i++);
            } else {
                next = own.get(k++);
            }
            if (next.offset() > s.lastOffset) {
                out.add(next);
            }
        }
        return out;
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
        pendingOwn = null;
    }

    /**
     * Hands a join or leave event to each member that asked for them and is not still recovering (its subscribe
     * answer has not gone out yet); each encodes it in its own wire format.
     */
    void pushJoinLeave(JoinLeaveEvent push) {
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
