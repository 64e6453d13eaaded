package io.danmaku.gateway.protocol.bilibili;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.danmaku.gateway.protocol.centrifuge.CentrifugeBatchEncoder;
import io.danmaku.gateway.protocol.centrifuge.UniBatchEncoder;
import io.danmaku.gateway.room.BatchEncoder;
import io.danmaku.gateway.room.FanoutDispatcher;
import io.danmaku.gateway.room.FanoutMetrics;
import io.danmaku.gateway.room.LoopShard;
import io.danmaku.gateway.room.Member;
import io.danmaku.gateway.room.RoomRegistry;
import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.json.RoomMessageCodec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A room whose members speak the JSON protocol, all three Bilibili forms and both unidirectional HTTP streams:
 * each batch is encoded once per
 * form and every member of a form gets the same bytes.
 */
class SharedEncodingTest {
    final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void tearDown() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    /** Counts how often the wrapped encoder runs. */
    static final class Counting implements BatchEncoder {
        final BatchEncoder delegate;
        final AtomicInteger calls = new AtomicInteger();

        Counting(BatchEncoder delegate) {
            this.delegate = delegate;
        }

        @Override
        public ByteBuf encode(ByteBufAllocator alloc, String room, List<RoomRecord> records) {
            calls.incrementAndGet();
            return delegate.encode(alloc, room, records);
        }
    }

    record TestMember(EmbeddedChannel channel, BatchEncoder encoder) implements Member {
        @Override
        public void onSkippedBatch(long nowNanos) {
        }
    }

    @Test
    void eachFormIsEncodedOncePerBatchAndSharedByItsMembers() {
        EmbeddedChannel loopOwner = new EmbeddedChannel();
        channels.add(loopOwner);
        RoomRegistry registry = new RoomRegistry(loopOwner.eventLoop(), 0, 100, 16,
                new FanoutMetrics(new SimpleMeterRegistry()));
        LoopShard shard = registry.shard(loopOwner.eventLoop());
        List<Counting> encoders = List.of(new Counting(CentrifugeBatchEncoder.INSTANCE),
                new Counting(BilibiliBatchEncoder.PLAIN), new Counting(BilibiliBatchEncoder.ZLIB),
                new Counting(BilibiliBatchEncoder.BROTLI), new Counting(UniBatchEncoder.SSE),
                new Counting(UniBatchEncoder.HTTP_STREAM));
        List<TestMember> members = new ArrayList<>();
        for (int copy = 0; copy < 3; copy++) {
            for (Counting enc : encoders) {
                EmbeddedChannel ch = new EmbeddedChannel();
                channels.add(ch);
                TestMember m = new TestMember(ch, enc);
                members.add(m);
                shard.join(m, "23058", false, 0);
            }
        }
        RoomMessage msg = RoomMessage.danmaku("m1", "23058", 1, new UserRef("10086", "Alice"), "hi", 0xFFFFFF, 1,
                null);
        RoomRecord r1 = new RoomRecord("23058", 1, "e", 1, RoomMessageCodec.encode(msg));
        RoomRecord r2 = new RoomRecord("23058", 2, "e", 1, RoomMessageCodec.encode(msg));
        new FanoutDispatcher(registry).onRecords(List.of(r1, r2));
        loopOwner.runPendingTasks();

        assertThat(encoders).allSatisfy(e -> assertThat(e.calls.get()).as(e.delegate.toString()).isEqualTo(1));
        for (Counting enc : encoders) {
            List<byte[]> frames = new ArrayList<>();
            for (TestMember m : members) {
                if (m.encoder() == enc) {
                    ByteBuf out = m.channel().readOutbound();
                    frames.add(ByteBufUtil.getBytes(out));
                    out.release();
                    Object more = m.channel().readOutbound();
                    assertThat(more).isNull();
                }
            }
            assertThat(frames).hasSize(3);
            assertThat(frames.get(1)).isEqualTo(frames.get(0));
            assertThat(frames.get(2)).isEqualTo(frames.get(0));
        }
        for (EmbeddedChannel ch : channels) {
            assertFalse(ch.finish());
        }
    }
}
