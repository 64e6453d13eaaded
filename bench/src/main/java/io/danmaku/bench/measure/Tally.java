package io.danmaku.bench.measure;

import org.HdrHistogram.SingleWriterRecorder;

/**
 * What one subscriber received: a bit per message sequence (exact loss and duplicates), the highest sequence
 * per publisher lane (order), and latency from the send time in the message to {@link #nowMicros}, which the
 * session sets once per read. Written only by the subscriber's event loop; read by the reporting thread after
 * the drain, when the loop has nothing more to write for that step.
 */
public final class Tally {
    private final Ledger ledger;
    private final long[] seen;
    private final long[] lastByLane;
    private final Latencies latencies;
    private SingleWriterRecorder recorder;
    /** Set by the session when bytes arrive, in microseconds of {@code System.nanoTime()}. */
    public long nowMicros;
    public volatile long received;
    public volatile long duplicates;
    public volatile long orderViolations;
    public volatile long untracked;
    /**
     * Bytes of the data frames this subscriber read as they crossed the network: WebSocket header and payload,
     * compressed when the frame was (protocol overhead included).
     */
    public long bytes;
    /** Set when the subscriber is subscribed: only active tallies count toward what was expected. */
    public volatile boolean active;

    public Tally(Ledger ledger, Latencies latencies) {
        this.ledger = ledger;
        this.latencies = latencies;
        this.seen = new long[ledger.words()];
        this.lastByLane = new long[Math.max(0, ledger.lanes())];
        java.util.Arrays.fill(lastByLane, -1);
    }

    /** One message: sequence, publisher lane, send time in microseconds of {@code System.nanoTime()}. */
    public void onMessage(long seq, long lane, long sentMicros) {
        SingleWriterRecorder r = recorder;
        if (r == null) {
            r = recorder = latencies.recorder();
        }
        Latencies.record(r, nowMicros - sentMicros);
        received++;
        if (seq >= 0 && seq < ledger.capacity()) {
            int w = (int) (seq >>> 6);
            long bit = 1L << seq;
            if ((seen[w] & bit) != 0) {
                duplicates++;
                return;
            }
            seen[w] |= bit;
        } else {
            untracked++;
        }
        if (lane >= 0 && lane < lastByLane.length) {
            int l = (int) lane;
            if (seq < lastByLane[l]) {
                orderViolations++;
            } else {
                lastByLane[l] = seq;
            }
        }
    }

    /** Whether sequence {@code seq} was received (false for sequences beyond the ledger's capacity). */
    public boolean saw(long seq) {
        return seq >= 0 && seq < ledger.capacity() && (seen[(int) (seq >>> 6)] & (1L << seq)) != 0;
    }

    /** How many distinct sequences in {@code [from, to)} were received. */
    public long distinct(long from, long to) {
        long count = 0;
        long end = Math.min(to, ledger.capacity());
        for (long s = from; s < end; ) {
            int w = (int) (s >>> 6);
            long word = seen[w];
            int lo = (int) (s & 63);
            int hi = (int) Math.min(64, end - ((long) w << 6));
            long mask = (hi == 64 ? -1L : (1L << hi) - 1) & (-1L << lo);
            count += Long.bitCount(word & mask);
            s = ((long) w + 1) << 6;
        }
        return count;
    }
}
