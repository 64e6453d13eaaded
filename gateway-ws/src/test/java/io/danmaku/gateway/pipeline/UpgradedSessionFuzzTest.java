package io.danmaku.gateway.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.danmaku.gateway.GatewayConfig;
import io.danmaku.gateway.fuzz.FuzzConnection;
import io.netty.buffer.ByteBuf;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The WebSocket session's frame handling: an upgraded connection through the real per-connection pipeline (HTTP
 * codec, router, then the frame decoder and the protocol's session) in an {@code EmbeddedChannel}, fed arbitrary
 * frames as bytes on the wire: any opcode, FIN and RSV bits, fragments and control frames in any order.
 *
 * <p>Input layout: one flag byte (bit 0: {@code /sub} (Bilibili) instead of {@code /connection/websocket}; bit 1:
 * the rest goes onto the wire as it is), then frames, each {@code b0 | u16 length | payload} (cut at the input's
 * end): {@code b0} is the frame's first byte (FIN, RSV1-3, opcode); the test masks the payload as a client must.
 */
class UpgradedSessionFuzzTest {
    private static final GatewayConfig CONFIG = GatewayConfig.builder().batchWindow(Duration.ZERO)
            .postLinger(Duration.ZERO).maxFramePayloadBytes(4096).build();
    private static final byte[] MASK = {0x37, (byte) 0xfa, 0x21, 0x3d};

    @FuzzTest
    void frames(byte[] input) {
        try (FuzzConnection c = new FuzzConnection(CONFIG)) {
            ByteBuffer in = ByteBuffer.wrap(input);
            int flags = in.hasRemaining() ? in.get() : 0;
            upgrade(c, (flags & 1) != 0 ? HttpRouterHandler.BILIBILI_PATH : HttpRouterHandler.CENTRIFUGE_PATH);
            if ((flags & 2) != 0) {
                write(c, input, in.position(), in.remaining());
                return;
            }
            while (in.remaining() >= 3 && c.channel.isActive()) {
                int b0 = in.get() & 0xFF;
                byte[] payload = new byte[Math.min(in.getShort() & 0xFFFF, in.remaining())];
                in.get(payload);
                byte[] frame = maskedFrame(b0, payload);
                write(c, frame, 0, frame.length);
            }
        }
    }

    private static void upgrade(FuzzConnection c, String path) {
        new GatewayInitializer(c.ctx, new HttpRouterHandler(c.ctx, null, null, new StaticFiles()),
                new DefaultChannelGroup(ImmediateEventExecutor.INSTANCE), new ConnectionAdmission(CONFIG), null)
                .init(c.channel);
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        c.channel.writeInbound(c.alloc.buffer(request.length).writeBytes(request));
        c.channel.runPendingTasks();
        ByteBuf response = c.channel.readOutbound();
        try {
            assertThat(response.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 101");
        } finally {
            response.release();
        }
    }

    private static void write(FuzzConnection c, byte[] bytes, int offset, int length) {
        c.channel.writeInbound(c.alloc.buffer(length).writeBytes(bytes, offset, length));
        c.drain();
    }

    /** One client frame: {@code b0}, the masked length (7-bit or 16-bit form), the mask, the masked payload. */
    private static byte[] maskedFrame(int b0, byte[] payload) {
        int n = payload.length;
        ByteBuffer out = ByteBuffer.allocate(2 + (n > 125 ? 2 : 0) + 4 + n);
        out.put((byte) b0);
        if (n > 125) {
            out.put((byte) (0x80 | 126)).putShort((short) n);
        } else {
            out.put((byte) (0x80 | n));
        }
        out.put(MASK);
        for (int i = 0; i < n; i++) {
            out.put((byte) (payload[i] ^ MASK[i & 3]));
        }
        return out.array();
    }
}
