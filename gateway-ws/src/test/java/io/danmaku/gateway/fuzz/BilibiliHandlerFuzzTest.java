package io.danmaku.gateway.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.danmaku.gateway.protocol.bilibili.BilibiliHandler;
import io.danmaku.testkit.ws.TestTokens;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The Bilibili packet decoder: arbitrary frames into {@link BilibiliHandler} alone in an {@code EmbeddedChannel}.
 *
 * <p>Input layout: one flag byte (bit 0: the connection first sends a valid auth packet, so the rest reaches the
 * joined state), then frames, each {@code u16 header | bytes}: the header's low 15 bits are the frame's length
 * (cut at the input's end), bit 15 makes it a text frame instead of a binary one.
 */
class BilibiliHandlerFuzzTest {
    private static final byte[] AUTH_FRAME = authPacket();

    @FuzzTest
    void frames(byte[] input) {
        try (FuzzConnection c = new FuzzConnection()) {
            c.channel.pipeline().addLast(new BilibiliHandler(c.ctx));
            ByteBuffer in = ByteBuffer.wrap(input);
            if (in.hasRemaining() && (in.get() & 1) != 0) {
                send(c, AUTH_FRAME, false);
            }
            while (in.remaining() >= 2 && c.channel.isActive()) {
                int header = in.getShort() & 0xFFFF;
                byte[] frame = new byte[Math.min(header & 0x7FFF, in.remaining())];
                in.get(frame);
                send(c, frame, (header & 0x8000) != 0);
            }
        }
    }

    private static void send(FuzzConnection c, byte[] frame, boolean text) {
        ByteBuf content = c.alloc.buffer(frame.length).writeBytes(frame);
        c.channel.writeInbound(text ? new TextWebSocketFrame(content) : new BinaryWebSocketFrame(content));
        c.drain();
    }

    /** Op 7 into room 123 with a valid token, protover 3 (brotli batches), as the web client sends it. */
    private static byte[] authPacket() {
        String token = TestTokens.hs256(FuzzConnection.SECRET, "10086", "Alice");
        byte[] body = ("{\"uid\":10086,\"roomid\":123,\"protover\":3,\"platform\":\"web\",\"type\":2,\"key\":\""
                + token + "\"}").getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(16 + body.length).putInt(16 + body.length).putShort((short) 16)
                .putShort((short) 1).putInt(7).putInt(1).put(body).array();
    }
}
