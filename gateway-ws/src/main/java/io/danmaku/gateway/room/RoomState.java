package io.danmaku.gateway.room;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * What the whole gateway knows of one room: how many members each event loop has (read by the bus thread to
 * pick the loops a batch goes to) and the recent ring. Created on the first local join; removed by the
 * registry's sweep once the room has had no members for the retention time.
 */
final class RoomState {
    final String name;
    final RecentRing ring;
    /** The room's fan-out sample, or null when the room is not sampled ({@code gateway.sampling.rooms}). */
    final RoomSampler sampler;
    private final AtomicIntegerArray membersPerLoop;
    private volatile long emptySinceNanos;
    /** Incremented on every join and leave (inside the registry's compute of this room): presence reports
     *  skip rooms whose version they already reported. */
    private volatile long version;

    RoomState(String name, int loops, int ringSize, long nowNanos, int sampledRate) {
        this.name = name;
        this.ring = new RecentRing(ringSize);
        this.sampler = sampledRate > 0 ? new RoomSampler(sampledRate) : null;
        this.membersPerLoop = new AtomicIntegerArray(loops);
        this.emptySinceNanos = nowNanos;
    }

    int members(int loop) {
        return membersPerLoop.get(loop);
    }

    int totalMembers() {
        int total = 0;
        for (int i = 0; i < membersPerLoop.length(); i++) {
            total += membersPerLoop.get(i);
        }
        return total;
    }

    long version() {
        return version;
    }

    void add(int loop) {
        version++;
        membersPerLoop.incrementAndGet(loop);
        emptySinceNanos = 0;
    }

    void remove(int loop, long nowNanos) {
        version++;
        membersPerLoop.decrementAndGet(loop);
        if (totalMembers() == 0) {
            emptySinceNanos = nowNanos;
        }
    }

    /** True when the room has had no member for at least {@code retentionNanos}. */
    boolean expired(long nowNanos, long retentionNanos) {
        long since = emptySinceNanos;
        return since != 0 && totalMembers() == 0 && nowNanos - since >= retentionNanos;
    }
}
