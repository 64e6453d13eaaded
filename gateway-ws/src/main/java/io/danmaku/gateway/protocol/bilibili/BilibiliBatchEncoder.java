package io.danmaku.gateway.protocol.bilibili;

import static io.danmaku.gateway.protocol.bilibili.BilibiliPackets.HEADER_BYTES;
import static io.danmaku.gateway.protocol.bilibili.BilibiliPackets.OP_MESSAGE;
import static io.danmaku.gateway.protocol.bilibili.BilibiliPackets.VER_BROTLI;
import static io.danmaku.gateway.protocol.bilibili.BilibiliPackets.VER_JSON;
import static io.danmaku.gateway.protocol.bilibili.BilibiliPackets.VER_ZLIB;
import static java.util.Objects.requireNonNull;

import io.danmaku.gateway.room.BatchEncoder;
import io.danmaku.gateway.room.WebSocketFrames;
import io.danmaku.protocol.RoomRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.List;

/**
 * One binary WebSocket frame per room batch, in the form a client's {@code protover} asks for:
 * <ul>
 *   <li>0 or 1: one op-5 packet per record, {@code ver 0} (JSON body), back to back;</li>
 *   <li>2: one outer op-5 packet, {@code ver 2}, whose body is the zlib stream of those packets;</li>
 *   <li>3: the same with brotli, {@code ver 3}.</li>
 * </ul>
 * Pushes carry {@code seq 0}. One instance per form, so the fan-out engine encodes each batch once per form
 * and shares the frame among all members using it. The forms share each record's packet as well
 * ({@link CommandPacketCache}): a record's JSON is built once, not once per form and event loop, and a frame
 * is a copy of those packets (compressed once per batch for protover 2 and 3).
 */
public final class BilibiliBatchEncoder implements BatchEncoder {
    static final BilibiliBatchEncoder PLAIN = new BilibiliBatchEncoder(VER_JSON, CommandPacketCache.SHARED);
    static final BilibiliBatchEncoder ZLIB = new BilibiliBatchEncoder(VER_ZLIB, CommandPacketCache.SHARED);
    static final BilibiliBatchEncoder BROTLI = new BilibiliBatchEncoder(VER_BROTLI, CommandPacketCache.SHARED);

    /** Room for the longest WebSocket frame header (2 + 8 bytes), written in front of the payload at the end. */
    private static final int MAX_FRAME_HEADER = 10;

    private final int ver;
    private final CommandPacketCache packets;

    BilibiliBatchEncoder(int ver, CommandPacketCache packets) {
        this.ver = ver;
        this.packets = requireNonNull(packets, "packets");
    }

    /**
     * The encoder for a client's {@code protover} (0..3). Protover 3 falls back to zlib when brotli is not
     * available: clients decode each packet by its own {@code ver}, so they read it all the same.
     */
    public static BilibiliBatchEncoder forProtover(int protover) {
        return forProtover(protover, BodyCompression.brotliAvailable());
    }

    static BilibiliBatchEncoder forProtover(int protover, boolean brotliAvailable) {
        return switch (protover) {
            case 0, 1 -> PLAIN;
            case 2 -> ZLIB;
            case 3 -> brotliAvailable ? BROTLI : ZLIB;
            default -> throw new IllegalArgumentException("protover: " + protover + " (expected: 0..3)");
        };
    }

    /** Only the uncompressed form gains from {@code permessage-deflate}; zlib and brotli bodies would not. */
    @Override
    public boolean compressible() {
        return ver == VER_JSON;
    }

    /** The {@code ver} of the packets this encoder writes at the top level of its frames. */
    public int ver() {
        return ver;
    }

    @Override
    public ByteBuf encode(ByteBufAllocator alloc, String room, List<RoomRecord> records) {
        int n = records.size();
        byte[][] batch = new byte[n][];
        int plainBytes = 0;
        for (int i = 0; i < n; i++) {
            batch[i] = packets.packet(records.get(i));
            plainBytes += batch[i].length;
        }
        ByteBuf out;
        if (ver == VER_JSON) {
            out = alloc.buffer(MAX_FRAME_HEADER + plainBytes);
            out.writeZero(MAX_FRAME_HEADER);
            writePackets(out, batch);
        } else {
            ByteBuf inner = alloc.buffer(plainBytes);
            out = null;
            try {
                writePackets(inner, batch);
                out = alloc.buffer(MAX_FRAME_HEADER + HEADER_BYTES + plainBytes / 4 + 64);
                out.writeZero(MAX_FRAME_HEADER + HEADER_BYTES);
                if (ver == VER_ZLIB) {
                    BodyCompression.zlib(inner, out);
                } else {
                    BodyCompression.brotli(inner, out);
                }
                BilibiliPackets.setHeader(out, MAX_FRAME_HEADER, out.writerIndex() - MAX_FRAME_HEADER, ver,
                        OP_MESSAGE, 0);
            } catch (RuntimeException e) {
                if (out != null) {
                    out.release();
                }
                throw e;
            } finally {
                inner.release();
            }
        }
        writeFrameHeader(out, out.writerIndex() - MAX_FRAME_HEADER);
        return out;
    }

    /** The {@code ver 0} op-5 packets of the batch, back to back. */
    private static void writePackets(ByteBuf buf, byte[][] batch) {
        for (byte[] packet : batch) {
            buf.writeBytes(packet);
        }
    }

    /** Writes the frame header right in front of the payload (which starts at MAX_FRAME_HEADER) and starts there. */
    private static void writeFrameHeader(ByteBuf out, long payload) {
        int headerLength = WebSocketFrames.headerLength(payload);
        int at = MAX_FRAME_HEADER - headerLength;
        out.setByte(at, WebSocketFrames.BINARY_FIN);
        if (payload < 126) {
            out.setByte(at + 1, (int) payload);
        } else if (payload <= 0xFFFF) {
            out.setByte(at + 1, 126);
            out.setShort(at + 2, (int) payload);
        } else {
            out.setByte(at + 1, 127);
            out.setLong(at + 2, payload);
        }
        out.readerIndex(at);
    }

    @Override
    public String toString() {
        return "BilibiliBatchEncoder[ver " + ver + "]";
    }
}
