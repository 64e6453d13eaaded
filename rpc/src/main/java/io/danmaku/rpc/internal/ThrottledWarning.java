package io.danmaku.rpc.internal;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * A WARN for a problem that may repeat on every call (logic down: thousands of failed posts a second): at most one
 * line per interval, carrying how many were left out since the previous one. Counters have the exact totals.
 */
public final class ThrottledWarning {
    private final Logger log;
    private final long intervalNanos;
    private final AtomicLong nextNanos;
    private final AtomicLong skipped = new AtomicLong();

    public ThrottledWarning(Logger log, Duration interval) {
        this.log = requireNonNull(log, "log");
        this.intervalNanos = requireNonNull(interval, "interval").toNanos();
        this.nextNanos = new AtomicLong(System.nanoTime());
    }

    /** Logs {@code message} (no placeholders needed) unless a line went out less than the interval ago. */
    public void warn(String message, Throwable cause) {
        long now = System.nanoTime();
        long next = nextNanos.get();
        if (now - next < 0 || !nextNanos.compareAndSet(next, now + intervalNanos)) {
            skipped.incrementAndGet();
            return;
        }
        long left = skipped.getAndSet(0);
        String line = left == 0 ? message : message + " (" + left + " more like it not logged)";
        if (cause == null) {
            log.warn("{}", line);
        } else {
            log.warn("{}", line, cause);
        }
    }
}
