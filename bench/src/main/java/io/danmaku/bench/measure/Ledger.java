package io.danmaku.bench.measure;

/**
 * Bookkeeping shared by every subscriber of one run: how many message sequence numbers each subscriber
 * tracks exactly (a bit per sequence, so loss and duplicates are exact), and how many publisher lanes there
 * are (order is checked per lane: a lane sends its next message only after the previous one was acknowledged,
 * so the server must deliver a lane's messages in the order it sent them).
 */
public final class Ledger {
    /** Largest bitset memory for all subscribers together. */
    public static final long MAX_BITSET_BYTES = 2L << 30;

    private final long capacity;
    private final int lanes;

    public Ledger(long capacity, int lanes) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: >= 1)");
        }
        this.capacity = capacity;
        this.lanes = lanes;
    }

    /** Sequence numbers 0..capacity-1 are tracked exactly. */
    public long capacity() {
        return capacity;
    }

    public int lanes() {
        return lanes;
    }

    /** Bitset words needed per subscriber. */
    public int words() {
        return (int) ((capacity + 63) >>> 6);
    }
}
