package io.danmaku.logic.rule;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.logging.ThrottledLog;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.store.RateDecision;
import io.danmaku.protocol.store.RateLimit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rate limits: one token from the user's bucket ({@code rl:u:<user>}, every room together), then one from the
 * room's ({@code rl:r:<room>}, every user together), both global through the hot store. While the store fails,
 * the same buckets are kept in this process instead (limits then hold per instance), counted as
 * {@code danmaku.logic.ratelimit.fallbacks}.
 */
public final class RateLimitRule implements PostRule {
    public static final String USER_KEY_PREFIX = "rl:u:";
    public static final String ROOM_KEY_PREFIX = "rl:r:";
    /** Bound of the local fallback buckets. */
    public static final int MAX_LOCAL_KEYS = 100_000;

    private static final Logger LOG = LoggerFactory.getLogger(RateLimitRule.class);

    private final HotStore store;
    private final RateLimit userRate;
    private final RateLimit roomRate;
    private final LocalTokenBuckets local;
    private final Counter errors;
    private final Counter fallbacks;
    private final ThrottledLog warn = new ThrottledLog(LOG, Duration.ofSeconds(10));

    public RateLimitRule(HotStore store, RateLimit userRate, RateLimit roomRate, Clock clock,
                         MeterRegistry registry) {
        this.store = requireNonNull(store, "store");
        this.userRate = requireNonNull(userRate, "userRate");
        this.roomRate = requireNonNull(roomRate, "roomRate");
        this.local = new LocalTokenBuckets(requireNonNull(clock, "clock"), MAX_LOCAL_KEYS);
        requireNonNull(registry, "registry");
        this.errors = Counter.builder("danmaku.logic.hotstore.errors")
                .description("Hot store operations that failed, by operation")
                .tag("op", "acquire")
                .register(registry);
        this.fallbacks = Counter.builder("danmaku.logic.ratelimit.fallbacks")
                .description("Rate-limit decisions taken by the local buckets because the hot store failed")
                .register(registry);
    }

    @Override
    public CompletableFuture<Rejection> check(PostRequest post) {
        CompletableFuture<Rejection> userCheck = post.user() == null ? PostRule.pass()
                : acquire(USER_KEY_PREFIX + post.user().id(), userRate, "user");
        return userCheck.thenCompose(rejection -> rejection != null ? PostRule.reject(rejection)
                : acquire(ROOM_KEY_PREFIX + post.room(), roomRate, "room"));
    }

    private CompletableFuture<Rejection> acquire(String key, RateLimit limit, String scope) {
        CompletableFuture<RateDecision> decision;
        try {
            decision = store.acquire(key, limit);
        } catch (RuntimeException e) {
            decision = CompletableFuture.failedFuture(e);
        }
        return decision.handle((d, error) -> {
            if (error != null || d == null) {
                errors.increment();
                fallbacks.increment();
                warn.warn("rate limit store failed, using local buckets: {}",
                        error == null ? "no answer" : error.toString());
                d = local.acquire(key, limit);
            }
            if (d.allowed()) {
                return null;
            }
            long retryMillis = Math.max(1, d.retryAfter().toMillis());
            return new Rejection(RejectReason.RATE_LIMITED,
                    scope + " rate limit exceeded (" + describe(limit) + "): retry after " + retryMillis + " ms");
        });
    }

    private static String describe(RateLimit limit) {
        double perSecond = limit.perSecond();
        String rate = perSecond == Math.rint(perSecond) ? String.valueOf((long) perSecond) : String.valueOf(perSecond);
        return "burst " + limit.burst() + ", then " + rate + " per second";
    }
}
