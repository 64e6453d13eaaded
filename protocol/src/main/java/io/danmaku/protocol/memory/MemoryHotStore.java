package io.danmaku.protocol.memory;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.DanmakuException;
import io.danmaku.protocol.RoomId;
import io.danmaku.protocol.RoomPattern;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.store.ControlListener;
import io.danmaku.protocol.store.ControlMessage;
import io.danmaku.protocol.store.HistoryPage;
import io.danmaku.protocol.store.HistoryQuery;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.store.NodeInfo;
import io.danmaku.protocol.store.OnceClaim;
import io.danmaku.protocol.store.PresenceMember;
import io.danmaku.protocol.store.PresenceSnapshot;
import io.danmaku.protocol.store.RateDecision;
import io.danmaku.protocol.store.RateLimit;
import io.danmaku.protocol.store.Restriction;
import io.danmaku.protocol.store.RestrictionChange;
import io.danmaku.protocol.store.RestrictionKey;
import io.danmaku.protocol.store.RestrictionListener;
import io.danmaku.protocol.store.RoomPresence;
import io.danmaku.protocol.store.StoreSubscription;
import io.danmaku.protocol.store.TokenLease;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The in-process {@link HotStore} of standalone mode. Every future is already complete when the method
 * returns; invalid arguments give a future failed with {@link IllegalArgumentException} or
 * {@link NullPointerException}, and calls after {@link #close()} a future failed with a non-retriable
 * {@link DanmakuException}. Time comes from the injected {@link Clock}, so tests control expiry and refill.
 *
 * <p>History keeps the newest {@code historyCapacityPerRoom} records of each room (the floor offset is the
 * newest record trimmed). Online counts, presence entries, node reports, bans, mutes, rate-limit buckets, dedupe keys
 * and once-claims expire by time: an
 * expired entry is removed when it is next read, and a sweep over all entries runs after every
 * {@value #MIN_CALLS_BETWEEN_SWEEPS} calls or as many calls as entries remained after the previous sweep,
 * whichever is more. Memory therefore stays bounded by the live entries without a background thread, at an
 * amortized constant cost per call. A rate-limit bucket that has refilled completely is swept too: it is
 * equivalent to the full bucket a new key starts with.
 */
public final class MemoryHotStore implements HotStore {
    public static final int DEFAULT_HISTORY_CAPACITY = 1000;
    static final int MIN_CALLS_BETWEEN_SWEEPS = 4096;
    /** Rounding slack when comparing fractional token counts. */
    private static final double TOKEN_EPSILON = 1e-9;

    private final Clock clock;
    private final int historyCapacity;
    private final ConcurrentHashMap<String, RoomHistory> histories = new ConcurrentHashMap<>();
    /** room → gateway → count with expiry; maps are replaced inside compute only. */
    private final ConcurrentHashMap<String, Map<String, Expiring<Integer>>> online = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> bans = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<MuteKey, Long> mutes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> marks = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> streamStarts = new ConcurrentHashMap<>();
    /** claimOnce keys: a pending claim has a null result. */
    private final ConcurrentHashMap<String, Expiring<byte[]>> onces = new ConcurrentHashMap<>();
    private final AtomicLong callsSinceSweep = new AtomicLong();
    private volatile long callsBetweenSweeps = MIN_CALLS_BETWEEN_SWEEPS;
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private final CopyOnWriteArrayList<RestrictionListener> restrictionListeners = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<ControlListener> controlListeners = new CopyOnWriteArrayList<>();
    /** room → gateway → presence with expiry; maps are replaced inside compute only. */
    private final ConcurrentHashMap<String, Map<String, Expiring<RoomPresence>>> presence = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Expiring<NodeInfo>> nodes = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public MemoryHotStore() {
        this(Clock.systemUTC(), DEFAULT_HISTORY_CAPACITY);
    }

    public MemoryHotStore(Clock clock, int historyCapacityPerRoom) {
        this.clock = requireNonNull(clock, "clock");
        if (historyCapacityPerRoom < 1) {
            throw new IllegalArgumentException("historyCapacityPerRoom: " + historyCapacityPerRoom
                    + " (expected: >= 1)");
        }
        this.historyCapacity = historyCapacityPerRoom;
    }

    @Override
    public CompletableFuture<Void> appendHistory(String room, List<RoomRecord> records) {
        return call(() -> {
            requireNonNull(room, "room");
            requireNonNull(records, "records");
            for (RoomRecord r : records) {
                requireNonNull(r, "records element");
                if (!r.room().equals(room)) {
                    throw new IllegalArgumentException("records: a record of room \"" + r.room()
                            + "\" (expected: only records of room \"" + room + "\")");
                }
            }
            if (!records.isEmpty()) {
                histories.computeIfAbsent(room, k -> new RoomHistory()).append(records, historyCapacity);
            }
            return null;
        });
    }

    @Override
    public CompletableFuture<HistoryPage> history(HistoryQuery query) {
        return call(() -> {
            requireNonNull(query, "query");
            RoomHistory h = histories.get(query.room());
            return h == null ? HistoryPage.empty() : h.read(query);
        });
    }

    @Override
    public CompletableFuture<Void> reportOnline(String gatewayId, Map<String, Integer> counts, Duration ttl) {
        return call(() -> {
            requireNonNull(gatewayId, "gatewayId");
            requireNonNull(counts, "counts");
            requirePositive(ttl, "ttl");
            for (Map.Entry<String, Integer> e : counts.entrySet()) {
                requireNonNull(e.getKey(), "counts room");
                requireNonNull(e.getValue(), "counts value");
                if (e.getValue() < 0) {
                    throw new IllegalArgumentException("counts[" + e.getKey() + "]: " + e.getValue()
                            + " (expected: >= 0)");
                }
            }
            long expiresAt = now() + ttl.toMillis();
            for (Map.Entry<String, Integer> e : counts.entrySet()) {
                int count = e.getValue();
                online.compute(e.getKey(), (room, byGateway) -> {
                    Map<String, Expiring<Integer>> next = byGateway == null ? new HashMap<>() : byGateway;
                    if (count == 0) {
                        next.remove(gatewayId);
                    } else {
                        next.put(gatewayId, new Expiring<>(count, expiresAt));
                    }
                    return next.isEmpty() ? null : next;
                });
            }
            maybeSweep();
            return null;
        });
    }

    @Override
    public CompletableFuture<Long> online(String room) {
        return call(() -> {
            requireNonNull(room, "room");
            long now = now();
            long[] sum = {0};
            online.computeIfPresent(room, (k, byGateway) -> {
                byGateway.values().removeIf(e -> e.expired(now));
                for (Expiring<Integer> e : byGateway.values()) {
                    sum[0] += e.value();
                }
                return byGateway.isEmpty() ? null : byGateway;
            });
            return sum[0];
        });
    }

    @Override
    public CompletableFuture<Void> ban(String userId, Duration duration) {
        return call(() -> {
            requireNonNull(userId, "userId");
            requirePositive(duration, "duration");
            bans.put(userId, now() + duration.toMillis());
            maybeSweep();
            changed(RestrictionChange.ofUser(userId));
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> unban(String userId) {
        return call(() -> {
            bans.remove(requireNonNull(userId, "userId"));
            changed(RestrictionChange.ofUser(userId));
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> mute(String room, String userId, Duration duration) {
        return call(() -> {
            requirePositive(duration, "duration");
            mutes.put(new MuteKey(room, userId), now() + duration.toMillis());
            maybeSweep();
            changed(RestrictionChange.ofRoom(room, userId));
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> unmute(String room, String userId) {
        return call(() -> {
            mutes.remove(new MuteKey(room, userId));
            changed(RestrictionChange.ofRoom(room, userId));
            return null;
        });
    }

    @Override
    public CompletableFuture<Restriction> restriction(String room, String userId) {
        return call(() -> {
            MuteKey muteKey = new MuteKey(room, userId);
            long now = now();
            if (live(bans, userId, now)) {
                return Restriction.BANNED;
            }
            return live(mutes, muteKey, now) ? Restriction.MUTED : Restriction.NONE;
        });
    }

    @Override
    public CompletableFuture<List<Restriction>> restrictions(List<RestrictionKey> keys) {
        return call(() -> {
            requireNonNull(keys, "keys");
            long now = now();
            List<Restriction> answers = new ArrayList<>(keys.size());
            for (RestrictionKey key : keys) {
                requireNonNull(key, "keys element");
                answers.add(live(bans, key.userId(), now) ? Restriction.BANNED
                        : live(mutes, new MuteKey(key.room(), key.userId()), now) ? Restriction.MUTED
                        : Restriction.NONE);
            }
            return answers;
        });
    }

    /** Changes are delivered synchronously, on the thread that made them, before its future completes. */
    @Override
    public StoreSubscription subscribeRestrictions(RestrictionListener listener) {
        requireNonNull(listener, "listener");
        restrictionListeners.add(listener);
        listener.reset();
        return () -> restrictionListeners.remove(listener);
    }

    /** Messages are delivered synchronously, on the calling thread, before the future completes. */
    @Override
    public CompletableFuture<Void> publishControl(ControlMessage message) {
        requireNonNull(message, "message");
        return call(() -> {
            for (ControlListener l : controlListeners) {
                l.control(message);
            }
            return null;
        });
    }

    @Override
    public StoreSubscription subscribeControl(ControlListener listener) {
        requireNonNull(listener, "listener");
        controlListeners.add(listener);
        listener.subscribed();
        return () -> controlListeners.remove(listener);
    }

    @Override
    public CompletableFuture<Void> reportPresence(String gatewayId, Map<String, RoomPresence> rooms, Duration ttl) {
        return call(() -> {
            requireNonNull(gatewayId, "gatewayId");
            requireNonNull(rooms, "rooms");
            requirePositive(ttl, "ttl");
            for (Map.Entry<String, RoomPresence> e : rooms.entrySet()) {
                requireNonNull(e.getKey(), "rooms room");
                requireNonNull(e.getValue(), "rooms value");
            }
            long expiresAt = now() + ttl.toMillis();
            for (Map.Entry<String, RoomPresence> e : rooms.entrySet()) {
                RoomPresence p = e.getValue();
                presence.compute(e.getKey(), (room, byGateway) -> {
                    Map<String, Expiring<RoomPresence>> next = byGateway == null ? new HashMap<>() : byGateway;
                    if (p.clients() == 0) {
                        next.remove(gatewayId);
                    } else {
                        next.put(gatewayId, new Expiring<>(p, expiresAt));
                    }
                    return next.isEmpty() ? null : next;
                });
            }
            maybeSweep();
            return null;
        });
    }

    @Override
    public CompletableFuture<PresenceSnapshot> presence(String room) {
        return call(() -> {
            requireNonNull(room, "room");
            long now = now();
            Map<String, Integer> live = liveOnline(room, now);
            if (live.isEmpty()) {
                return PresenceSnapshot.EMPTY;
            }
            Map<String, Expiring<RoomPresence>> byGateway = presence.get(room);
            long clients = 0;
            long users = 0;
            boolean complete = true;
            List<PresenceMember> members = new ArrayList<>();
            for (Map.Entry<String, Integer> g : live.entrySet()) {
                clients += g.getValue();
                Expiring<RoomPresence> p = byGateway == null ? null : byGateway.get(g.getKey());
                if (p == null || p.expired(now)) {
                    users += g.getValue();
                    complete = false;
                } else {
                    users += p.value().users();
                    if (p.value().members() == null) {
                        complete = false;
                    } else {
                        members.addAll(p.value().members());
                    }
                }
            }
            return new PresenceSnapshot(clients, users, members, complete);
        });
    }

    /** The live online entries of {@code room}: gateway → count. */
    private Map<String, Integer> liveOnline(String room, long now) {
        Map<String, Integer> live = new HashMap<>();
        online.computeIfPresent(room, (k, byGateway) -> {
            byGateway.values().removeIf(e -> e.expired(now));
            byGateway.forEach((gw, e) -> live.put(gw, e.value()));
            return byGateway.isEmpty() ? null : byGateway;
        });
        return live;
    }

    @Override
    public CompletableFuture<Map<String, Long>> channels(RoomPattern pattern, int limit) {
        return call(() -> {
            requireNonNull(pattern, "pattern");
            if (limit < 0) {
                throw new IllegalArgumentException("limit: " + limit + " (expected: >= 0)");
            }
            long now = now();
            Map<String, Long> found = new HashMap<>();
            for (String room : online.keySet()) {
                if (found.size() > limit) {
                    break;
                }
                if (!pattern.matches(room)) {
                    continue;
                }
                long sum = 0;
                for (int n : liveOnline(room, now).values()) {
                    sum += n;
                }
                if (sum > 0) {
                    found.put(room, sum);
                }
            }
            return found;
        });
    }

    @Override
    public CompletableFuture<Void> removeHistory(String room) {
        return call(() -> {
            requireNonNull(room, "room");
            RoomHistory h = histories.get(room);
            if (h != null) {
                h.removeRecords();
            }
            return null;
        });
    }

    @Override
    public CompletableFuture<Integer> retract(String room, java.util.Collection<String> messageIds) {
        return call(() -> {
            requireNonNull(room, "room");
            java.util.Set<String> ids = java.util.Set.copyOf(requireNonNull(messageIds, "messageIds"));
            RoomHistory h = histories.get(room);
            return h == null || ids.isEmpty() ? 0 : h.retract(ids);
        });
    }

    @Override
    public CompletableFuture<Void> setStreamStart(String room, long startMillis) {
        return call(() -> {
            RoomId.requireValid(room, "room");
            HotStore.requireStreamStart(startMillis);
            streamStarts.put(room, startMillis);
            return null;
        });
    }

    @Override
    public CompletableFuture<OptionalLong> streamStart(String room) {
        return call(() -> {
            RoomId.requireValid(room, "room");
            Long start = streamStarts.get(room);
            return start == null ? OptionalLong.empty() : OptionalLong.of(start);
        });
    }

    @Override
    public CompletableFuture<Void> reportNode(NodeInfo node, Duration ttl) {
        return call(() -> {
            requireNonNull(node, "node");
            requirePositive(ttl, "ttl");
            nodes.put(node.id(), new Expiring<>(node, now() + ttl.toMillis()));
            return null;
        });
    }

    @Override
    public CompletableFuture<List<NodeInfo>> nodes() {
        return call(() -> {
            long now = now();
            nodes.values().removeIf(e -> e.expired(now));
            return nodes.values().stream().map(Expiring::value)
                    .sorted(Comparator.comparing(NodeInfo::id)).toList();
        });
    }

    private void changed(RestrictionChange change) {
        for (RestrictionListener l : restrictionListeners) {
            l.changed(change);
        }
    }

    @Override
    public CompletableFuture<TokenLease> lease(String key, RateLimit limit, int wanted) {
        return call(() -> {
            if (wanted < 1) {
                throw new IllegalArgumentException("wanted: " + wanted + " (expected: >= 1)");
            }
            return take(key, limit, wanted);
        });
    }

    @Override
    public CompletableFuture<RateDecision> acquire(String key, RateLimit limit) {
        return call(() -> {
            TokenLease one = take(key, limit, 1);
            return one.granted() == 1 ? RateDecision.ALLOWED : RateDecision.refused(one.retryAfter());
        });
    }

    /**
     * Takes up to {@code wanted} tokens of bucket {@code key} (created full): as many as it holds, or none with the
     * time until the next one. {@link #acquire} is this with one token.
     */
    private TokenLease take(String key, RateLimit limit, int wanted) {
        requireNonNull(key, "key");
        requireNonNull(limit, "limit");
        long nowNanos = nowNanos();
        TokenLease[] lease = new TokenLease[1];
        buckets.compute(key, (k, bucket) -> {
            double tokens = bucket == null ? limit.burst() : bucket.tokensAt(nowNanos, limit);
            int granted = (int) Math.min(wanted, Math.floor(tokens + TOKEN_EPSILON));
            if (granted > 0) {
                tokens = Math.max(0, tokens - granted);
                lease[0] = new TokenLease(granted, Duration.ZERO);
            } else {
                double waitSeconds = (1 - tokens) / limit.perSecond();
                long waitMillis = Math.max(1, (long) Math.ceil(waitSeconds * 1000 - TOKEN_EPSILON));
                lease[0] = new TokenLease(0, Duration.ofMillis(waitMillis));
            }
            long fullAtNanos = nowNanos + (long) Math.ceil((limit.burst() - tokens) / limit.perSecond() * 1e9);
            return new Bucket(tokens, nowNanos, fullAtNanos);
        });
        maybeSweep();
        return lease[0];
    }

    @Override
    public CompletableFuture<Boolean> markOnce(String key, Duration ttl) {
        return call(() -> {
            requireNonNull(key, "key");
            requirePositive(ttl, "ttl");
            long now = now();
            boolean[] first = {false};
            marks.compute(key, (k, expiresAt) -> {
                if (expiresAt != null && expiresAt > now) {
                    return expiresAt;
                }
                first[0] = true;
                return now + ttl.toMillis();
            });
            maybeSweep();
            return first[0];
        });
    }

    @Override
    public CompletableFuture<Void> unmark(String key) {
        return call(() -> {
            requireNonNull(key, "key");
            marks.remove(key);
            return null;
        });
    }

    @Override
    public CompletableFuture<OnceClaim> claimOnce(String key, Duration ttl) {
        return call(() -> {
            requireNonNull(key, "key");
            requirePositive(ttl, "ttl");
            long now = now();
            OnceClaim[] claim = {OnceClaim.claimed()};
            onces.compute(key, (k, entry) -> {
                if (entry != null && !entry.expired(now)) {
                    claim[0] = entry.value() == null ? OnceClaim.pending() : OnceClaim.done(entry.value());
                    return entry;
                }
                return new Expiring<>(null, now + ttl.toMillis());
            });
            maybeSweep();
            return claim[0];
        });
    }

    @Override
    public CompletableFuture<Void> completeOnce(String key, byte[] result, Duration ttl) {
        return call(() -> {
            requireNonNull(key, "key");
            requireNonNull(result, "result");
            requirePositive(ttl, "ttl");
            onces.put(key, new Expiring<>(result, now() + ttl.toMillis()));
            maybeSweep();
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> releaseOnce(String key) {
        return call(() -> {
            onces.remove(requireNonNull(key, "key"));
            return null;
        });
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "MemoryHotStore[historyCapacityPerRoom=" + historyCapacity + ", rooms=" + histories.size() + "]";
    }

    private <T> CompletableFuture<T> call(Supplier<T> body) {
        if (closed) {
            return CompletableFuture.failedFuture(new DanmakuException("memory hot store closed", false));
        }
        try {
            return CompletableFuture.completedFuture(body.get());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private long now() {
        return clock.millis();
    }

    private long nowNanos() {
        var instant = clock.instant();
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }

    private static void requirePositive(Duration d, String name) {
        requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
        }
    }

    /** True if {@code key} has an expiry in the future; an expired entry is removed. */
    private static <K> boolean live(ConcurrentHashMap<K, Long> map, K key, long now) {
        Long expiresAt = map.get(key);
        if (expiresAt == null) {
            return false;
        }
        if (expiresAt > now) {
            return true;
        }
        map.remove(key, expiresAt);
        return false;
    }

    private void maybeSweep() {
        if (callsSinceSweep.incrementAndGet() < callsBetweenSweeps || !sweeping.compareAndSet(false, true)) {
            return;
        }
        try {
            callsSinceSweep.set(0);
            sweep();
            long remaining = (long) bans.size() + mutes.size() + buckets.size() + marks.size() + onces.size()
                    + online.size() + presence.size();
            callsBetweenSweeps = Math.max(MIN_CALLS_BETWEEN_SWEEPS, remaining);
        } finally {
            sweeping.set(false);
        }
    }

    /** Removes every expired entry and every full rate-limit bucket. */
    void sweep() {
        long now = now();
        long nowNanos = nowNanos();
        bans.values().removeIf(expiresAt -> expiresAt <= now);
        mutes.values().removeIf(expiresAt -> expiresAt <= now);
        marks.values().removeIf(expiresAt -> expiresAt <= now);
        onces.values().removeIf(e -> e.expired(now));
        buckets.values().removeIf(b -> b.fullAtNanos() <= nowNanos);
        for (String room : online.keySet()) {
            online.computeIfPresent(room, (k, byGateway) -> {
                byGateway.values().removeIf(e -> e.expired(now));
                return byGateway.isEmpty() ? null : byGateway;
            });
        }
        for (String room : presence.keySet()) {
            presence.computeIfPresent(room, (k, byGateway) -> {
                byGateway.values().removeIf(e -> e.expired(now));
                return byGateway.isEmpty() ? null : byGateway;
            });
        }
    }

    /** Entries in the expiring maps (for tests of the sweep). */
    long trackedEntries() {
        return (long) bans.size() + mutes.size() + buckets.size() + marks.size() + onces.size() + online.size()
                + presence.size();
    }

    private record MuteKey(String room, String userId) {
        MuteKey {
            requireNonNull(room, "room");
            requireNonNull(userId, "userId");
        }
    }

    private record Expiring<T>(T value, long expiresAtMillis) {
        boolean expired(long nowMillis) {
            return expiresAtMillis <= nowMillis;
        }
    }

    /** A token bucket's state: tokens at {@code atNanos}; it is full again at {@code fullAtNanos}. */
    private record Bucket(double tokens, long atNanos, long fullAtNanos) {
        double tokensAt(long nowNanos, RateLimit limit) {
            double elapsedSeconds = Math.max(0, nowNanos - atNanos) / 1e9;
            return Math.min(limit.burst(), tokens + elapsedSeconds * limit.perSecond());
        }
    }

    /** One room's retained records, ascending by offset. */
    private static final class RoomHistory {
        private final ArrayDeque<RoomRecord> records = new ArrayDeque<>();
        private String epoch = "";
        private long floorOffset;
        /** The newest offset ever appended in this epoch (kept when the records are removed). */
        private long topOffset;

        synchronized void append(List<RoomRecord> batch, int capacity) {
            for (RoomRecord r : batch) {
                if (!r.epoch().equals(epoch)) {
                    records.clear();
                    floorOffset = 0;
                    topOffset = 0;
                    epoch = r.epoch();
                } else if (r.offset() <= topOffset) {
                    continue;
                }
                records.addLast(r);
                topOffset = r.offset();
                while (records.size() > capacity) {
                    floorOffset = records.removeFirst().offset();
                }
            }
        }

        synchronized void removeRecords() {
            records.clear();
            floorOffset = topOffset;
        }

        synchronized int retract(java.util.Set<String> ids) {
            int before = records.size();
            records.removeIf(r -> ids.contains(io.danmaku.protocol.Retraction.messageId(r.payload())));
            return before - records.size();
        }

        synchronized HistoryPage read(HistoryQuery q) {
            if (epoch.isEmpty()) {
                return HistoryPage.empty();
            }
            long top = topOffset;
            List<RoomRecord> out = new ArrayList<>(Math.min(q.limit(), records.size()));
            if (q.limit() > 0) {
                Iterator<RoomRecord> it = q.reverse() ? records.descendingIterator() : records.iterator();
                while (it.hasNext() && out.size() < q.limit()) {
                    RoomRecord r = it.next();
                    boolean wanted = q.sinceOffset() < 0
                            || (q.reverse() ? r.offset() < q.sinceOffset() : r.offset() > q.sinceOffset());
                    if (wanted) {
                        out.add(r);
                    }
                }
            }
            return new HistoryPage(epoch, top, floorOffset, out);
        }
    }
}
