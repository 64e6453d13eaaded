package io.danmaku.bench.jmh;

import io.danmaku.gateway.compression.CompressionSettings;
import io.danmaku.gateway.compression.FrameDeflater;
import io.danmaku.gateway.protocol.bilibili.BilibiliBatchEncoder;
import io.danmaku.gateway.protocol.centrifuge.CentrifugeBatchEncoder;
import io.danmaku.gateway.protocol.centrifuge.CentrifugeProtobufBatchEncoder;
import io.danmaku.gateway.room.BatchEncoder;
import io.danmaku.protocol.RoomRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
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
 * One room batch encoded into one complete WebSocket frame, per wire format: what the fan-out engine does once
 * per batch and format on each event loop. Bilibili's forms come from the public {@code forProtover}
 * (1 plain, 2 zlib, 3 brotli).
 *
 * <ul>
 *   <li>{@code encode}: the same records every time (an encoder that remembers per-record work only pays for
 *       it once: this is what every form after the first, and the second event loop, see);</li>
 *   <li>{@code encodeFresh}: new record objects (same content) every time: what the first encoder to see a
 *       batch pays;</li>
 *   <li>{@code bilibiliAllForms}: a new batch encoded plain, zlib and brotli in a row, as a room whose
 *       members use all three forms costs one event loop per batch.</li>
 * </ul>
 * Copying the batch into new records costs a few ns per record and is included in the last two.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled"})
public class EncoderBenchmark {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    /** One wire format and batch size. */
    @State(Scope.Thread)
    public static class Single {
        @Param({"centrifuge", "centrifuge-protobuf", "bilibili-plain", "bilibili-zlib", "bilibili-brotli"})
        public String format;

        @Param({"1", "10", "100"})
        public int batch;

        BatchEncoder encoder;
        List<RoomRecord> records;

        @Setup(Level.Trial)
        public void setUp() {
            encoder = switch (format) {
                case "centrifuge" -> CentrifugeBatchEncoder.INSTANCE;
                case "centrifuge-protobuf" -> CentrifugeProtobufBatchEncoder.INSTANCE;
                case "bilibili-plain" -> BilibiliBatchEncoder.forProtover(1);
                case "bilibili-zlib" -> BilibiliBatchEncoder.forProtover(2);
                case "bilibili-brotli" -> BilibiliBatchEncoder.forProtover(3);
                default -> throw new IllegalArgumentException(format);
            };
            records = Batches.batch(batch, 1);
        }
    }

    /** The three Bilibili forms and a batch size. */
    @State(Scope.Thread)
    public static class AllForms {
        @Param({"1", "10", "100"})
        public int batch;

        final List<BatchEncoder> encoders = List.of(BilibiliBatchEncoder.forProtover(1),
                BilibiliBatchEncoder.forProtover(2), BilibiliBatchEncoder.forProtover(3));
        List<RoomRecord> records;

        @Setup(Level.Trial)
        public void setUp() {
            records = Batches.batch(batch, 1);
        }
    }

    /** Returns the frame's size so the work cannot be optimised away; the frame is released. */
    @Benchmark
    public int encode(Single s) {
        return encodeAndRelease(s.encoder, s.records);
    }

    /** The same with new record objects, so nothing remembered about earlier records applies. */
    @Benchmark
    public int encodeFresh(Single s) {
        return encodeAndRelease(s.encoder, copy(s.records));
    }

    /** One new batch, encoded plain, zlib and brotli; returns the frames' total size. */
    @Benchmark
    public int bilibiliAllForms(AllForms s) {
        List<RoomRecord> records = copy(s.records);
        int n = 0;
        for (int i = 0; i < s.encoders.size(); i++) {
            n += encodeAndRelease(s.encoders.get(i), records);
        }
        return n;
    }

    /** A Centrifugo batch frame and a zlib level, for what deflating a shared frame costs per batch. */
    @State(Scope.Thread)
    public static class Deflating {
        @Param({"1", "10", "100"})
        public int batch;

        @Param({"1", "6"})
        public int level;

        FrameDeflater deflater;
        ByteBuf frame;

        @Setup(Level.Trial)
        public void setUp() {
            deflater = new FrameDeflater(new CompressionSettings(true, 0, level, 1.0));
            frame = CentrifugeBatchEncoder.INSTANCE.encode(ALLOC, Batches.ROOM, Batches.batch(batch, 1));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            frame.release();
        }
    }

    /** Deflates one shared batch frame (permessage-deflate, once per batch per loop); returns its size. */
    @Benchmark
    public int centrifugeDeflate(Deflating s) {
        ByteBuf out = s.deflater.deflate(s.frame, ALLOC);
        int n = out.readableBytes();
        out.release();
        return n;
    }

    private static int encodeAndRelease(BatchEncoder encoder, List<RoomRecord> records) {
        ByteBuf frame = encoder.encode(ALLOC, Batches.ROOM, records);
        int n = frame.readableBytes();
        frame.release();
        return n;
    }

    /** New record objects with the same content (payload arrays shared). */
    private static List<RoomRecord> copy(List<RoomRecord> records) {
        List<RoomRecord> out = new ArrayList<>(records.size());
        for (int i = 0, n = records.size(); i < n; i++) {
            RoomRecord r = records.get(i);
            out.add(new RoomRecord(r.room(), r.offset(), r.epoch(), r.timeMillis(), r.payload()));
        }
        return out;
    }
}
