package io.danmaku.testkit.leak;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reported a leaked reference-counted object while it ran (or in an earlier class
 * of the same JVM whose leak only became collectable now).
 *
 * <p>After the class's last test it runs the garbage collector and allocates a few buffers, which is when Netty
 * looks for tracked objects that were collected without being released; then it drains
 * {@link RecordingLeakDetector}'s list and fails with every leak's access records. Works only when the JVM runs
 * with {@code -Dio.netty.customResourceLeakDetector=io.danmaku.testkit.leak.RecordingLeakDetector} (the parent
 * POM's Surefire argLine); otherwise it does nothing.
 *
 * <p>Registered for JUnit's extension auto-detection in {@code META-INF/services}; a module turns it on with
 * {@code junit.jupiter.extensions.autodetection.enabled=true} in {@code src/test/resources/junit-platform.properties}.
 */
public final class NettyLeakExtension implements AfterAllCallback {
    private static final int ROUNDS = 3;
    private static final int SAMPLED_ALLOCATIONS = 2048;

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        check(context.getDisplayName());
    }

    /** Provokes leak detection and throws an {@link AssertionError} listing every leak recorded so far. */
    void check(String testClass) throws InterruptedException {
        if (!RecordingLeakDetector.installed() || ResourceLeakDetector.getLevel() == ResourceLeakDetector.Level.DISABLED) {
            return;
        }
        provokeDetection();
        List<LeakReport> leaks = RecordingLeakDetector.drain();
        if (!leaks.isEmpty()) {
            throw new AssertionError(describe(testClass, leaks));
        }
    }

    /**
     * Makes Netty notice objects that were collected unreleased: it checks its reference queue each time it
     * tracks a new object, i.e. on buffer allocation (every allocation at paranoid level, a sample otherwise).
     */
    static void provokeDetection() throws InterruptedException {
        int allocations = ResourceLeakDetector.getLevel() == ResourceLeakDetector.Level.PARANOID ? 8 : SAMPLED_ALLOCATIONS;
        ByteBufAllocator[] allocators = {ByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT};
        for (int round = 0; round < ROUNDS; round++) {
            System.gc();
            // Collected references are enqueued by the JVM's reference handler thread, shortly after the GC.
            Thread.sleep(10);
            for (int i = 0; i < allocations; i++) {
                for (ByteBufAllocator allocator : allocators) {
                    ByteBuf heap = allocator.heapBuffer(1);
                    heap.release();
                    ByteBuf direct = allocator.directBuffer(1);
                    direct.release();
                }
            }
        }
    }

    static String describe(String testClass, List<LeakReport> leaks) {
        return leaks.size() + " Netty leak(s) detected after " + testClass
                + " (the leaked object was allocated in this class or in one that ran before it in this JVM;"
                + " the records show where it was last touched):\n"
                + leaks.stream().map(LeakReport::toString).collect(Collectors.joining("\n\n"));
    }
}
