package io.danmaku.gateway.compression;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Inflates client messages sent with RSV1 under {@code permessage-deflate}: one instance per event loop, used
 * only on it. The handshake made the client promise {@code client_no_context_takeover}, so every message is a
 * stream of its own and the inflater is reset for each; a connection holds no zlib state.
 *
 * <p>The output is bounded: a message that inflates to more than the caller's limit is refused as soon as the
 * limit is passed (a few kilobytes of input can claim megabytes), without inflating the rest.
 */
public final class MessageInflater {
    /** The empty stored block the sender removed from the end of the message (RFC 7692 §7.2.2). */
    private static final byte[] TAIL = {0, 0, (byte) 0xFF, (byte) 0xFF};
    private static final int CHUNK = 8 * 1024;

    private final Inflater inflater = new Inflater(true);
    private byte[] input = new byte[4 * 1024];
    private final byte[] chunk = new byte[CHUNK];

    /** The message inflates to more than its limit. */
    public static final class TooBigException extends Exception {
        TooBigException(int limit) {
            super("inflated message over " + limit + " bytes", null, false, false);
        }
    }

    /** The compressed data is not a valid deflate stream. */
    public static final class CorruptException extends Exception {
        CorruptException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Inflates the readable bytes of {@code compressed} (not released here) into a new buffer owned by the
     * caller, at most {@code limit} bytes.
     */
    public ByteBuf inflate(ByteBuf compressed, int limit, ByteBufAllocator alloc)
            throws TooBigException, CorruptException {
        int n = compressed.readableBytes();
        if (input.length < n + TAIL.length) {
            input = new byte[Math.max(n + TAIL.length, input.length * 2)];
        }
        compressed.getBytes(compressed.readerIndex(), input, 0, n);
        System.arraycopy(TAIL, 0, input, n, TAIL.length);
        inflater.reset();
        inflater.setInput(input, 0, n + TAIL.length);
        ByteBuf out = alloc.heapBuffer(Math.min(limit, Math.max(256, n * 4)));
        boolean done = false;
        try {
            while (!inflater.finished()) {
                int got = inflater.inflate(chunk, 0, chunk.length);
                if (got > 0) {
                    if (out.readableBytes() + got > limit) {
                        throw new TooBigException(limit);
                    }
                    out.writeBytes(chunk, 0, got);
                } else if (inflater.needsDictionary()) {
                    throw new CorruptException("deflate data asks for a preset dictionary");
                } else {
                    break; // everything given was inflated (the message ended with the sync flush marker)
                }
            }
            done = true;
            return out;
        } catch (DataFormatException e) {
            throw new CorruptException("invalid deflate data: " + e.getMessage());
        } finally {
            inflater.reset();
            if (!done) {
                out.release();
            }
        }
    }
}
