package io.danmaku.logic.rule;

import io.danmaku.protocol.store.RateDecision;
import io.danmaku.protocol.store.RateLimit;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Token buckets kept in this process: the per-user limits (exact, since a user's posts all reach the same logic
 * instance) and the fallback for the per-room limit while the hot store fails. Bounded by {@code maxKeys}: when
 * full, the buckets that have refilled completely are dropped first (a full bucket is the same as none, so that
 * loses nothing); only if that is not enough is everything dropped, counted in {@link #overflows()} (the worst case
 * is then one extra burst per key).
 */
final class LocalTokenBuckets {
    private static final class Bucket {
        private double tokens;
        private long lastRefillMillis;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.lastRefillMillis = now;
        }

        synchronized RateDecision take(RateLimit limit, long now) {
            refill(limit, now);
            if (tokens >= 1.0) {
                tokens -= 1.0;
                return RateDecision.ALLOWED;
            }
            long waitMillis = (long) Math.ceil((1.0 - tokens) * 1000.0 / limit.perSecond());
            return RateDecision.refused(Duration.ofMillis(Math.max(1, waitMillis)));
        }

        /** Takes up to {@code wanted} tokens; returns how many. */
        synchronized int takeUpTo(int wanted, RateLimit limit, long now) {
            refill(limit, now);
            int granted = (int) Math.min(wanted, Math.floor(tokens));
            tokens -= granted;
            return granted;
        }

        synchronized boolean full(RateLimit limit, long now) {
            refill(limit, now);
            return tokens >= limit.burst();
        }

        private void refill(RateLimit limit, long now) {
            long elapsed = Math.max(0, now - lastRefillMillis);
            tokens = Math.min(limit.burst(), tokens + elapsed * limit.perSecond() / 1000.0);
            lastRefillMillis = now;
        }
    }

    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final Clock clock;
    private final int maxKeys;
    private final AtomicLong overflows = new AtomicLong();

    LocalTokenBuckets(Clock clock, int maxKeys) {
        this.clock = clock;
        this.maxKeys = maxKeys;
    }

    RateDecision acquire(String key, RateLimit limit) {
        long now = clock.millis();
        return bucket(key, limit, now).take(limit, now);
    }

    /** Takes up to {@code wanted} tokens of bucket {@code key} at once; returns how many it held (0..wanted). */
    int acquireUpTo(String key, RateLimit limit, int wanted) {
        long now = clock.millis();
        return bucket(key, limit, now).takeUpTo(wanted, limit, now);
    }

    private Bucket bucket(String key, RateLimit limit, long now) {
        Bucket bucket = buckets.get(key);
        if (bucket == null) {
            if (buckets.size() >= maxKeys) {
                buckets.values().removeIf(b -> b.full(limit, now));
                if (buckets.size() >= maxKeys) {
                    buckets.clear();
                    overflows.incrementAndGet();
                }
            }
            bucket = buckets.computeIfAbsent(key, k -> new Bucket(limit.burst(), now));
        }
        return bucket;
    }

    /** How often the buckets were all dropped because none of them was full. */
    long overflows() {
        return overflows.get();
    }

}
