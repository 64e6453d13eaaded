package io.danmaku.gateway.protocol.bilibili;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The packet layout both directions share: a 16-byte big-endian header {@code packLen u32 | headerLen u16 (16)
 * | ver u16 | op u32 | seq u32}, then {@code packLen - 16} bytes of body. {@code ver} says how the body is
 * encoded, {@code op} what the packet means.
 */
final class BilibiliPackets {
    static final int HEADER_BYTES = 16;

    /** Body encodings ({@code ver}). */
    static final int VER_JSON = 0;
    static final int VER_INT32 = 1;
    static final int VER_ZLIB = 2;
    static final int VER_BROTLI = 3;

    /** Operations ({@code op}). */
    static final int OP_HEARTBEAT = 2;
    static final int OP_HEARTBEAT_REPLY = 3;
    static final int OP_MESSAGE = 5;
    static final int OP_AUTH = 7;
    static final int OP_AUTH_REPLY = 8;

    /**
     * Largest client packet, header included. Clients only send an auth packet (a short JSON object with a
     * JWT) and heartbeats; 16 KiB leaves room for long tokens and nothing for abuse.
     */
    static final int MAX_CLIENT_PACKET_BYTES = 16 * 1024;

    private BilibiliPackets() {
    }

    static void writeHeader(ByteBuf out, int packLen, int ver, int op, int seq) {
        out.writeInt(packLen);
        out.writeShort(HEADER_BYTES);
        out.writeShort(ver);
        out.writeInt(op);
        out.writeInt(seq);
    }

    static void setHeader(ByteBuf out, int index, int packLen, int ver, int op, int seq) {
        out.setInt(index, packLen);
        out.setShort(index + 4, HEADER_BYTES);
        out.setShort(index + 6, ver);
        out.setInt(index + 8, op);
        out.setInt(index + 12, seq);
    }

    /** One packet with {@code body}; the returned buffer is owned by the caller. */
    static ByteBuf packet(ByteBufAllocator alloc, int ver, int op, int seq, byte[] body) {
        ByteBuf out = alloc.buffer(HEADER_BYTES + body.length);
        writeHeader(out, HEADER_BYTES + body.length, ver, op, seq);
        out.writeBytes(body);
        return out;
    }

    /** One packet whose body is a big-endian int32; the returned buffer is owned by the caller. */
    static ByteBuf int32Packet(ByteBufAllocator alloc, int ver, int op, int seq, int value) {
        ByteBuf out = alloc.buffer(HEADER_BYTES + 4);
        writeHeader(out, HEADER_BYTES + 4, ver, op, seq);
        out.writeInt(value);
        return out;
    }
}
