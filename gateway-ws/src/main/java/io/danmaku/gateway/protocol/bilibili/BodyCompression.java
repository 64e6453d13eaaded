package io.danmaku.gateway.protocol.bilibili;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.encoder.Encoder;
import com.aayushatharva.brotli4j.encoder.Encoders;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.Deflater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compresses a run of packets into the body of an outer packet: zlib (RFC 1950, what {@code zlib.inflate} and
 * Python's {@code zlib.decompress} read) with the JDK's {@link Deflater}, one reused per thread, writing into the
 * frame's buffer directly; brotli with brotli4j's native library, loaded once. Without that library (a platform
 * it has no build for) brotli is unavailable and {@link BilibiliBatchEncoder#forProtover} serves zlib instead;
 * see the WARN line at start.
 */
final class BodyCompression {
    private static final Logger log = LoggerFactory.getLogger(BodyCompression.class);
    private static final int ZLIB_LEVEL = 6;
    private static final int BROTLI_QUALITY = 5;
    private static final int BROTLI_WINDOW_BITS = 20;
    private static final ThreadLocal<Deflater> DEFLATERS = ThreadLocal.withInitial(() -> new Deflater(ZLIB_LEVEL));
    /** The least room offered to the deflater per call once the room reserved up front is used up. */
    private static final int MIN_DEFLATE_ROOM = 256;
    private static final boolean BROTLI_AVAILABLE = loadBrotli();

    private BodyCompression() {
    }

    static boolean brotliAvailable() {
        return BROTLI_AVAILABLE;
    }

    /**
     * Appends the zlib stream of {@code src}'s readable bytes to {@code dst}, deflating straight into
     * {@code dst}'s memory; {@code src} is not consumed.
     */
    static void zlib(ByteBuf src, ByteBuf dst) {
        Deflater d = DEFLATERS.get();
        d.reset();
        try {
            d.setInput(src.nioBuffer());
            d.finish();
            while (!d.finished()) {
                dst.ensureWritable(Math.max(MIN_DEFLATE_ROOM, src.readableBytes() >>> 3));
                int at = dst.writerIndex();
                int n = d.deflate(dst.nioBuffer(at, dst.writableBytes()));
                dst.writerIndex(at + n);
            }
        } finally {
            d.reset(); // drop the reference to src's memory
        }
    }

    /** Appends the brotli stream of {@code src}'s readable bytes to {@code dst}; {@code src} is not consumed. */
    static void brotli(ByteBuf src, ByteBuf dst) {
        if (!BROTLI_AVAILABLE) {
            throw new IllegalStateException("brotli is not available on this platform");
        }
        try {
            Encoders.compress(src, dst, BrotliParameters.PARAMETERS);
        } catch (IOException e) {
            throw new UncheckedIOException("brotli compression failed", e);
        }
    }

    private static boolean loadBrotli() {
        try {
            Brotli4jLoader.ensureAvailability();
            return true;
        } catch (Throwable t) {
            log.warn("brotli native library not available ({}): /sub clients asking for protover 3 get zlib "
                    + "(ver 2) packets instead, which the open clients read as well", t.toString());
            return false;
        }
    }

    /** Separate holder so the encoder classes are touched only once the native library loaded. */
    private static final class BrotliParameters {
        static final Encoder.Parameters PARAMETERS = new Encoder.Parameters()
                .setQuality(BROTLI_QUALITY)
                .setWindow(BROTLI_WINDOW_BITS)
                .setMode(Encoder.Mode.TEXT);
    }
}
