package io.danmaku.gateway.room;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.protocol.RoomRecord;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * When a room's messages leave as frames: at once after a quiet spell, spaced by the window while busy, early when
 * a batch is full, and spaced further (never beyond the maximum) when writing to the room is expensive. Time is
 * the embedded loop's frozen clock; the window lengths are far beyond what a test run takes, so no real time can
 * make a scheduled flush run early.
 */
class BatchingTest {
    static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    /** Frames as the offsets they carry, e.g. "1,2,3". */
    static final BatchEncoder OFFSETS = (ByteBufAllocator alloc, String room, List<RoomRecord> records) ->
            alloc.buffer().writeBytes(records.stream().map(r -> Long.toString(r.offset()))
                    .collect(Collectors.joining(",")).getBytes(StandardCharsets.US_ASCII));

    record TestMember(EmbeddedChannel channel) implements Member {
        @Override
        public BatchEncoder encoder() {
            return OFFSETS;
        }

        @Override
        public void onSkippedBatch(long nowNanos) {
        }
    }

    EmbeddedChannel loop;
    EmbeddedChannel member;
    RoomRegistry registry;
    long offset;

    @BeforeEach
    void setUp() {
        loop = new EmbeddedChannel();
        loop.freezeTime();
        member = new EmbeddedChannel();
    }

    @AfterEach
    void tearDown() {
        member.finishAndReleaseAll();
        loop.finishAndReleaseAll();
    }

    void start(BatchPolicy policy) {
        registry = new RoomRegistry(loop.eventLoop(), policy, 16, new FanoutMetrics(new SimpleMeterRegistry()));
        registry.shard(loop.eventLoop()).join(new TestMember(member), "7", false, 0);
    }

    void publish(int count) {
        List<RoomRecord> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            offset++;
            records.add(new RoomRecord("7", offset, "e", System.currentTimeMillis(), new byte[0]));
        }
        registry.dispatch(records);
        loop.runPendingTasks();
    }

    void advance(long nanos) {
        loop.advanceTimeBy(nanos, TimeUnit.NANOSECONDS);
        loop.runScheduledPendingTasks();
    }

    List<String> frames() {
        List<String> out = new ArrayList<>();
        ByteBuf b;
        while ((b = member.readOutbound()) != null) {
            out.add(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        return out;
    }

    @Test
    void firstMessageAfterAQuietSpellGoesOutAtOnce() {
        start(BatchPolicy.fixed(10 * SECOND, 100));
        publish(1);
        assertThat(frames()).containsExactly("1");
    }

    @Test
    void messagesWithinTheWindowWaitForItAndLeaveAsOneFrame() {
        start(BatchPolicy.fixed(10 * SECOND, 100));
        publish(1);
        publish(2);
        publish(1);
        assertThat(frames()).containsExactly("1");
        advance(9 * SECOND);
        assertThat(frames()).isEmpty();
        advance(SECOND);
        assertThat(frames()).containsExactly("2,3,4");
    }

    @Test
    void aFullBatchLeavesBeforeTheWindowEnds() {
        start(BatchPolicy.fixed(10 * SECOND, 3));
        publish(1);
        publish(2);
        assertThat(frames()).containsExactly("1");
        publish(1);
        assertThat(frames()).containsExactly("2,3,4");
        advance(10 * SECOND);
        assertThat(frames()).as("nothing left for the scheduled flush").isEmpty();
    }

    @Test
    void zeroWindowWritesEveryHandOffAtOnce() {
        start(BatchPolicy.fixed(0, 100));
        publish(1);
        publish(2);
        publish(1);
        assertThat(frames()).containsExactly("1", "2,3", "4");
    }

    @Test
    void anExpensiveRoomIsSpacedFurtherButNeverBeyondTheMaximum() {
        // any flush costs far more than 1e-9 of the window, so the window stretches to the maximum
        start(new BatchPolicy(SECOND, 10 * SECOND, 100, 1e-9));
        publish(1);
        publish(1);
        assertThat(frames()).containsExactly("1");
        advance(SECOND);
        assertThat(frames()).as("the stretched window has not passed").isEmpty();
        advance(9 * SECOND);
        assertThat(frames()).containsExactly("2");
    }

    @Test
    void aCheapRoomKeepsTheMinimumWindow() {
        // the share is the whole loop, and a flush to one member takes far less than a second
        start(new BatchPolicy(SECOND, 10 * SECOND, 100, 1.0));
        publish(1);
        publish(1);
        advance(SECOND);
        assertThat(frames()).containsExactly("1", "2");
    }

    @Test
    void windowForStaysWithinItsBounds() {
        BatchPolicy p = new BatchPolicy(50, 150, 10, 0.5);
        assertThat(p.windowFor(0)).isEqualTo(50);
        assertThat(p.windowFor(40)).as("a 40 ns flush at share 0.5 needs a 40 ns gap: the window is longer")
                .isEqualTo(50);
        assertThat(p.windowFor(80)).as("share 0.5: the gap equals the flush").isEqualTo(80);
        assertThat(new BatchPolicy(50, 1_000, 10, 0.25).windowFor(100)).as("share 0.25: three times the flush")
                .isEqualTo(300);
        assertThat(p.windowFor(1_000)).isEqualTo(150);
        assertThat(BatchPolicy.fixed(50, 10).windowFor(1_000)).isEqualTo(50);
        assertThat(new BatchPolicy(0, 150, 10, 0.5).windowFor(1_000)).as("0 = no batching").isZero();
    }

    @Test
    void invalidPoliciesAreRefusedNamingTheField() {
        assertThatThrownBy(() -> new BatchPolicy(-1, 0, 1, 0.5)).hasMessageContaining("windowNanos");
        assertThatThrownBy(() -> new BatchPolicy(10, 5, 1, 0.5)).hasMessageContaining("maxWindowNanos");
        assertThatThrownBy(() -> new BatchPolicy(10, 10, 0, 0.5)).hasMessageContaining("maxMessages");
        assertThatThrownBy(() -> new BatchPolicy(10, 10, 1, 0)).hasMessageContaining("flushShare");
        assertThatThrownBy(() -> new BatchPolicy(10, 10, 1, 1.5)).hasMessageContaining("flushShare");
        assertThatThrownBy(() -> new BatchPolicy(10, 10, 1, Double.NaN)).hasMessageContaining("flushShare");
    }
}
