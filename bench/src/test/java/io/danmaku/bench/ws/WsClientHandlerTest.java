package io.danmaku.bench.ws;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WsClientHandlerTest {
    /** Collects whole frames from the streamed callbacks. */
    static final class Frames implements WsSession {
        final List<String> frames = new ArrayList<>();
        final ByteArrayOutputStream current = new ByteArrayOutputStream();
        boolean open;
        String failed;

        @Override
        public void onOpen(WsConnection connection) {
            open = true;
        }

        @Override
        public void onFrameStart(int opcode, long length, boolean fin) {
            current.reset();
        }

        @Override
        public void onPayload(ByteBuf buf, int index, int length) {
            byte[] b = new byte[length];
            buf.getBytes(index, b);
            current.writeBytes(b);
        }

        @Override
        public void onFrameEnd() {
            frames.add(current.toString(StandardCharsets.UTF_8));
        }

        @Override
        public void onUpgradeFailed(String reason) {
            failed = reason;
        }

        @Override
        public void onClosed() {
        }
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    @Test
    void upgradesThenReadsFramesSplitAnywhere() {
        Frames session = new Frames();
        EmbeddedChannel ch = new EmbeddedChannel(new WsClientHandler(URI.create("ws://127.0.0.1:1/x"), session));
        ByteBuf request = ch.readOutbound();
        assertThat(request.toString(StandardCharsets.US_ASCII)).startsWith("GET /x HTTP/1.1\r\n");
        request.release();

        String big = "y".repeat(300);
        String wire = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
                + "\u0081\u0005hello"                                   // text, 7-bit length
                + "\u0081\u007e\u0001\u002c" + big                      // text, 16-bit length (300)
                + "\u0089\u0000";                                       // ping, answered by a pong
        for (int i = 0; i < wire.length(); i += 7) {
            ch.writeInbound(bytes(wire.substring(i, Math.min(wire.length(), i + 7))));
        }

        assertThat(session.open).isTrue();
        assertThat(session.frames).containsExactly("hello", big);
        ByteBuf pong = ch.readOutbound();
        assertThat(pong.getByte(0) & 0xFF).isEqualTo(0x8A);
        assertThat(pong.getByte(1) & 0xFF).isEqualTo(0x80); // masked, empty
        pong.release();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void reportsAFailedUpgrade() {
        Frames session = new Frames();
        EmbeddedChannel ch = new EmbeddedChannel(new WsClientHandler(URI.create("ws://127.0.0.1:1/"), session));
        ((ByteBuf) ch.readOutbound()).release();

        ch.writeInbound(bytes("HTTP/1.1 400 Bad Request\r\n\r\n"));

        assertThat(session.failed).isEqualTo("HTTP/1.1 400 Bad Request");
        assertThat(session.open).isFalse();
        ch.finishAndReleaseAll();
    }
}
