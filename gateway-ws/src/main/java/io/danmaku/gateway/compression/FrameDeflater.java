package io.danmaku.gateway.compression;

import io.danmaku.gateway.room.WebSocketFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.zip.Deflater;

/**
 * Deflates whole server frames for members that negotiated {@code permessage-deflate}: one instance per event loop,
 * used only on it. A frame is deflated on its own (the stream is reset each time: {@code server_no_context_takeover}),
 * so the result is the same for every member and is written to all of them as one shared buffer.
 *
 * <p>The compressed frame is the plain frame's first byte with RSV1 set, a new length, and the raw deflate of the
 * payload flushed with SYNC_FLUSH minus its trailing {@code 00 00 FF FF} (RFC 7692 §7.2.1). Frames under
 * {@link CompressionSettings#minBytes()} are not deflated, nor any while the loop's deflate budget is spent
 * ({@link CompressionSettings#cpuShare()} of wall time, refilled as time passes, at most
 * {@link #MAX_BURST_NANOS} banked): the caller then sends the plain frame, which the extension allows.
 */
public final class FrameDeflater {
    /** Deflate time a quiet loop may bank for a burst. */
    static final long MAX_BURST_NANOS = 50_000_000L;
    private static final int RSV1 = 0x40;

    /** Why a frame was not deflated; null from {@link #deflate} with {@link #lastSkip()} says which. */
    public enum Skip { SMALL, BUDGET, LARGER }

    private final CompressionSettings settings;
    private final Deflater deflater;
    private byte[] scratch = new byte[16 * 1024];
    private long budgetNanos = MAX_BURST_NANOS;
    private long lastRefillNanos = System.nanoTime();
    private Skip lastSkip;
    /** Totals for the meters, read and reset by the owner. */
    private long bytesIn;
    private long bytesOut;
    private long nanosSpent;

    public FrameDeflater(CompressionSettings settings) {
        this.settings = settings;
        this.deflater = new Deflater(settings.level(), true);
    }

    /**
     * The compressed form of {@code plainFrame} (a whole unmasked data frame, FIN set, RSV bits clear), as a new
     * buffer owned by the caller, or null when it is not worth it or not allowed now ({@link #lastSkip()}).
     * {@code plainFrame} is not changed or released.
     */
    public ByteBuf deflate(ByteBuf plainFrame, ByteBufAllocator alloc) {
        int at = plainFrame.readerIndex();
        int b0 = plainFrame.getUnsignedByte(at);
        int len7 = plainFrame.getUnsignedByte(at + 1) & 0x7F;
        int header = len7 < 126 ? 2 : len7 == 126 ? 4 : 10;
        int payload = plainFrame.readableBytes() - header;
        if (payload < settings.minBytes() || payload <= 0) {
            lastSkip = Skip.SMALL;
            return null;
        }
        long start = System.nanoTime();
        refill(start);
        if (budgetNanos <= 0) {
            lastSkip = Skip.BUDGET;
            return null;
        }
        int n;
        try {
            deflater.reset();
            deflater.setInput(plainFrame.nioBuffer(at + header, payload));
            n = 0;
            while (true) {
                n += deflater.deflate(scratch, n, scratch.length - n, Deflater.SYNC_FLUSH);
                if (n < scratch.length) {
                    break; // the flush is complete once it did not fill the space it had
                }
                scratch = java.util.Arrays.copyOf(scratch, scratch.length * 2);
            }
        } finally {
            long spent = System.nanoTime() - start;
            budgetNanos -= spent;
            nanosSpent += spent;
        }
        // a sync flush ends with an empty stored block: 00 00 FF FF, which the receiver adds back
        if (n < 4 || scratch[n - 4] != 0 || scratch[n - 3] != 0 || scratch[n - 2] != (byte) 0xFF
                || scratch[n - 1] != (byte) 0xFF) {
            throw new IllegalStateException("deflate output does not end with a sync flush marker");
        }
        int compressed = n - 4;
        if (compressed >= payload) {
            lastSkip = Skip.LARGER;
            return null;
        }
        ByteBuf out = WebSocketFrames.allocate(alloc, b0 | RSV1, compressed);
        out.writeBytes(scratch, 0, compressed);
        bytesIn += payload;
        bytesOut += compressed;
        lastSkip = null;
        return out;
    }

    /** Why the last {@link #deflate} returned null. */
    public Skip lastSkip() {
        return lastSkip;
    }

    private void refill(long now) {
        long elapsed = now - lastRefillNanos;
        if (elapsed > 0) {
            budgetNanos = Math.min(MAX_BURST_NANOS, budgetNanos + (long) (elapsed * settings.cpuShare()));
            lastRefillNanos = now;
        }
    }

    /** Payload bytes deflated since the last call, and resets the count. */
    public long takeBytesIn() {
        long v = bytesIn;
        bytesIn = 0;
        return v;
    }

    /** Compressed payload bytes produced since the last call, and resets the count. */
    public long takeBytesOut() {
        long v = bytesOut;
        bytesOut = 0;
        return v;
    }

    /** Time spent deflating since the last call, and resets it. */
    public long takeNanos() {
        long v = nanosSpent;
        nanosSpent = 0;
        return v;
    }
}
