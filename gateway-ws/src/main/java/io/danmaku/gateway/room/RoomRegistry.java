package io.danmaku.gateway.room;

import static java.util.Objects.requireNonNull;

import io.danmaku.gateway.compression.CompressionSettings;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.store.JoinLeaveEvent;
import io.danmaku.protocol.store.PresenceMember;
import io.danmaku.protocol.store.RoomPresence;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;

/**
 * All rooms of this gateway: their per-loop member counts and recent rings, and the loop shards. Built once
 * for an event loop group.
 */
public final class RoomRegistry {
    private final ConcurrentHashMap<String, RoomState> rooms = new ConcurrentHashMap<>();
    /** This gateway's counts as last written to the hot store; read by any thread. */
    private volatile Map<String, Integer> reported = Map.of();
    private final LoopShard[] shards;
    private final Map<EventLoop, LoopShard> shardByLoop = new IdentityHashMap<>();
    private final int ringSize;
    private final FanoutMetrics metrics;
    private final SamplingRules sampling;
    private volatile JoinLeaveHook joinLeaveHook = JoinLeaveHook.NONE;

    /** A registry with a fixed batch window (no stretching for big rooms). */
    public RoomRegistry(EventLoopGroup group, long batchWindowNanos, int batchMaxMessages, int ringSize,
                        FanoutMetrics metrics) {
        this(group, BatchPolicy.fixed(batchWindowNanos, batchMaxMessages), ringSize, metrics);
    }

    public RoomRegistry(EventLoopGroup group, BatchPolicy batching, int ringSize, FanoutMetrics metrics) {
        this(group, batching, ringSize, metrics, CompressionSettings.DEFAULTS);
    }

    /** {@code compression}: how batch frames are deflated for members that negotiated permessage-deflate. */
    public RoomRegistry(EventLoopGroup group, BatchPolicy batching, int ringSize, FanoutMetrics metrics,
                        CompressionSettings compression) {
        this(group, batching, ringSize, metrics, compression, SamplingRules.NONE);
    }

    /** {@code sampling}: the rooms whose fan-out is sampled above a visible chat rate ({@link RoomSampler}). */
    public RoomRegistry(EventLoopGroup group, BatchPolicy batching, int ringSize, FanoutMetrics metrics,
                        CompressionSettings compression, SamplingRules sampling) {
        this.ringSize = ringSize;
        this.metrics = metrics;
        this.sampling = requireNonNull(sampling, "sampling");
        List<LoopShard> list = new ArrayList<>();
        for (EventExecutor e : group) {
            EventLoop loop = (EventLoop) e;
            LoopShard shard = new LoopShard(loop, list.size(), this, batching, metrics, compression);
            list.add(shard);
            shardByLoop.put(loop, shard);
        }
        this.shards = list.toArray(new LoopShard[0]);
    }

    /** The shard of a channel's event loop. */
    public LoopShard shard(EventLoop loop) {
        LoopShard s = shardByLoop.get(loop);
        if (s == null) {
            throw new IllegalArgumentException("event loop not part of this gateway's group: " + loop);
        }
        return s;
    }

    FanoutMetrics metrics() {
        return metrics;
    }

    /** Whether {@code room}'s fan-out is sampled. */
    boolean sampled(String room) {
        return sampling.rateFor(room) > 0;
    }

    /** Who hears of every join and leave of this gateway's rooms (set once, before connections arrive). */
    public void joinLeaveHook(JoinLeaveHook hook) {
        this.joinLeaveHook = requireNonNull(hook, "hook");
    }

    JoinLeaveHook joinLeaveHook() {
        return joinLeaveHook;
    }

    /**
     * Any thread: hands a join or leave push of {@code room} to every loop with members of the room, where the
     * members that asked for them get it ({@link RoomSubscription#joinLeave(boolean)}), each in its own wire format.
     */
    public void pushJoinLeave(String room, JoinLeaveEvent push) {
        RoomState state = rooms.get(room);
        if (state == null) {
            return;
        }
        for (int i = 0; i < shards.length; i++) {
            if (state.members(i) > 0) {
                LoopShard shard = shards[i];
                shard.loop.execute(() -> shard.pushJoinLeave(room, push));
            }
        }
    }

