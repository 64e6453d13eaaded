package io.danmaku.testkit.leak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs the extension's check directly (it is not registered for testkit's own tests, which leak on purpose).
 */
class NettyLeakExtensionTest {
    private final NettyLeakExtension extension = new NettyLeakExtension();
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
    void failsTheClassWithTheRecordsOfALeakedBuffer() {
        assumeTrue(RecordingLeakDetector.installed(), "run with -D" + RecordingLeakDetector.PROPERTY);
        leakABuffer();

        AtomicReference<AssertionError> failure = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            failure.set(catchThrowableOfType(AssertionError.class, () -> extension.check("LeakyTest")));
            return failure.get() != null;
        });

        assertThat(failure.get().getMessage())
                .startsWith("1 Netty leak(s) detected after LeakyTest")
                .contains("LEAK of ByteBuf")
                .contains("leakABuffer");
        assertThat(RecordingLeakDetector.reported()).as("drained by the check").isEmpty();
    }

    @Test
    void passesWhenEveryBufferWasReleased() {
        ByteBuf buffer = UnpooledByteBufAllocator.DEFAULT.directBuffer(16);
        buffer.writeLong(42);
        buffer.release();

        assertThatCode(() -> extension.check("TidyTest")).doesNotThrowAnyException();
    }

    @Test
    void describesEachLeak() {
        String message = NettyLeakExtension.describe("SomeTest", List.of(
                new LeakReport("ByteBuf", "\nRecent access records:\n#1: here"),
                new LeakReport("HashedWheelTimer", "")));

        assertThat(message)
                .startsWith("2 Netty leak(s) detected after SomeTest")
                .contains("LEAK of ByteBuf:\nRecent access records:\n#1: here")
                .contains("LEAK of HashedWheelTimer (no access records");
    }

    private static void leakABuffer() {
        // A direct buffer: Netty tracks those (unpooled heap buffers are left to the garbage collector).
        ByteBuf buffer = UnpooledByteBufAllocator.DEFAULT.directBuffer(16);
        buffer.writeInt(7);
        // Not released: the buffer becomes garbage while Netty still tracks it.
    }
}
