package io.danmaku.bench.jmh;

import io.danmaku.gateway.protocol.centrifuge.CentrifugeBatchEncoder;
import io.danmaku.gateway.compression.CompressionSettings;
import io.danmaku.gateway.protocol.centrifuge.CentrifugeProtobufBatchEncoder;
import io.danmaku.gateway.room.BatchEncoder;
import io.danmaku.gateway.room.BatchPolicy;
import io.danmaku.gateway.room.FanoutDispatcher;
import io.danmaku.gateway.room.FanoutMetrics;
import io.danmaku.gateway.room.LoopShard;
import io.danmaku.gateway.room.Member;
import io.danmaku.gateway.room.RoomRegistry;
import io.danmaku.gateway.room.SamplingRules;
import io.danmaku.protocol.RoomRecord;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
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
 * The real fan-out engine end to end through its public API: {@link FanoutDispatcher#onRecords} (what the bus
 * thread calls) → the room's ring → one task to the event loop → {@code LoopRoom} encodes the batch once and
 * writes it to every member (batching window 0, so each call is one batch). Members are discarding channels.
 * Each op waits until the loop ran the batch. Deliveries/s = ops/s × members × batch. With {@code deflate}, every
 * member negotiated permessage-deflate: the batch frame is deflated once and the compressed frame shared.
 *
 * <p>With {@code sampled}, the room's fan-out is sampled ({@code gateway.sampling.rooms}) to half of what is offered:
 * each op's messages are stamped 10 ms after the previous op's (their payloads copied with the time rewritten, in the
 * benchmark thread: {@code batch} arrays of ~150 bytes per op that the unsampled runs do not have), the sampler
 * classifies each of them on the dispatching thread, and {@code batch} of the members are the authors of the
 * messages, so the ones whose posts were left out get the batch with their own posts encoded for them alone.
 *
 * <p>With {@code protocol=centrifuge-protobuf}, members speak the Protobuf variant (one binary frame of publication
 * pushes per batch, shared the same way). Run with {@code -prof gc}: {@code gc.alloc.rate.norm} divided by the members
 * shows what the per-member path allocates.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled"})
public class RegistryFanoutBenchmark {
    @Param({"1000", "10000"})
    public int members;

    @Param({"1", "10"})
    public int batch;

    @Param({"false", "true"})
    public boolean deflate;

    @Param({"false"})
    public boolean sampled;

    @Param({"centrifuge", "centrifuge-protobuf"})
    public String protocol;

    private DefaultEventLoopGroup group;
    private EventLoop loop;
    private FanoutDispatcher dispatcher;
    private EmbeddedChannel[] channels;
    private List<RoomRecord> template;
    private long nextOffset = 1;
    private long nextTime;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        group = new DefaultEventLoopGroup(1);
        loop = group.next();
        // half of what the ops offer: batch messages per 10 ms
        SamplingRules rules = sampled ? SamplingRules.parse(List.of(Batches.ROOM + "=" + batch * 50))
                : SamplingRules.NONE;
        RoomRegistry registry = new RoomRegistry(group, BatchPolicy.fixed(0, 10_000), 256,
                new FanoutMetrics(new SimpleMeterRegistry()), CompressionSettings.DEFAULTS, rules);
        dispatcher = new FanoutDispatcher(registry);
        channels = DiscardingChannels.open(members);
        template = Batches.batch(batch, 1);
        nextTime = template.get(0).timeMillis();
        LoopShard shard = registry.shard(loop);
        BatchEncoder encoder = switch (protocol) {
            case "centrifuge" -> CentrifugeBatchEncoder.INSTANCE;
            case "centrifuge-protobuf" -> CentrifugeProtobufBatchEncoder.INSTANCE;
            default -> throw new IllegalArgumentException("protocol: " + protocol
                    + " (expected: centrifuge or centrifuge-protobuf)");
        };
        loop.submit(() -> {
            for (int i = 0; i < channels.length; i++) {
                // the first members are the authors of the batch's messages (users u1000..)
                String user = sampled && i < batch ? "u" + (1000 + i) : null;
                shard.join(new BenchMember(channels[i], deflate, encoder, user), Batches.ROOM, false, -1);
            }
        }).get();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        loop.submit(() -> DiscardingChannels.close(channels)).get();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @Benchmark
    public void dispatchBatch() {
        List<RoomRecord> records = sampled ? Batches.restamp(template, nextOffset, nextTime)
                : Batches.renumber(template, nextOffset);
        nextOffset += batch;
        nextTime += 10;
        dispatcher.onRecords(records);
        loop.submit(() -> { }).syncUninterruptibly();
    }

    private record BenchMember(Channel channel, boolean permessageDeflate, BatchEncoder encoder, String userId)
            implements Member {
        @Override
        public void onSkippedBatch(long nowNanos) {
        }
    }
}
