package io.danmaku.logic.rule;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.logging.ThrottledLog;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.store.Restriction;
import io.danmaku.protocol.store.RestrictionChange;
import io.danmaku.protocol.store.RestrictionKey;
import io.danmaku.protocol.store.RestrictionListener;
import io.danmaku.protocol.store.StoreSubscription;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ban and mute, from a cache in this process kept current by the store's change feed
 * ({@link HotStore#subscribeRestrictions}): a ban or mute made through any logic instance reaches every
 * instance's cache within about a second, and a cut feed empties the cache. The posts of a batch whose answer is
 * not cached are looked up together in one store call ({@link HotStore#restrictions}); entries also expire after
 * the cache TTL, a backstop for an expiring ban or mute. A store failure fails closed for the posts it had to
 * look up: {@code unavailable}, since letting a banned user through is worse than asking for a retry.
 *
 * <p>Meters: {@code danmaku.logic.hotstore.errors} (tag {@code op=restriction}),
 * {@code danmaku.logic.restriction.lookups} (posts looked up in the store, i.e. cache misses) and
 * {@code danmaku.logic.restriction.invalidations}.
 */
public final class RestrictionRule implements PostRule, RestrictionListener, AutoCloseable {
    /** Bound of the cache, in users; beyond it the cache is pruned. */
    public static final int MAX_CACHE_USERS = 200_000;
    public static final String BANNED_MESSAGE = "you are banned from posting";
    public static final String MUTED_MESSAGE = "you are muted in this room";

    private static final Logger LOG = LoggerFactory.getLogger(RestrictionRule.class);
    private static final Rejection BANNED = new Rejection(RejectReason.BANNED, BANNED_MESSAGE);
    private static final Rejection MUTED = new Rejection(RejectReason.MUTED, MUTED_MESSAGE);
    private static final Rejection STORE_DOWN = new Rejection(RejectReason.UNAVAILABLE,
            "hot store unavailable, retry");

    private final HotStore store;
    private final Clock clock;
    private final RestrictionCache cache;
    private final Counter errors;
    private final Counter lookups;
    private final Counter invalidations;
    private final ThrottledLog warn = new ThrottledLog(LOG, Duration.ofSeconds(10));
    private StoreSubscription subscription;

    /**
     * @param cacheTtl how long an answer is kept at most; {@link Duration#ZERO} = no cache (every post is looked
     *     up, still one store call per batch)
     */
    public RestrictionRule(HotStore store, Duration cacheTtl, Clock clock, MeterRegistry registry) {
        this.store = requireNonNull(store, "store");
        requireNonNull(cacheTtl, "cacheTtl");
        this.clock = requireNonNull(clock, "clock");
        this.cache = cacheTtl.isZero() ? null : new RestrictionCache(clock, cacheTtl.toMillis(), MAX_CACHE_USERS);
        requireNonNull(registry, "registry");
        this.errors = Counter.builder("danmaku.logic.hotstore.errors")
                .description("Hot store operations that failed, by operation")
                .tag("op", "restriction")
                .register(registry);
        this.lookups = Counter.builder("danmaku.logic.restriction.lookups")
                .description("Posts whose ban/mute state was not cached and was looked up in the hot store")
                .register(registry);
        this.invalidations = Counter.builder("danmaku.logic.restriction.invalidations")
                .description("Ban/mute changes and feed resets that emptied cache entries")
                .register(registry);
    }

    /** Subscribes to the store's change feed; until then (and without a cache) every answer comes from the store. */
    public synchronized RestrictionRule start() {
        if (cache != null && subscription == null) {
            subscription = store.subscribeRestrictions(this);
        }
        return this;
    }

    @Override
    public synchronized void close() {
        if (subscription != null) {
            subscription.close();
            subscription = null;
        }
    }

    @Override
    public CompletableFuture<Void> check(PostBatch batch) {
        long now = clock.millis();
        // one store key per distinct (room, user) still unknown, with the posts waiting for it
        Map<RestrictionKey, List<Integer>> misses = null;
        for (int i = 0; i < batch.size(); i++) {
            PostRequest post = batch.post(i);
            if (!batch.passing(i) || post.user() == null) {
                continue;
            }
            Restriction cached = cache == null ? null : cache.get(post.room(), post.user().id(), now);
            if (cached != null) {
                apply(batch, i, cached);
                continue;
            }
            if (misses == null) {
                misses = new LinkedHashMap<>();
            }
            misses.computeIfAbsent(new RestrictionKey(post.room(), post.user().id()), k -> new ArrayList<>(1)).add(i);
        }
        if (misses == null) {
            return PostRule.done();
        }
        Map<RestrictionKey, List<Integer>> waiting = misses;
        List<RestrictionKey> keys = List.copyOf(waiting.keySet());
        lookups.increment(keys.size());
        long generation = cache == null ? 0 : cache.generation();
        CompletableFuture<List<Restriction>> lookup;
        try {
            lookup = store.restrictions(keys);
        } catch (RuntimeException e) {
            lookup = CompletableFuture.failedFuture(e);
        }
        return lookup.handle((answers, error) -> {
            if (error != null || answers == null || answers.size() != keys.size()) {
                errors.increment();
                warn.warn("ban/mute lookup failed, rejecting {} posts as unavailable: {}", keys.size(),
                        error != null ? error.toString() : "answers do not match the lookup");
                waiting.values().forEach(indexes -> indexes.forEach(i -> batch.reject(i, STORE_DOWN)));
                return null;
            }
            for (int k = 0; k < keys.size(); k++) {
                RestrictionKey key = keys.get(k);
                Restriction answer = answers.get(k);
                if (cache != null) {
                    cache.put(key.room(), key.userId(), answer, generation);
                }
                for (int i : waiting.get(key)) {
                    apply(batch, i, answer);
                }
            }
            return null;
        });
    }

    private static void apply(PostBatch batch, int index, Restriction restriction) {
        switch (restriction) {
            case BANNED -> batch.reject(index, BANNED);
            case MUTED -> batch.reject(index, MUTED);
            case NONE -> {
            }
        }
    }

    /** A change reported by the store's feed (also for changes made through this process). */
    @Override
    public void changed(RestrictionChange change) {
        invalidations.increment();
        if (cache == null) {
            return;
        }
        if (change.everyRoom()) {
            cache.invalidateUser(change.userId());
        } else {
            cache.invalidate(change.room(), change.userId());
        }
    }

    /** The feed may have missed changes: nothing cached can be trusted. */
    @Override
    public void reset() {
        invalidations.increment();
        if (cache != null) {
            cache.clear();
        }
    }

    /** Forgets the cached answer for one user in one room (after a mute or unmute through this process). */
    public void invalidate(String room, String userId) {
        changed(RestrictionChange.ofRoom(room, userId));
    }

    /** Forgets the cached answers for a user in every room (after a ban or unban through this process). */
    public void invalidateUser(String userId) {
        changed(RestrictionChange.ofUser(userId));
    }
}
