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
        long wireBytes;
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
        public void onWireBytes(long n) {
            wireBytes += n;
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

    /** Raw deflate with a sync flush, the trailing 00 00 FF FF removed: a permessage-deflate payload. */
    static byte[] deflate(String text) {
        java.util.zip.Deflater d = new java.util.zip.Deflater(6, true);
        d.setInput(text.getBytes(StandardCharsets.UTF_8));
        byte[] buf = new byte[text.length() * 3 + 64];
        int n = d.deflate(buf, 0, buf.length, java.util.zip.Deflater.SYNC_FLUSH);
        d.end();
        return java.util.Arrays.copyOf(buf, n - 4);
    }

    @Test
    void offersDeflateAndInflatesCompressedFramesSplitAnywhere() {
        Frames session = new Frames();
        EmbeddedChannel ch = new EmbeddedChannel(new WsClientHandler(URI.create("ws://127.0.0.1:1/x"), session, true));
        ByteBuf request = ch.readOutbound();
        assertThat(request.toString(StandardCharsets.US_ASCII))
                .contains("\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
        request.release();

        String one = "{\"push\":{\"channel\":\"r\",\"pub\":{\"data\":{\"text\":\"#1.0.5;\"},\"offset\":1}}}\n"
                .repeat(20);
        byte[] z1 = deflate(one);
        byte[] z2 = deflate("plain after compressed? no: compressed again " + "z".repeat(500));
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        wire.writeBytes(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Extensions: "
                + "permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        wire.write(0xC1); // FIN, RSV1, text
        wire.write(z1.length);
        wire.writeBytes(z1);
        wire.writeBytes(new byte[] {(byte) 0x81, 5});
        wire.writeBytes("hello".getBytes(StandardCharsets.US_ASCII));
        wire.write(0x41); // RSV1, text, not final
        wire.write(10);
        wire.writeBytes(java.util.Arrays.copyOfRange(z2, 0, 10));
        wire.write(0x80); // FIN, continuation
        wire.write(z2.length - 10);
        wire.writeBytes(java.util.Arrays.copyOfRange(z2, 10, z2.length));
        byte[] all = wire.toByteArray();
        long inflatedBefore = WsClientHandler.INFLATED_MESSAGES.sum();
        for (int i = 0; i < all.length; i += 5) {
            ch.writeInbound(Unpooled.wrappedBuffer(java.util.Arrays.copyOfRange(all, i, Math.min(all.length, i + 5))));
        }

        assertThat(session.frames).containsExactly(one, "hello",
                "plain after compressed? no: compressed again " + "z".repeat(500));
        assertThat(session.wireBytes).as("compressed bytes as they crossed the network, headers included")
                .isEqualTo(2 + z1.length + 2 + 5 + 2 + 10 + 2 + (z2.length - 10));
        assertThat(WsClientHandler.INFLATED_MESSAGES.sum() - inflatedBefore).isEqualTo(2);
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void compressedFramesWithoutTheExtensionCloseTheConnection() {
        Frames session = new Frames();
        EmbeddedChannel ch = new EmbeddedChannel(new WsClientHandler(URI.create("ws://127.0.0.1:1/x"), session, true));
        ((ByteBuf) ch.readOutbound()).release();
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        wire.writeBytes("HTTP/1.1 101 Switching Protocols\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        byte[] z = deflate("x");
        wire.write(0xC1);
        wire.write(z.length);
        wire.writeBytes(z);
        ch.writeInbound(Unpooled.wrappedBuffer(wire.toByteArray()));
        assertThat(session.frames).isEmpty();
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
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
