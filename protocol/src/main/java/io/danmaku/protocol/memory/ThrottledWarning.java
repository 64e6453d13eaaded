package io.danmaku.protocol.memory;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * A WARN that is logged at most once per interval; occurrences in between are counted and reported with the
 * next line, so a failing listener or store cannot flood the log.
 */
final class ThrottledWarning {
    private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Logger log;
    private final AtomicLong nextAllowedNanos = new AtomicLong(System.nanoTime());
    private final AtomicLong suppressed = new AtomicLong();

    ThrottledWarning(Logger log) {
        this.log = log;
    }

    void warn(String message, Throwable cause) {
        long now = System.nanoTime();
        long next = nextAllowedNanos.get();
        if (now - next >= 0 && nextAllowedNanos.compareAndSet(next, now + INTERVAL_NANOS)) {
            long skipped = suppressed.getAndSet(0);
            log.warn("{} ({} similar warnings suppressed)", message, skipped, cause);
        } else {
            suppressed.incrementAndGet();
        }
    }
}
