package io.danmaku.gateway.protocol.bilibili;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.Decoder;
import com.aayushatharva.brotli4j.decoder.DecoderJNI;
import com.aayushatharva.brotli4j.decoder.DirectDecompress;
import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.json.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The client side of the binary protocol, written independently of the server's classes: builds client
 * packets and takes server frames apart (splitting by packLen, inflating zlib and brotli bodies) the way the
 * open clients do.
 */
public final class BilibiliClientCodec {
    private BilibiliClientCodec() {
    }

    /** One received packet. */
    public record Packet(long packLen, int headerLen, int ver, int op, int seq, byte[] body) {
        public JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("packet body is not JSON: " + new String(body, StandardCharsets.UTF_8), e);
            }
        }

        public int int32() {
            if (body.length != 4) {
                throw new AssertionError("expected a 4-byte body, got " + body.length);
            }
            return ByteBuffer.wrap(body).getInt();
        }

        public String cmd() {
            return json().path("cmd").asText();
        }
    }

    public static byte[] packet(int packLen, int headerLen, int ver, int op, int seq, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(16 + body.length);
        b.putInt(packLen).putShort((short) headerLen).putShort((short) ver).putInt(op).putInt(seq).put(body);
        return b.array();
    }

    /** A client packet as the clients write it: ver 1, seq 1. */
    public static byte[] packet(int op, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return packet(16 + b.length, 16, 1, op, 1, b);
    }

    public static byte[] auth(String body) {
        return packet(7, body);
    }

    public static byte[] heartbeat() {
        return packet(2, "{}");
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Splits a frame's payload into its packets by packLen, without looking into compressed bodies. */
    public static List<Packet> split(byte[] payload) {
        List<Packet> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(payload);
        while (b.hasRemaining()) {
            int at = b.position();
            long packLen = Integer.toUnsignedLong(b.getInt(at));
            int headerLen = Short.toUnsignedInt(b.getShort(at + 4));
            int ver = Short.toUnsignedInt(b.getShort(at + 6));
            int op = b.getInt(at + 8);
            int seq = b.getInt(at + 12);
            if (packLen < 16 || packLen > b.remaining()) {
                throw new AssertionError("bad packLen " + packLen + " at " + at + " of " + payload.length);
            }
            byte[] body = new byte[(int) packLen - headerLen];
            b.position(at + headerLen);
            b.get(body);
            out.add(new Packet(packLen, headerLen, ver, op, seq, body));
        }
        return out;
    }

    /** Splits a payload and replaces every ver 2 (zlib) or ver 3 (brotli) packet by the packets inside it. */
    public static List<Packet> decode(byte[] payload) {
        List<Packet> out = new ArrayList<>();
        for (Packet p : split(payload)) {
            if (p.ver() == 2) {
                out.addAll(decode(inflate(p.body())));
            } else if (p.ver() == 3) {
                out.addAll(decode(unbrotli(p.body())));
            } else {
                out.add(p);
            }
        }
        return out;
    }

    public static byte[] inflate(byte[] zlib) {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(zlib);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] chunk = new byte[8192];
            while (!inflater.finished()) {
                int n = inflater.inflate(chunk);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new AssertionError("truncated zlib stream");
                }
                out.write(chunk, 0, n);
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new AssertionError("not a zlib stream", e);
        } finally {
            inflater.end();
        }
    }

    public static byte[] unbrotli(byte[] brotli) {
        Brotli4jLoader.ensureAvailability();
        try {
            DirectDecompress d = Decoder.decompress(brotli);
            if (d.getResultStatus() != DecoderJNI.Status.DONE) {
                throw new AssertionError("brotli decoding: " + d.getResultStatus());
            }
            return d.getDecompressedData();
        } catch (IOException e) {
            throw new AssertionError("not a brotli stream", e);
        }
    }

    /**
     * The payload of one complete server-to-client WebSocket frame (FIN, binary, unmasked), checking its
     * header. Does not release {@code frame}.
     */
    public static byte[] binaryFramePayload(ByteBuf frame) {
        byte[] all = ByteBufUtil.getBytes(frame);
        ByteBuffer b = ByteBuffer.wrap(all);
        int b0 = b.get() & 0xff;
        int b1 = b.get() & 0xff;
        if (b0 != 0x82) {
            throw new AssertionError("expected a final binary frame (0x82), got 0x" + Integer.toHexString(b0));
        }
        if ((b1 & 0x80) != 0) {
            throw new AssertionError("server frames must not be masked");
        }
        long len = b1 & 0x7f;
        if (len == 126) {
            len = Short.toUnsignedInt(b.getShort());
            if (len < 126) {
                throw new AssertionError("length " + len + " not in its shortest form (16-bit)");
            }
        } else if (len == 127) {
            len = b.getLong();
            if (len <= 0xFFFF) {
                throw new AssertionError("length " + len + " not in its shortest form (64-bit)");
            }
        }
        if (len != b.remaining()) {
            throw new AssertionError("frame length " + len + " but " + b.remaining() + " payload bytes");
        }
        byte[] payload = new byte[(int) len];
        b.get(payload);
        return payload;
    }
}
