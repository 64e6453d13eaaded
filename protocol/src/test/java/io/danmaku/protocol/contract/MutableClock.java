package io.danmaku.protocol.contract;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock that stands still until a test moves it: for exact expiry and refill tests. Thread-safe. */
public final class MutableClock extends Clock {
    private volatile Instant now;

    public MutableClock(Instant start) {
        this.now = requireNonNull(start, "start");
    }

    public MutableClock() {
        this(Instant.parse("2024-01-01T00:00:00Z"));
    }

    public synchronized void advance(Duration d) {
        now = now.plus(requireNonNull(d, "d"));
    }

    @Override
    public Instant instant() {
        return now;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a MutableClock is always UTC");
    }
}
