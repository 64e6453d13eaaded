package io.danmaku.storage;

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

/**
 * Delegates to a real store but fails the first {@code failingAppends} history appends, and every history read
 * while {@link #historyDown} is set, like a store that is unreachable.
 */
public final class FailingHotStore implements HotStore {
    private final HotStore delegate;
    private final AtomicInteger remainingFailures;
    public final AtomicInteger failures = new AtomicInteger();
    public volatile boolean historyDown;

    public FailingHotStore(HotStore delegate, int failingAppends) {
        this.delegate = delegate;
        this.remainingFailures = new AtomicInteger(failingAppends);
    }

    @Override
    public CompletableFuture<Void> appendHistory(String room, List<RoomRecord> records) {
        if (remainingFailures.getAndDecrement() > 0) {
            failures.incrementAndGet();
            return CompletableFuture.failedFuture(new DanmakuException("test: hot store unreachable", true));
        }
        return delegate.appendHistory(room, records);
    }

    @Override
    public CompletableFuture<HistoryPage> history(HistoryQuery query) {
        if (historyDown) {
            return CompletableFuture.failedFuture(new DanmakuException("test: hot store unreachable", true));
        }
        return delegate.history(query);
    }

    @Override
    public CompletableFuture<Void> reportOnline(String gatewayId, Map<String, Integer> counts, Duration ttl) {
        return delegate.reportOnline(gatewayId, counts, ttl);
    }

    @Override
    public CompletableFuture<Long> online(String room) {
        return delegate.online(room);
    }

    @Override
    public CompletableFuture<Void> ban(String userId, Duration duration) {
        return delegate.ban(userId, duration);
    }

    @Override
    public CompletableFuture<Void> unban(String userId) {
        return delegate.unban(userId);
    }

    @Override
    public CompletableFuture<Void> mute(String room, String userId, Duration duration) {
        return delegate.mute(room, userId, duration);
    }

    @Override
    public CompletableFuture<Void> unmute(String room, String userId) {
        return delegate.unmute(room, userId);
    }

    @Override
    public CompletableFuture<Restriction> restriction(String room, String userId) {
        return delegate.restriction(room, userId);
    }

    @Override
    public CompletableFuture<List<Restriction>> restrictions(List<RestrictionKey> keys) {
        return delegate.restrictions(keys);
    }

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
        return delegate.setStreamStart(room, startMillis);
    }

    @Override
    public CompletableFuture<java.util.OptionalLong> streamStart(String room) {
        return delegate.streamStart(room);
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
    public CompletableFuture<RateDecision> acquire(String key, RateLimit limit) {
        return delegate.acquire(key, limit);
    }

    @Override
    public CompletableFuture<TokenLease> lease(String key, RateLimit limit, int wanted) {
        return delegate.lease(key, limit, wanted);
    }

    @Override
    public CompletableFuture<Boolean> markOnce(String key, Duration ttl) {
        return delegate.markOnce(key, ttl);
    }

    @Override
    public CompletableFuture<Void> unmark(String key) {
        return delegate.unmark(key);
    }

    @Override
    public CompletableFuture<io.danmaku.protocol.store.OnceClaim> claimOnce(String key, Duration ttl) {
        return delegate.claimOnce(key, ttl);
    }

    @Override
    public CompletableFuture<Void> completeOnce(String key, byte[] result, Duration ttl) {
        return delegate.completeOnce(key, result, ttl);
    }

    @Override
    public CompletableFuture<Void> releaseOnce(String key) {
        return delegate.releaseOnce(key);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
