package io.danmaku.gateway.room;

import io.danmaku.gateway.compression.CompressionSettings;
import io.danmaku.gateway.compression.FrameDeflater;
import io.danmaku.gateway.compression.MessageInflater;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.store.JoinLeaveEvent;
import io.danmaku.protocol.store.PresenceMember;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The rooms and members of one event loop. Every method runs on {@link #loop} (checked in {@code join} and
 * {@code leave}); the bus thread reaches it only through {@link #loop}{@code .execute}.
 */
public final class LoopShard {
    final EventLoop loop;
    final int index;
    final BatchPolicy batching;
    /**
     * Allocates the shared frames of room batches: pooled, because a pooled buffer's {@code retainedDuplicate()}
     * (one per member per batch) is a recycled object, where the default allocator's is a new one per member.
     */
    final ByteBufAllocator frameAlloc = PooledByteBufAllocator.DEFAULT;
    private final RoomRegistry registry;
    private final FanoutMetrics metrics;
    private final Map<String, LoopRoom> rooms = new HashMap<>();
    /** The subscriptions that skipped batches while unwritable, by member (only while they are behind). */
    private final Map<Member, List<RoomSubscription>> behind = new IdentityHashMap<>();
    private final CompressionSettings compression;
    /** Made at first use: a loop whose members never negotiated permessage-deflate holds no zlib stream. */
    private FrameDeflater deflater;
    private MessageInflater inflater;

    LoopShard(EventLoop loop, int index, RoomRegistry registry, BatchPolicy batching, FanoutMetrics metrics,
              CompressionSettings compression) {
        this.loop = loop;
        this.index = index;
        this.registry = registry;
        this.batching = batching;
        this.metrics = metrics;
        this.compression = compression;
    }

    /** The inflater of this loop's client messages under permessage-deflate; on this loop only. */
    public MessageInflater inflater() {
        assert loop.inEventLoop();
        if (inflater == null) {
            inflater = new MessageInflater();
        }
        return inflater;
    }

    /**
     * The deflated form of a room batch's shared frame for permessage-deflate members (a new buffer owned by the
     * caller), or null when it goes out plain (too small, loop over its deflate budget, no gain), counted.
     */
    ByteBuf deflate(ByteBuf plainFrame) {
        if (deflater == null) {
            deflater = new FrameDeflater(compression);
        }
        ByteBuf out = deflater.deflate(plainFrame, frameAlloc);
        if (out != null) {
            metrics.deflatedFrames.increment();
            metrics.deflateBytesIn.increment(deflater.takeBytesIn());
            metrics.deflateBytesOut.increment(deflater.takeBytesOut());
        } else {
            (switch (deflater.lastSkip()) {
                case SMALL -> metrics.deflateSkippedSmall;
                case BUDGET -> metrics.deflateSkippedBudget;
                case LARGER -> metrics.deflateSkippedLarger;
            }).increment();
        }
        long nanos = deflater.takeNanos();
        if (nanos > 0) {
            metrics.deflateNanos.increment(nanos);
        }
        return out;
    }

    public EventLoop loop() {
        return loop;
    }

    /**
     * Adds {@code member} to {@code room}. With {@code recovering}, batches are buffered in the subscription
     * until the caller completes the recovery. Returns the subscription and the ring snapshot taken after the
     * member was registered, so no record can fall between the two.
     */
    public Joined join(Member member, String room, boolean recovering, long sinceOffset) {
        assert loop.inEventLoop();
        LoopRoom lr = rooms.computeIfAbsent(room, r -> new LoopRoom(r, this, registry.sampled(r)));
        RoomSubscription sub = new RoomSubscription(member, lr, recovering);
        lr.add(sub);
        RoomState state = registry.memberJoined(room, index);
        registry.joinLeaveHook().joined(room, member);
        return new Joined(sub, state.ring.snapshot(sinceOffset));
    }

    public void leave(RoomSubscription sub) {
        assert loop.inEventLoop();
        if (sub.closed()) {
            return;
        }
        clearBehind(sub);
        sub.markClosed();
        LoopRoom lr = sub.room;
        lr.remove(sub);
        if (lr.size() == 0) {
            lr.discard();
            rooms.remove(lr.name, lr);
        }
        registry.memberLeft(lr.name, index);
        registry.joinLeaveHook().left(lr.name, sub.member);
    }

    /** A join or leave push for the members of {@code room} on this loop that asked for them. */
    void pushJoinLeave(String room, JoinLeaveEvent push) {
        LoopRoom lr = rooms.get(room);
        if (lr != null) {
            lr.pushJoinLeave(push);
        }
    }

    /**
     * {@code member}'s connection is writable again: each of its subscriptions that skipped batches meanwhile
     * catches up from its room's ring now (or is told it fell too far behind), without waiting for the room's next
     * batch, which may never come.
     */
    public void writable(Member member) {
        assert loop.inEventLoop();
        List<RoomSubscription> mine = behind.get(member);
        if (mine == null) {
            return;
        }
        for (RoomSubscription s : List.copyOf(mine)) {
            s.room.catchUp(s);
        }
    }

    void markBehind(RoomSubscription s) {
        if (!s.behind) {
            s.behind = true;
            behind.computeIfAbsent(s.member, m -> new ArrayList<>(1)).add(s);
        }
    }

    void clearBehind(RoomSubscription s) {
        if (s.behind) {
            s.behind = false;
            List<RoomSubscription> mine = behind.get(s.member);
            if (mine != null && mine.remove(s) && mine.isEmpty()) {
                behind.remove(s.member);
            }
        }
    }

    /** The room's recent ring after {@code offset}, or null when this gateway keeps no state for the room. */
    RingSnapshot ringAfter(String room, long offset) {
        return registry.ringAfter(room, offset);
    }

    RingSnapshot sampledRingAfter(String room, long offset, String userId) {
        return registry.sampledRingAfter(room, offset, userId);
    }

    void recordCatchUp(String protocol, int messages) {
        metrics.caughtUp(protocol).increment(messages);
    }

    void recordFellBehind(String protocol) {
        metrics.fellBehind(protocol).increment();
    }

    /** Bus thread → this loop: one task per poll with this loop's rooms. */
    void deliver(Map<String, FanoutBatch> byRoom) {
        for (Map.Entry<String, FanoutBatch> e : byRoom.entrySet()) {
            LoopRoom lr = rooms.get(e.getKey());
            if (lr != null) {
                lr.enqueue(e.getValue());
            }
        }
    }

    /** The presence entries of this loop's members of each of {@code rooms} (rooms without any left out). */
    Map<String, List<PresenceMember>> presence(Collection<String> wanted) {
        Map<String, List<PresenceMember>> out = new HashMap<>();
        for (String room : wanted) {
            LoopRoom lr = rooms.get(room);
            if (lr != null) {
                List<PresenceMember> members = new ArrayList<>(lr.size());
                lr.collectPresence(members);
                out.put(room, members);
            }
        }
        return out;
    }

    /** Flushes every pending batch now (used when draining). */
    void flushAll() {
        for (LoopRoom lr : rooms.values()) {
            lr.flush();
        }
    }

    void recordBatch(List<RoomRecord> batch, long delivered, long frames, long skipped, long flushNanos) {
        metrics.batchSize.record(batch.size());
        if (delivered > 0) {
            metrics.deliveries.increment(delivered);
        }
        if (frames > 0) {
            metrics.frames.increment(frames);
            metrics.flush.record(flushNanos, TimeUnit.NANOSECONDS);
        }
        if (skipped > 0) {
            metrics.skippedUnwritable.increment(skipped);
        }
        // one sample per batch: its oldest message, the one that waited longest
        long age = System.currentTimeMillis() - batch.get(0).timeMillis();
        metrics.latency.record(Math.max(0, age), TimeUnit.MILLISECONDS);
    }

    /** {@code count} posts left out of a room's sample were written to their authors' connections. */
    void recordOwn(long count) {
        if (count > 0) {
            metrics.ownDeliveries.increment(count);
        }
    }

    /** A new subscription and what the room's ring held after {@code sinceOffset} when it was created. */
    public record Joined(RoomSubscription subscription, RingSnapshot ring) {
    }
}