    RoomState memberJoined(String room, int loop) {
        return rooms.compute(room, (k, v) -> {
            RoomState s = v != null ? v : new RoomState(k, shards.length, ringSize, System.nanoTime(),
                    sampling.rateFor(k));
            s.add(loop);
            return s;
        });
    }

    /** The room's recent ring after {@code offset} (any loop may ask), or null when the room has no state here. */
    RingSnapshot ringAfter(String room, long offset) {
        RoomState s = rooms.get(room);
        return s == null ? null : s.ring.snapshot(offset);
    }

    /**
     * What a member of the sampled room {@code room} (user {@code userId}, null if anonymous) would have got live
     * after {@code offset}: the sample and its own left-out posts; null when the room has no state here.
     */
    RingSnapshot sampledRingAfter(String room, long offset, String userId) {
        RoomState s = rooms.get(room);
        return s == null ? null : s.ring.sampledSnapshot(offset, userId);
    }

    void memberLeft(String room, int loop) {
        rooms.computeIfPresent(room, (k, v) -> {
            v.remove(loop, System.nanoTime());
            return v;
        });
    }

    /**
     * Bus thread: takes the sample of a sampled room (once, for every loop), appends each room's records to its ring
     * (all of them: recovery is never sampled; those the sample left out marked, for live catch-up) and hands every loop with members of the room one task for this whole
     * poll. Rooms without local state are skipped (nobody here to deliver to).
     */
    void dispatch(List<RoomRecord> records) {
        Map<String, List<RoomRecord>> byRoom = groupByRoom(records);
        @SuppressWarnings("unchecked")
        Map<String, FanoutBatch>[] perLoop = new Map[shards.length];
        for (Map.Entry<String, List<RoomRecord>> e : byRoom.entrySet()) {
            RoomState state = rooms.get(e.getKey());
            if (state == null) {
                continue;
            }
            FanoutBatch batch = state.sampler == null ? FanoutBatch.all(e.getValue())
                    : state.sampler.sample(e.getValue(), metrics);
            state.ring.append(e.getValue(), batch.sampledOut());
            for (int i = 0; i < shards.length; i++) {
                if (state.members(i) > 0) {
                    if (perLoop[i] == null) {
                        perLoop[i] = new HashMap<>();
                    }
                    perLoop[i].put(e.getKey(), batch);
                }
            }
        }
        for (int i = 0; i < shards.length; i++) {
            Map<String, FanoutBatch> mine = perLoop[i];
            if (mine != null) {
                LoopShard shard = shards[i];
                shard.loop.execute(() -> shard.deliver(mine));
            }
        }
    }

    private static Map<String, List<RoomRecord>> groupByRoom(List<RoomRecord> records) {
        if (records.size() == 1) {
            RoomRecord r = records.get(0);
            return Map.of(r.room(), List.of(r));
        }
        Map<String, List<RoomRecord>> byRoom = new HashMap<>();
        for (RoomRecord r : records) {
            byRoom.computeIfAbsent(r.room(), k -> new ArrayList<>()).add(r);
        }
        return byRoom;
    }

    /** Local member count per room (rooms with members only). */
    public Map<String, Integer> localCounts() {
        Map<String, Integer> counts = new HashMap<>();
        rooms.forEach((room, state) -> {
            int n = state.totalMembers();
            if (n > 0) {
                counts.put(room, n);
            }
        });
        return counts;
    }

    public int localCount(String room) {
        RoomState s = rooms.get(room);
        return s == null ? 0 : s.totalMembers();
    }

    /** Records the local counts the hot store now holds for this gateway (its last successful report). */
    public void reported(Map<String, Integer> counts) {
        reported = Map.copyOf(counts);
    }

