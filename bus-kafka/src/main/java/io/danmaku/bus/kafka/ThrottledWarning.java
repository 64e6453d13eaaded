package io.danmaku.bus.kafka;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * A WARN logged at most once per interval; the occurrences in between are counted and reported with the next
 * line, so that a broker outage or a failing listener cannot flood the log (the meters count every one).
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
            log.warn("{} ({} similar warnings suppressed): {}", message, skipped, String.valueOf(cause));
            log.debug("cause of the warning above", cause);
        } else {
            suppressed.incrementAndGet();
        }
    }
}
