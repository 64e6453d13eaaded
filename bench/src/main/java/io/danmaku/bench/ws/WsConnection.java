package io.danmaku.bench.ws;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The sending side of one client WebSocket connection: whole frames, masked as a client must. Used on the
 * connection's event loop.
 */
public final class WsConnection {
    public static final int OP_TEXT = 1;
    public static final int OP_BINARY = 2;
    public static final int OP_CLOSE = 8;
    public static final int OP_PING = 9;
    public static final int OP_PONG = 10;

    private final Channel channel;

    WsConnection(Channel channel) {
        this.channel = channel;
    }

    public Channel channel() {
        return channel;
    }

    public void sendText(String text) {
        send(OP_TEXT, text.getBytes(StandardCharsets.UTF_8), true);
    }

    public void sendBinary(byte[] payload) {
        send(OP_BINARY, payload, true);
    }

    /** Writes one masked frame; flushes when {@code flush}. */
    public void send(int opcode, byte[] payload, boolean flush) {
        ByteBuf out = encode(channel, opcode, payload);
        if (flush) {
            channel.writeAndFlush(out, channel.voidPromise());
        } else {
            channel.write(out, channel.voidPromise());
        }
    }

    static ByteBuf encode(Channel channel, int opcode, byte[] payload) {
        int n = payload.length;
        int header = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
        ByteBuf out = channel.alloc().buffer(header + 4 + n);
        out.writeByte(0x80 | opcode);
        if (n < 126) {
            out.writeByte(0x80 | n);
        } else if (n <= 0xFFFF) {
            out.writeByte(0x80 | 126);
            out.writeShort(n);
        } else {
            out.writeByte(0x80 | 127);
            out.writeLong(n);
        }
        int mask = ThreadLocalRandom.current().nextInt();
        out.writeInt(mask);
        for (int i = 0; i < n; i++) {
            out.writeByte(payload[i] ^ (mask >>> (8 * (3 - (i & 3)))));
        }
        return out;
    }

    public void close() {
        channel.close();
    }
}
