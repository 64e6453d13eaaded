package io.danmaku.protocol.store;

import java.time.Duration;

/** The outcome of taking one token: allowed, or refused with the time until a token is available. */
public record RateDecision(boolean allowed, Duration retryAfter) {
    public static final RateDecision ALLOWED = new RateDecision(true, Duration.ZERO);

    public static RateDecision refused(Duration retryAfter) {
        return new RateDecision(false, retryAfter);
    }
}
