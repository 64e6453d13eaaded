package io.danmaku.bench.jmh;

import io.danmaku.gateway.protocol.centrifuge.CentrifugeBatchEncoder;
import io.danmaku.protocol.RoomRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-member write path of a room batch (10 messages, Centrifugo JSON) to N channels that discard what
 * they get, as {@code LoopRoom.flush} does it (package-private, so rebuilt here from the public encoder):
 * encode once, {@code retainedDuplicate()} and {@code writeAndFlush} per member, release once. Two baselines
 * show what sharing saves: an encoding per member, and a copy per member.
 * Deliveries/s = ops/s × members × 10.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled"})
public class MemberWriteBenchmark {
    static final int BATCH = 10;

    @Param({"100", "1000", "10000"})
    public int members;

    /**
     * Where the shared frame comes from: Netty 4.2's default (adaptive) allocator, whose buffers duplicate into a
     * new object per member, or the pooled allocator, whose retained duplicates are recycled.
     */
    @Param({"adaptive", "pooled"})
    public String allocator;

    private ByteBufAllocator alloc;

    private EmbeddedChannel[] channels;
    private List<RoomRecord> records;

    @Setup(Level.Trial)
    public void setUp() {
        channels = DiscardingChannels.open(members);
        alloc = allocator.equals("pooled") ? PooledByteBufAllocator.DEFAULT : ByteBufAllocator.DEFAULT;
        records = Batches.batch(BATCH, 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        DiscardingChannels.close(channels);
    }

    @Benchmark
    public void sharedFrame() {
        EmbeddedChannel[] chs = channels;
        ByteBuf shared = CentrifugeBatchEncoder.INSTANCE.encode(alloc, Batches.ROOM, records);
        try {
            for (EmbeddedChannel ch : chs) {
                if (ch.isWritable()) {
                    ch.writeAndFlush(shared.retainedDuplicate(), ch.voidPromise());
                }
            }
        } finally {
            shared.release();
        }
    }

    @Benchmark
    public void copyPerMember() {
        EmbeddedChannel[] chs = channels;
        ByteBuf shared = CentrifugeBatchEncoder.INSTANCE.encode(alloc, Batches.ROOM, records);
        try {
            for (EmbeddedChannel ch : chs) {
                ch.writeAndFlush(shared.copy(), ch.voidPromise());
            }
        } finally {
            shared.release();
        }
    }

    @Benchmark
    public void encodePerMember() {
        for (EmbeddedChannel ch : channels) {
            ch.writeAndFlush(CentrifugeBatchEncoder.INSTANCE.encode(alloc, Batches.ROOM, records),
                    ch.voidPromise());
        }
    }
}
