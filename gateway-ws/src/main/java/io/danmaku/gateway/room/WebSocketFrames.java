package io.danmaku.gateway.room;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The header of a whole, unmasked server-to-client WebSocket frame (RFC 6455 §5.2), written by the batch encoders
 * that make their frames themselves, so that a batch is one buffer shared by every member.
 */
public final class WebSocketFrames {
    /** First header byte of a final text frame. */
    public static final int TEXT_FIN = 0x81;
    /** First header byte of a final binary frame. */
    public static final int BINARY_FIN = 0x82;

    private WebSocketFrames() {
    }

    /** Bytes of the header of a frame carrying {@code payload} bytes: 2, 4 or 10. */
    public static int headerLength(long payload) {
        return payload < 126 ? 2 : payload <= 0xFFFF ? 4 : 10;
    }

    /**
     * A buffer of exactly the frame's size, its header written ({@code firstByte}: FIN, RSV bits and opcode), for
     * the caller to write the {@code payload} bytes into.
     *
     * @throws IllegalArgumentException when the payload does not fit one buffer
     */
    public static ByteBuf allocate(ByteBufAllocator alloc, int firstByte, long payload) {
        if (payload > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("batch too large for one frame: " + payload + " bytes");
        }
        ByteBuf out = alloc.buffer(headerLength(payload) + (int) payload);
        out.writeByte(firstByte);
        if (payload < 126) {
            out.writeByte((int) payload);
        } else if (payload <= 0xFFFF) {
            out.writeByte(126);
            out.writeShort((int) payload);
        } else {
            out.writeByte(127);
            out.writeLong(payload);
        }
        return out;
    }
}
