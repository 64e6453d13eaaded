package io.danmaku.bench.jmh;

import io.danmaku.gateway.protocol.bilibili.BilibiliBatchEncoder;
import io.danmaku.gateway.protocol.centrifuge.CentrifugeBatchEncoder;
import io.danmaku.gateway.room.BatchEncoder;
import io.danmaku.protocol.RoomRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * One room batch encoded into one complete WebSocket frame, per wire format: what the fan-out engine does once
 * per batch and format on each event loop. Bilibili's forms come from the public {@code forProtover}
 * (1 plain, 2 zlib, 3 brotli).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled"})
public class EncoderBenchmark {
    @Param({"centrifuge", "bilibili-plain", "bilibili-zlib", "bilibili-brotli"})
    public String format;

    @Param({"1", "10", "100"})
    public int batch;

    private BatchEncoder encoder;
    private List<RoomRecord> records;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;

    @Setup(Level.Trial)
    public void setUp() {
        encoder = switch (format) {
            case "centrifuge" -> CentrifugeBatchEncoder.INSTANCE;
            case "bilibili-plain" -> BilibiliBatchEncoder.forProtover(1);
            case "bilibili-zlib" -> BilibiliBatchEncoder.forProtover(2);
            case "bilibili-brotli" -> BilibiliBatchEncoder.forProtover(3);
            default -> throw new IllegalArgumentException(format);
        };
        records = Batches.batch(batch, 1);
    }

    /** Returns the frame's size so the work cannot be optimised away; the frame is released. */
    @Benchmark
    public int encode() {
        ByteBuf frame = encoder.encode(alloc, Batches.ROOM, records);
        int n = frame.readableBytes();
        frame.release();
        return n;
    }
}
