package io.danmaku.testkit.leak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import io.netty.util.ResourceLeakTracker;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RecordingLeakDetectorTest {
    /** A resource type of our own, so nothing else in the JVM is tracked by the detectors made here. */
    static final class Probe {
    }

    private QuietLeakLog quiet;

    @BeforeEach
    void silenceAndForget() {
        quiet = new QuietLeakLog();
        RecordingLeakDetector.drain();
    }

    @AfterEach
    void restore() {
        RecordingLeakDetector.drain();
        quiet.close();
    }

    @Test
    void recordsAnObjectCollectedWithoutBeingClosed() {
        assumeTrue(ResourceLeakDetector.isEnabled(), "leak detection disabled in this JVM");
        RecordingLeakDetector<Probe> detector = new RecordingLeakDetector<>(Probe.class, 1);
        trackAndDrop(detector, "the-leaky-hint");

        // Netty looks at collected objects when it tracks the next one.
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            System.gc();
            Probe next = new Probe();
            ResourceLeakTracker<Probe> tracker = detector.track(next);
            assertThat(tracker.close(next)).isTrue();
            assertThat(RecordingLeakDetector.reported()).isNotEmpty();
        });

        assertThat(RecordingLeakDetector.drain())
                .singleElement()
                .satisfies(leak -> assertThat(leak.resourceType()).isEqualTo("RecordingLeakDetectorTest$Probe"))
                .satisfies(leak -> assertThat(leak.records()).contains("the-leaky-hint"))
                .satisfies(leak -> assertThat(leak.toString()).startsWith("LEAK of RecordingLeakDetectorTest$Probe:"));
        assertThat(RecordingLeakDetector.reported()).isEmpty();
    }

    @Test
    void recordsNothingForObjectsThatWereClosed() {
        assumeTrue(ResourceLeakDetector.isEnabled(), "leak detection disabled in this JVM");
        RecordingLeakDetector<Probe> detector = new RecordingLeakDetector<>(Probe.class, 1);
        for (int i = 0; i < 10; i++) {
            Probe probe = new Probe();
            detector.track(probe).close(probe);
        }
        System.gc();
        Probe last = new Probe();
        detector.track(last).close(last);

        assertThat(RecordingLeakDetector.reported()).isEmpty();
    }

    @Test
    void nettyBuildsTheRecordingDetectorWhenThePropertyIsSet() {
        assumeTrue(RecordingLeakDetector.installed(), "run with -D" + RecordingLeakDetector.PROPERTY);

        ResourceLeakDetector<Probe> detector = ResourceLeakDetectorFactory.instance().newResourceLeakDetector(Probe.class);

        assertThat(detector).isInstanceOf(RecordingLeakDetector.class);
    }

    @Test
    void offersBothConstructorsNettysFactoryLooksFor() throws Exception {
        assertThat(RecordingLeakDetector.class.getConstructor(Class.class, int.class)).isNotNull();
        assertThat(RecordingLeakDetector.class.getConstructor(Class.class, int.class, long.class)).isNotNull();
    }

    private static void trackAndDrop(RecordingLeakDetector<Probe> detector, String hint) {
        Probe probe = new Probe();
        ResourceLeakTracker<Probe> tracker = detector.track(probe);
        assertThat(tracker).isNotNull();
        tracker.record(hint);
        // Neither probe nor tracker.close(probe): the probe becomes garbage while still tracked.
    }
}
