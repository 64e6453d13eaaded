package io.danmaku.protocol.store;

/**
 * A token bucket: up to {@code burst} at once, refilled at {@code perSecond}.
 */
public record RateLimit(int burst, double perSecond) {
    public RateLimit {
        if (burst < 1) {
            throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
        }
        if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("perSecond: " + perSecond + " (expected: > 0)");
        }
    }
}
