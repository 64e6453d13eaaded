package io.danmaku.protocol.store;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * The tokens {@link HotStore#lease} took from a bucket: {@code granted} (0 up to what was wanted) and, when none
 * was left, the time until the next one ({@link Duration#ZERO} otherwise).
 */
public record TokenLease(int granted, Duration retryAfter) {
    public TokenLease {
        if (granted < 0) {
            throw new IllegalArgumentException("granted: " + granted + " (expected: >= 0)");
        }
        requireNonNull(retryAfter, "retryAfter");
    }
}
