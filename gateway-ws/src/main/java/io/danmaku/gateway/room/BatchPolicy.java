package io.danmaku.gateway.room;

/**
 * When a room's pending messages go out as one frame per member.
 *
 * <p>A room's flushes to its members on one event loop are spaced at least {@code windowNanos} apart (from the end
 * of one to the start of the next), and the first message after a quiet spell goes out at once (the window starts
 * at the previous flush, not at the message), so light traffic is not delayed by batching. For big rooms the
 * spacing stretches: a flush to thousands of members costs one {@code write} per member, so the window grows to
 * keep one room's flushes under {@code flushShare} of its loop's time (measured, smoothed), never beyond
 * {@code maxWindowNanos}. Fewer, fuller frames per member is what
 * keeps a crowded loop — and the clients — from falling behind.
 *
 * @param windowNanos minimum spacing of a room's frames; 0 writes every hand-off at once (no batching, no
 *        stretching)
 * @param maxWindowNanos the longest the spacing may stretch to ({@code == windowNanos}: no stretching)
 * @param maxMessages a batch this big goes out at once, whatever the spacing
 * @param flushShare the share of a loop's time one room's flushes may take before the window stretches, (0, 1]
 */
public record BatchPolicy(long windowNanos, long maxWindowNanos, int maxMessages, double flushShare) {

    public BatchPolicy {
        if (windowNanos < 0) {
            throw new IllegalArgumentException("windowNanos: " + windowNanos + " (expected: >= 0)");
        }
        if (maxWindowNanos < windowNanos) {
            throw new IllegalArgumentException("maxWindowNanos: " + maxWindowNanos + " (expected: >= windowNanos "
                    + windowNanos + ")");
        }
        if (maxMessages < 1) {
            throw new IllegalArgumentException("maxMessages: " + maxMessages + " (expected: >= 1)");
        }
        if (!(flushShare > 0 && flushShare <= 1)) {
            throw new IllegalArgumentException("flushShare: " + flushShare + " (expected: (0, 1])");
        }
    }

    /** A fixed window (no stretching). */
    public static BatchPolicy fixed(long windowNanos, int maxMessages) {
        return new BatchPolicy(windowNanos, windowNanos, maxMessages, 1.0);
    }

    /**
     * The gap between the end of one flush and the start of the next for a room whose flushes take
     * {@code flushCostNanos} (smoothed) on its loop: at least the window, and long enough that the flushes take at
     * most {@code flushShare} of the loop ({@code cost / (cost + gap) <= share}), never beyond the maximum.
     */
    long windowFor(long flushCostNanos) {
        if (windowNanos == 0) {
            return 0; // no batching, no stretching
        }
        long wanted = (long) (flushCostNanos * (1 / flushShare - 1));
        return Math.max(windowNanos, Math.min(maxWindowNanos, wanted));
    }
}
