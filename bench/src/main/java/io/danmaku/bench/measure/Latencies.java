package io.danmaku.bench.measure;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * Latency in microseconds, recorded without contention: each recording thread (an event loop) has its own
 * wait-free {@link SingleWriterRecorder}; {@link #interval()} sums what all of them recorded since the last
 * call. Values are clamped to the histogram's range (1 µs .. 10 min).
 */
public final class Latencies {
    private static final long MAX_MICROS = 600_000_000L;

    private final List<SingleWriterRecorder> recorders = new CopyOnWriteArrayList<>();
    private final ThreadLocal<SingleWriterRecorder> mine = ThreadLocal.withInitial(() -> {
        SingleWriterRecorder r = new SingleWriterRecorder(MAX_MICROS, 3);
        recorders.add(r);
        return r;
    });

    /** The calling thread's recorder; a thread may keep it to skip the lookup. */
    public SingleWriterRecorder recorder() {
        return mine.get();
    }

    public static void record(SingleWriterRecorder r, long micros) {
        r.recordValue(Math.max(1, Math.min(MAX_MICROS, micros)));
    }

    public void record(long micros) {
        record(mine.get(), micros);
    }

    /** Everything recorded since the previous call, summed over threads. */
    public Histogram interval() {
        Histogram sum = new Histogram(MAX_MICROS, 3);
        for (SingleWriterRecorder r : recorders) {
            sum.add(r.getIntervalHistogram());
        }
        return sum;
    }
}
