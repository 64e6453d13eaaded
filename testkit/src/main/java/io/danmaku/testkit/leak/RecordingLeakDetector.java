package io.danmaku.testkit.leak;

import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link ResourceLeakDetector} that, besides logging Netty's usual {@code LEAK:} line, remembers every leak it
 * reports in one JVM-wide list that {@link NettyLeakExtension} drains after each test class.
 *
 * <p>Installed with {@code -Dio.netty.customResourceLeakDetector=io.danmaku.testkit.leak.RecordingLeakDetector};
 * Netty's {@code ResourceLeakDetectorFactory} then builds one instance per resource type through the public
 * {@code (Class, int)} constructor (or, failing that, the older {@code (Class, int, long)} one), so both exist.
 *
 * <p>Leaks are reported whatever the logging configuration: {@link #needReport()} is always true, so a test
 * logging setup that silences Netty cannot hide a leak from the guard.
 */
public class RecordingLeakDetector<T> extends ResourceLeakDetector<T> {
    /** The system property Netty reads to pick the detector class. */
    public static final String PROPERTY = "io.netty.customResourceLeakDetector";

    private static final Object LOCK = new Object();
    private static final List<LeakReport> REPORTED = new ArrayList<>();

    /** The constructor Netty's factory looks up for a custom detector. */
    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
    }

    /** The constructor older factories looked up; {@code maxActive} is ignored by Netty. */
    @SuppressWarnings("deprecation")
    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
        super(resourceType, samplingInterval, maxActive);
    }

    /** Leaks recorded by every instance since the last {@link #drain()}, oldest first. */
    public static List<LeakReport> reported() {
        synchronized (LOCK) {
            return List.copyOf(REPORTED);
        }
    }

    /** Returns the leaks recorded since the last call and forgets them. */
    public static List<LeakReport> drain() {
        synchronized (LOCK) {
            List<LeakReport> drained = List.copyOf(REPORTED);
            REPORTED.clear();
            return drained;
        }
    }

    /** Whether this JVM was started with the system property that makes Netty use this detector. */
    public static boolean installed() {
        return RecordingLeakDetector.class.getName().equals(System.getProperty(PROPERTY));
    }

    @Override
    protected boolean needReport() {
        return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        record(new LeakReport(resourceType, records));
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        record(new LeakReport(resourceType, ""));
        super.reportUntracedLeak(resourceType);
    }

    private static void record(LeakReport report) {
        synchronized (LOCK) {
            REPORTED.add(report);
        }
    }
}
