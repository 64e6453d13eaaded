package io.danmaku.gateway.room;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.protocol.RoomRecord;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A member whose batches were skipped while it was not writable: caught up from the room's ring in one frame once
 * writable (at its writability change or at the room's next batch), from its own position only, while the members
 * in step keep getting the shared frames; told instead when the ring no longer holds all it missed.
 */
class CatchUpTest {
    /** A member on an embedded channel that records whether it was told it fell behind. */
    static final class TestMember implements Member {
        final EmbeddedChannel channel = new EmbeddedChannel();
        final List<String> told = new ArrayList<>();

        @Override
        public EmbeddedChannel channel() {
            return channel;
        }

        @Override
        public BatchEncoder encoder() {
            return BatchingTest.OFFSETS;
        }

        @Override
        public void onSkippedBatch(long nowNanos) {
        }

        @Override
        public void onFellBehind(RoomSubscription sub) {
            told.add(sub.room());
        }

        @Override
        public String protocol() {
            return "test";
        }

        void writable(boolean on) {
            channel.unsafe().outboundBuffer().setUserDefinedWritability(1, on);
        }

        List<String> frames() {
            List<String> out = new ArrayList<>();
            ByteBuf b;
            while ((b = channel.readOutbound()) != null) {
                out.add(b.toString(StandardCharsets.US_ASCII));
                b.release();
            }
            return out;
        }
    }

    EmbeddedChannel loop;
    SimpleMeterRegistry meters;
    RoomRegistry registry;
    LoopShard shard;
    TestMember a;
    TestMember b;
    long offset;

    @BeforeEach
    void setUp() {
        loop = new EmbeddedChannel();
        meters = new SimpleMeterRegistry();
        registry = new RoomRegistry(loop.eventLoop(), BatchPolicy.fixed(0, 100), 4,
                new FanoutMetrics(meters, List.of("test")));
        shard = registry.shard(loop.eventLoop());
        a = new TestMember();
        b = new TestMember();
    }

    @AfterEach
    void tearDown() {
        a.channel.finishAndReleaseAll();
        b.channel.finishAndReleaseAll();
        loop.finishAndReleaseAll();
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

    double caughtUp() {
        return meters.counter("danmaku.gateway.catchup.messages", "protocol", "test").count();
    }

    double signals() {
        return meters.counter("danmaku.gateway.catchup.signals", "protocol", "test").count();
    }

    @Test
    void writableAgainCatchesUpInOneFrameWithoutWaitingForTheNextBatch() {
        shard.join(a, "7", false, 0);
        RoomSubscription sb = shard.join(b, "7", false, 0).subscription();
        publish(1);
        b.writable(false);
        publish(1);
        publish(2);
        assertThat(a.frames()).containsExactly("1", "2", "3,4");
        assertThat(b.frames()).containsExactly("1");
        assertThat(sb.behind()).isTrue();

        b.writable(true);
        shard.writable(b);
        assertThat(b.frames()).as("what it missed, in one write").containsExactly("2,3,4");
        assertThat(sb.behind()).isFalse();
        assertThat(caughtUp()).isEqualTo(3.0);
        assertThat(signals()).isZero();

        publish(1);
        assertThat(a.frames()).containsExactly("5");
        assertThat(b.frames()).as("in step again").containsExactly("5");
    }

    @Test
    void theNextBatchCatchesUpAMemberWritableAgainTogetherWithThatBatch() {
        shard.join(a, "7", false, 0);
        shard.join(b, "7", false, 0);
        publish(1);
        b.writable(false);
        publish(1);
        b.writable(true); // no writability callback here: the room's next batch finds it
        publish(1);
        assertThat(a.frames()).containsExactly("1", "2", "3");
        assertThat(b.frames()).containsExactly("1", "2,3");
    }

    @Test
    void aMemberThatNeverGotABatchCatchesUpFromWhereItJoinedOnly() {
        shard.join(a, "7", false, 0);
        publish(1); // in the ring before b joins
        shard.join(b, "7", false, 0);
        b.writable(false);
        publish(2);
        b.writable(true);
        shard.writable(b);
        assertThat(b.frames()).containsExactly("2,3");
    }

    @Test
    void missingMoreThanTheRingHoldsIsToldAndNothingIsWritten() {
        shard.join(a, "7", false, 0);
        RoomSubscription sb = shard.join(b, "7", false, 0).subscription();
        publish(1);
        b.frames();
        b.writable(false);
        publish(5); // the ring holds 4
        b.writable(true);
        shard.writable(b);
        assertThat(b.told).containsExactly("7");
        assertThat(b.frames()).as("no partial catch-up").isEmpty();
        assertThat(sb.behind()).isFalse();
        assertThat(signals()).isEqualTo(1.0);
        assertThat(caughtUp()).isZero();
    }

    @Test
    void aMemberLeavingWhileBehindIsForgotten() {
        shard.join(a, "7", false, 0);
        RoomSubscription sb = shard.join(b, "7", false, 0).subscription();
        b.writable(false);
        publish(1);
        shard.leave(sb);
        b.writable(true);
        shard.writable(b);
        assertThat(b.frames()).isEmpty();
        assertThat(b.told).isEmpty();
        assertThat(sb.behind()).isFalse();
    }
}
