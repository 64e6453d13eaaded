package io.danmaku.bench.load;

import io.danmaku.bench.measure.Latencies;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/** What the posting clients of an ingest run sent and were answered, shared by all of them. */
public final class IngestStats {
    public final LongAdder sent = new LongAdder();
    public final LongAdder accepted = new LongAdder();
    public final LongAdder skippedInFlightCap = new LongAdder();
    public final Latencies ackLatency = new Latencies();
    private final ConcurrentHashMap<String, LongAdder> rejected = new ConcurrentHashMap<>();
    /** A bit per accepted sequence number (for the loss check), sized by the planned total. */
    private final AtomicLongArray acceptedSeqs;
    private final long capacity;

    public IngestStats(long capacity) {
        this.capacity = capacity;
        this.acceptedSeqs = new AtomicLongArray((int) ((capacity + 63) >>> 6));
    }

    void accept(long seq, long latencyMicros) {
        accepted.increment();
        ackLatency.record(latencyMicros);
        if (seq >= 0 && seq < capacity) {
            int w = (int) (seq >>> 6);
            long bit = 1L << seq;
            acceptedSeqs.getAndUpdate(w, v -> v | bit);
        }
    }

    void reject(String reason) {
        rejected.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    public boolean wasAccepted(long seq) {
        return seq >= 0 && seq < capacity && (acceptedSeqs.get((int) (seq >>> 6)) & (1L << seq)) != 0;
    }

    public long capacity() {
        return capacity;
    }

    public Map<String, Long> rejections() {
        Map<String, Long> out = new TreeMap<>();
        rejected.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    public long rejectedTotal() {
        long n = 0;
        for (LongAdder a : rejected.values()) {
            n += a.sum();
        }
        return n;
    }
}
