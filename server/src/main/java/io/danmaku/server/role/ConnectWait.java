package io.danmaku.server.role;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.DanmakuException;
import io.danmaku.server.ServerException;
import io.danmaku.server.config.DurationFormat;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up connection to an external service (Redis, Kafka) that may come up after us, as in a cluster whose pods
 * start in any order: retries a retriable failure with exponential backoff (250 ms doubling, at most
 * {@value #MAX_BACKOFF_MILLIS} ms apart) until {@code wait} has passed, then gives up with the last cause. A
 * fatal failure (bad settings) is not retried.
 */
final class ConnectWait {
    static final long FIRST_BACKOFF_MILLIS = 250;
    static final long MAX_BACKOFF_MILLIS = 5_000;
    private static final Logger log = LoggerFactory.getLogger(ConnectWait.class);

    private ConnectWait() {
    }

    /**
     * @param what what is connected to, for the log and the error (e.g. {@code Redis})
     * @param key the configuration key of {@code wait}, named when giving up
     * @throws ServerException when {@code wait} passed without a successful attempt, with the last cause
     */
    static <T> T connect(String what, String key, Duration wait, Supplier<T> attempt) {
        requireNonNull(what, "what");
        requireNonNull(wait, "wait");
        requireNonNull(attempt, "attempt");
        long deadline = System.nanoTime() + wait.toNanos();
        long backoff = FIRST_BACKOFF_MILLIS;
        for (int attempts = 1; ; attempts++) {
            try {
                T connected = attempt.get();
                if (attempts > 1) {
                    log.info("{} reached after {} attempts", what, attempts);
                }
                return connected;
            } catch (DanmakuException e) {
                if (!e.retriable()) {
                    throw e;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new ServerException(e.getMessage() + " (gave up after " + attempts + " attempt"
                            + (attempts == 1 ? "" : "s") + " in " + DurationFormat.format(wait) + ", " + key + ")", e);
                }
                long sleep = Math.min(backoff, Math.max(1, left / 1_000_000));
                log.warn("{} not reachable yet (attempt {}): {}; retrying in {} ms (waiting up to {}, {})", what,
                        attempts, e.getMessage(), sleep, DurationFormat.format(wait), key);
                try {
                    Thread.sleep(sleep);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new ServerException("interrupted while waiting for " + what, interrupted);
                }
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            }
        }
    }
}
