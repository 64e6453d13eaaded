package io.danmaku.bench.wire;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Counters shared by the sessions of one run: how many are ready (subscribed), failed before that, or closed
 * after it (disconnects), and the first failure reason.
 */
public final class Fleet {
    public final AtomicInteger ready = new AtomicInteger();
    public final AtomicInteger failed = new AtomicInteger();
    public final AtomicInteger disconnects = new AtomicInteger();
    public final AtomicReference<String> firstFailure = new AtomicReference<>();
    /** Set when the run closes its connections on purpose, so those closes are not disconnects. */
    public volatile boolean closing;

    void fail(String reason) {
        failed.incrementAndGet();
        firstFailure.compareAndSet(null, reason);
    }
}
