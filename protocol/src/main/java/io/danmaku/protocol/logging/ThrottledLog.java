package io.danmaku.protocol.logging;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.trace.TraceId;
import io.danmaku.protocol.trace.TraceMdc;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;

/**
 * A WARN line for hot-path problems that may repeat thousands of times a second (a store that is down): at most
 * one line per interval, the next one saying how many were suppressed meanwhile. Counters carry the totals.
 */
public final class ThrottledLog {
    private final Logger log;
    private final long intervalNanos;
    private final AtomicLong nextAllowedNanos;
    private final AtomicLong suppressed = new AtomicLong();

    public ThrottledLog(Logger log, Duration interval) {
        this.log = requireNonNull(log, "log");
        this.intervalNanos = requireNonNull(interval, "interval").toNanos();
        this.nextAllowedNanos = new AtomicLong(System.nanoTime());
    }

    /** Logs at WARN unless a line was logged less than the interval ago. */
    public void warn(String format, Object... args) {
        long skipped = permit();
        if (skipped >= 0) {
            emit(skipped, format, args);
        }
    }

    /**
     * As {@link #warn(String, Object...)} for a line about the posts of a batch: when the line is logged, the MDC
     * holds their trace ids ({@link TraceMdc#TRACE_IDS}); nothing is spent on them when it is not.
     */
    public <T> void warn(List<T> about, Function<? super T, TraceId> traceOf, String format, Object... args) {
        long skipped = permit();
        if (skipped >= 0) {
            try (TraceMdc.Scope ignored = TraceMdc.putAll(about, traceOf)) {
                emit(skipped, format, args);
            }
        }
    }

    /** The count suppressed since the last line when a line may be logged now, else -1 (counted as suppressed). */
    private long permit() {
        long now = System.nanoTime();
        long next = nextAllowedNanos.get();
        if (now - next < 0 || !nextAllowedNanos.compareAndSet(next, now + intervalNanos)) {
            suppressed.incrementAndGet();
            return -1;
        }
        return suppressed.getAndSet(0);
    }

    private void emit(long skipped, String format, Object[] args) {
        if (skipped == 0) {
            log.warn(format, args);
        } else {
            log.warn(format + " ({} similar suppressed)", append(args, skipped));
        }
    }

    private static Object[] append(Object[] args, Object last) {
        // keep a trailing Throwable last so SLF4J still prints its stack trace; warn(msg, null) passes a null array
        if (args == null) {
            return new Object[] {last};
        }
        int n = args.length;
        Object[] out = new Object[n + 1];
        if (n > 0 && args[n - 1] instanceof Throwable) {
            System.arraycopy(args, 0, out, 0, n - 1);
            out[n - 1] = last;
            out[n] = args[n - 1];
        } else {
            System.arraycopy(args, 0, out, 0, n);
            out[n] = last;
        }
        return out;
    }
}
