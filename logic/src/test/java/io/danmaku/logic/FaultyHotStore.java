package io.danmaku.logic;

import io.danmaku.protocol.DanmakuException;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.RoomPattern;
import io.danmaku.protocol.store.ControlListener;
import io.danmaku.protocol.store.ControlMessage;
import io.danmaku.protocol.store.NodeInfo;
import io.danmaku.protocol.store.PresenceSnapshot;
import io.danmaku.protocol.store.RoomPresence;
import io.danmaku.protocol.store.HistoryPage;
import io.danmaku.protocol.store.HistoryQuery;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.store.RateDecision;
import io.danmaku.protocol.store.RateLimit;
import io.danmaku.protocol.store.Restriction;
import io.danmaku.protocol.store.RestrictionKey;
import io.danmaku.protocol.store.RestrictionListener;
import io.danmaku.protocol.store.StoreSubscription;
import io.danmaku.protocol.store.TokenLease;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A hot store that behaves like the one it wraps until {@link #down} is set, then fails every call like an
 * unreachable store (retriable). Counts the calls it answered, to tell cached answers from lookups.
 */
public final class FaultyHotStore implements HotStore {
    private final HotStore delegate;
    public volatile boolean down;
    public final AtomicInteger restrictionCalls = new AtomicInteger();
    public final AtomicInteger leaseCalls = new AtomicInteger();
    /** While set, lease calls are answered only once it completes (a slow store). */
    public volatile CompletableFuture<Void> leaseGate;

    public FaultyHotStore(HotStore delegate) {
        this.delegate = delegate;
    }

    private <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> op) {
        if (down) {
            return CompletableFuture.failedFuture(new DanmakuException("store down (test)", true));
        }
        return op.get();
    }

    @Override
    public CompletableFuture<Void> appendHistory(String room, List<RoomRecord> records) {
        return call(() -> delegate.appendHistory(room, records));
    }

    @Override
    public CompletableFuture<HistoryPage> history(HistoryQuery query) {
        return call(() -> delegate.history(query));
    }

    @Override
    public CompletableFuture<Void> reportOnline(String gatewayId, Map<String, Integer> counts, Duration ttl) {
        return call(() -> delegate.reportOnline(gatewayId, counts, ttl));
    }

    @Override
    public CompletableFuture<Long> online(String room) {
        return call(() -> delegate.online(room));
    }

    @Override
    public CompletableFuture<Void> ban(String userId, Duration duration) {
        return call(() -> delegate.ban(userId, duration));
    }

    @Override
    public CompletableFuture<Void> unban(String userId) {
        return call(() -> delegate.unban(userId));
    }

    @Override
    public CompletableFuture<Void> mute(String room, String userId, Duration duration) {
        return call(() -> delegate.mute(room, userId, duration));
    }

    @Override
    public CompletableFuture<Void> unmute(String room, String userId) {
        return call(() -> delegate.unmute(room, userId));
    }

    @Override
    public CompletableFuture<Restriction> restriction(String room, String userId) {
        return call(() -> {
            restrictionCalls.incrementAndGet();
            return delegate.restriction(room, userId);
        });
    }

    @Override
    public CompletableFuture<List<Restriction>> restrictions(List<RestrictionKey> keys) {
        return call(() -> {
            restrictionCalls.incrementAndGet();
            return delegate.restrictions(keys);
        });
    }

    /** The feed itself stays up while the store is down (as a subscription that is not cut). */
    @Override
    public CompletableFuture<Void> publishControl(ControlMessage message) {
        return delegate.publishControl(message);
    }

    @Override
    public StoreSubscription subscribeControl(ControlListener listener) {
        return delegate.subscribeControl(listener);
    }

    @Override
    public CompletableFuture<Void> reportPresence(String gatewayId, Map<String, RoomPresence> rooms, Duration ttl) {
        return delegate.reportPresence(gatewayId, rooms, ttl);
    }

    @Override
    public CompletableFuture<PresenceSnapshot> presence(String room) {
        return delegate.presence(room);
    }

    @Override
    public CompletableFuture<Map<String, Long>> channels(RoomPattern pattern, int limit) {
        return delegate.channels(pattern, limit);
    }

    @Override
    public CompletableFuture<Void> setStreamStart(String room, long startMillis) {
        return call(() -> delegate.setStreamStart(room, startMillis));
    }

    @Override
    public CompletableFuture<java.util.OptionalLong> streamStart(String room) {
        return call(() -> delegate.streamStart(room));
    }

    @Override
    public CompletableFuture<Void> removeHistory(String room) {
        return delegate.removeHistory(room);
    }

    @Override
    public CompletableFuture<Integer> retract(String room, java.util.Collection<String> messageIds) {
        return delegate.retract(room, messageIds);
    }

    @Override
    public CompletableFuture<Void> reportNode(NodeInfo node, Duration ttl) {
        return delegate.reportNode(node, ttl);
    }

    @Override
    public CompletableFuture<List<NodeInfo>> nodes() {
        return delegate.nodes();
    }

    @Override
    public StoreSubscription subscribeRestrictions(RestrictionListener listener) {
        return delegate.subscribeRestrictions(listener);
    }

    @Override
    public CompletableFuture<TokenLease> lease(String key, RateLimit limit, int wanted) {
        return call(() -> {
            leaseCalls.incrementAndGet();
            CompletableFuture<Void> gate = leaseGate;
            return gate == null ? delegate.lease(key, limit, wanted)
                    : gate.thenCompose(v -> delegate.lease(key, limit, wanted));
        });
    }

    @Override
    public CompletableFuture<RateDecision> acquire(String key, RateLimit limit) {
        return call(() -> delegate.acquire(key, limit));
    }

    @Override
    public CompletableFuture<Boolean> markOnce(String key, Duration ttl) {
        return call(() -> delegate.markOnce(key, ttl));
    }

    @Override
    public CompletableFuture<Void> unmark(String key) {
        return call(() -> delegate.unmark(key));
    }

    @Override
    public CompletableFuture<io.danmaku.protocol.store.OnceClaim> claimOnce(String key, Duration ttl) {
        return call(() -> delegate.claimOnce(key, ttl));
    }

    @Override
    public CompletableFuture<Void> completeOnce(String key, byte[] result, Duration ttl) {
        return call(() -> delegate.completeOnce(key, result, ttl));
    }

    @Override
    public CompletableFuture<Void> releaseOnce(String key) {
        return call(() -> delegate.releaseOnce(key));
    }

    @Override
    public void close() {
        delegate.close();
    }
}
