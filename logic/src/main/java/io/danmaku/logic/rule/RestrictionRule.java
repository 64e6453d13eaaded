package io.danmaku.logic.rule;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.logging.ThrottledLog;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.store.Restriction;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ban and mute: asks the hot store whether the user may post in the room, caching the answer briefly (a ban made
 * through another logic instance applies here within the cache TTL). A store failure fails closed:
 * {@code unavailable}, since letting a banned user through is worse than asking for a retry.
 */
public final class RestrictionRule implements PostRule {
    /** Bound of the cache; beyond it the cache is pruned. */
    public static final int MAX_CACHE_ENTRIES = 100_000;
    public static final String BANNED_MESSAGE = "you are banned from posting";
    public static final String MUTED_MESSAGE = "you are muted in this room";

    private static final Logger LOG = LoggerFactory.getLogger(RestrictionRule.class);

    private final HotStore store;
    private final RestrictionCache cache;
    private final Counter errors;
    private final ThrottledLog warn = new ThrottledLog(LOG, Duration.ofSeconds(10));

    public RestrictionRule(HotStore store, Duration cacheTtl, Clock clock, MeterRegistry registry) {
        this.store = requireNonNull(store, "store");
        requireNonNull(cacheTtl, "cacheTtl");
        requireNonNull(clock, "clock");
        this.cache = cacheTtl.isZero() ? null : new RestrictionCache(clock, cacheTtl.toMillis(), MAX_CACHE_ENTRIES);
        this.errors = Counter.builder("danmaku.logic.hotstore.errors")
                .description("Hot store operations that failed, by operation")
                .tag("op", "restriction")
                .register(requireNonNull(registry, "registry"));
    }

    @Override
    public CompletableFuture<Rejection> check(PostRequest post) {
        if (post.user() == null) {
            return PostRule.pass();
        }
        String room = post.room();
        String user = post.user().id();
        if (cache != null) {
            Restriction cached = cache.get(room, user);
            if (cached != null) {
                return cached == Restriction.NONE ? PostRule.pass() : PostRule.reject(toRejection(cached));
            }
        }
        long generation = cache == null ? 0 : cache.generation();
        CompletableFuture<Restriction> lookup;
        try {
            lookup = store.restriction(room, user);
        } catch (RuntimeException e) {
            lookup = CompletableFuture.failedFuture(e);
        }
        return lookup.handle((restriction, error) -> {
            if (error != null || restriction == null) {
                errors.increment();
                warn.warn("ban/mute lookup failed, rejecting posts as unavailable: {}",
                        error == null ? "no answer" : error.toString());
                return new Rejection(RejectReason.UNAVAILABLE, "hot store unavailable, retry");
            }
            if (cache != null) {
                cache.put(room, user, restriction, generation);
            }
            return toRejection(restriction);
        });
    }

    /** Forgets the cached answer for one user in one room (after a mute or unmute through this process). */
    public void invalidate(String room, String userId) {
        if (cache != null) {
            cache.invalidate(room, userId);
        }
    }

    /** Forgets the cached answers for a user in every room (after a ban or unban through this process). */
    public void invalidateUser(String userId) {
        if (cache != null) {
            cache.invalidateUser(userId);
        }
    }

    private static Rejection toRejection(Restriction restriction) {
        return switch (restriction) {
            case NONE -> null;
            case BANNED -> new Rejection(RejectReason.BANNED, BANNED_MESSAGE);
            case MUTED -> new Rejection(RejectReason.MUTED, MUTED_MESSAGE);
        };
    }
}
