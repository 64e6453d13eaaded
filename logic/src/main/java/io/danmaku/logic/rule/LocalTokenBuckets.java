package io.danmaku.logic.rule;

import io.danmaku.protocol.store.RateDecision;
import io.danmaku.protocol.store.RateLimit;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token buckets kept in this process, used only while the hot store cannot answer: limits then hold per logic
 * instance instead of globally. Bounded: when full, the buckets are dropped (they start full again, so the
 * worst case is one extra burst per key).
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
            long elapsed = Math.max(0, now - lastRefillMillis);
            tokens = Math.min(limit.burst(), tokens + elapsed * limit.perSecond() / 1000.0);
            lastRefillMillis = now;
            if (tokens >= 1.0) {
                tokens -= 1.0;
                return RateDecision.ALLOWED;
            }
            long waitMillis = (long) Math.ceil((1.0 - tokens) * 1000.0 / limit.perSecond());
            return RateDecision.refused(Duration.ofMillis(Math.max(1, waitMillis)));
        }
    }

    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final Clock clock;
    private final int maxKeys;

    LocalTokenBuckets(Clock clock, int maxKeys) {
        this.clock = clock;
        this.maxKeys = maxKeys;
    }

    RateDecision acquire(String key, RateLimit limit) {
        long now = clock.millis();
        Bucket bucket = buckets.get(key);
        if (bucket == null) {
            if (buckets.size() >= maxKeys) {
                buckets.clear();
            }
            bucket = buckets.computeIfAbsent(key, k -> new Bucket(limit.burst(), now));
        }
        return bucket.take(limit, now);
    }
}