    /**
     * The room's online count now: the hot store's total over every gateway, with this gateway's share in it (its
     * last report, up to a report interval old) replaced by its current member count. A viewer who just joined is
     * counted at once, not at the next report.
     *
     * @param storeTotal what the hot store answered for the room
     */
    public long currentTotal(String room, long storeTotal) {
        int local = localCount(room);
        return Math.max(local, storeTotal - reported.getOrDefault(room, 0) + local);
    }

    /**
     * What changed in this gateway's presence since {@link #presenceReported} was last given its versions: for each
     * room whose membership changed (or every room with {@code all}), its entry for the hot store. A room with at
     * most {@code cap} members here lists them, collected on the loops that hold them (one task per loop); a bigger
     * room only counts them (its users counted as its connections); a room left empty gets the empty entry, which
     * removes it. Runs on any thread; completes on an event loop.
     *
     * @param versions room → membership version of the last successful report (read only)
     */
    public CompletableFuture<PresenceReport> presence(int cap, Map<String, Long> versions,
                                                                       boolean all) {
        Map<String, Long> taken = new HashMap<>();
        Map<String, RoomPresence> ready = new HashMap<>();
        List<String> listed = new ArrayList<>();
        rooms.forEach((room, state) -> {
            long version = state.version();
            Long last = versions.get(room);
            if (!all && last != null && last == version) {
                return;
            }
            int total = state.totalMembers();
            if (total == 0 && last == null) {
                return; // never reported, nothing to remove
            }
            taken.put(room, version);
            if (total == 0) {
                ready.put(room, RoomPresence.EMPTY);
            } else if (total > cap) {
                ready.put(room, new RoomPresence(total, total, null));
            } else {
                listed.add(room);
            }
        });
        for (String room : versions.keySet()) {
            if (!rooms.containsKey(room)) {
                taken.put(room, -1L); // forgotten by the sweep: remove it once
                ready.put(room, RoomPresence.EMPTY);
            }
        }
        if (listed.isEmpty()) {
            return CompletableFuture.completedFuture(new PresenceReport(ready, taken));
        }
        List<CompletableFuture<Map<String, List<PresenceMember>>>>
                parts = new ArrayList<>();
        for (LoopShard shard : shards) {
            CompletableFuture<Map<String, List<PresenceMember>>> part =
                    new CompletableFuture<>();
            try {
                shard.loop.execute(() -> part.complete(shard.presence(listed)));
            } catch (RejectedExecutionException e) {
                part.completeExceptionally(e); // shutting down
            }
            parts.add(part);
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
                .thenApply(done -> {
                    Map<String, List<PresenceMember>> members = new HashMap<>();
                    for (var part : parts) {
                        part.join().forEach((room, list) ->
                                members.computeIfAbsent(room, r -> new ArrayList<>()).addAll(list));
                    }
                    for (String room : listed) {
                        List<PresenceMember> list = members.getOrDefault(room, List.of());
                        Set<String> users = new HashSet<>();
                        int anonymous = 0;
                        for (PresenceMember m : list) {
                            if (m.userId().isEmpty()) {
                                anonymous++;
                            } else {
                                users.add(m.userId());
                            }
                        }
                        ready.put(room, new RoomPresence(list.size(),
                                users.size() + anonymous, list));
                    }
                    return new PresenceReport(ready, taken);
                });
    }

    /**
     * A presence report to send: the entries, and the membership version of each room they stand for (-1 for a
     * room that is gone), to remember once the store took them.
     */
    public record PresenceReport(Map<String, RoomPresence> rooms, Map<String, Long> versions) {
    }

    /** Rooms known here (with members or within their retention time). */
    public int roomCount() {
        return rooms.size();
    }

    /** Forgets rooms empty for at least {@code retentionNanos} (their rings go with them). */
    public void sweep(long retentionNanos) {
        long now = System.nanoTime();
        for (String room : rooms.keySet()) {
            rooms.computeIfPresent(room, (k, v) -> v.expired(now, retentionNanos) ? null : v);
        }
    }

    /** Flushes pending batches on every loop (drain). */
    public void flushAll() {
        for (LoopShard shard : shards) {
            shard.loop.execute(shard::flushAll);
        }
    }
}
