package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.gateway.compression.CompressionSettings;
import io.danmaku.gateway.compression.PerMessageDeflate;
import io.danmaku.gateway.protocol.centrifuge.pb.Command;
import io.danmaku.gateway.protocol.centrifuge.pb.ConnectRequest;
import io.danmaku.gateway.protocol.centrifuge.pb.Reply;
import io.danmaku.gateway.protocol.centrifuge.pb.SubscribeRequest;
import io.danmaku.testkit.ws.TestTokens;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * permessage-deflate over real sockets, with a hand-written client (so every byte on the wire is visible):
 * negotiation variants, a batch frame deflated once and shared byte for byte, compressed client commands, and the
 * bound on what a client message may inflate to.
 */
class PermessageDeflateEndToEndTest {
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        // one event loop: every member of a room shares that loop's frames
        gw = new GatewayHarness(GatewayConfig.builder().ioThreads(1).batchWindow(Duration.ofMillis(20))
                .maxFramePayloadBytes(4096).build(), true);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void theExtensionIsAnsweredOnlyToAcceptableOffers() throws Exception {
        try (RawWs ws = RawWs.open(gw.port(), "permessage-deflate; client_max_window_bits")) {
            assertThat(ws.extensions).isEqualTo(PerMessageDeflate.RESPONSE);
        }
        try (RawWs ws = RawWs.open(gw.port(), null)) {
            assertThat(ws.extensions).isNull();
        }
        try (RawWs ws = RawWs.open(gw.port(), "permessage-deflate; server_max_window_bits=10")) {
            assertThat(ws.extensions).as("a smaller server window is declined").isNull();
        }
        try (RawWs ws = RawWs.open(gw.port(), "permessage-deflate; server_max_window_bits=15")) {
            assertThat(ws.extensions).isEqualTo(PerMessageDeflate.RESPONSE + "; server_max_window_bits=15");
        }
        try (RawWs ws = RawWs.open(gw.port(), "permessage-deflate; bogus=1, permessage-deflate")) {
            assertThat(ws.extensions).as("the bad offer is declined, the next accepted")
                    .isEqualTo(PerMessageDeflate.RESPONSE);
        }
    }

    @Test
    void withCompressionOffTheOfferIsIgnored() throws Exception {
        try (var off = new GatewayHarness(GatewayConfig.builder().compression(CompressionSettings.OFF).build(), true);
             RawWs ws = RawWs.open(off.port(), "permessage-deflate")) {
            assertThat(ws.extensions).isNull();
            ws.send(0x1, true, deflate("{\"id\":1,\"connect\":{}}"));
            assertThat(ws.readCloseCode()).as("RSV1 without the extension").isEqualTo(1002);
        }
    }

    @Test
    void aBatchIsDeflatedOnceAndTheSameBytesGoToEveryDeflateMember() throws Exception {
        String room = "deflate-shared";
        try (RawWs a = RawWs.open(gw.port(), "permessage-deflate; client_max_window_bits");
             RawWs b = RawWs.open(gw.port(), "permessage-deflate");
             RawWs plain = RawWs.open(gw.port(), null)) {
            String join = "{\"id\":1,\"connect\":{\"token\":\"" + TestTokens.hs256(GatewayHarness.SECRET, "u1", "U")
                    + "\"}}\n{\"id\":2,\"subscribe\":{\"channel\":\"" + room + "\"}}";
            // a: the commands in one compressed frame; b: one compressed message in two fragments; plain: as is
            a.send(0x1, true, deflate(join));
            byte[] z = deflate(join);
            int half = z.length / 2;
            b.sendFragment(0x1, true, false, Arrays.copyOfRange(z, 0, half));
            b.sendFragment(0x0, false, true, Arrays.copyOfRange(z, half, z.length));
            plain.send(0x1, false, join.getBytes(StandardCharsets.UTF_8));
            for (RawWs ws : new RawWs[] {a, b, plain}) {
                String replies = ws.readText();
                for (int i = 0; i < 5 && !replies.contains("\"subscribe\""); i++) {
                    replies += "\n" + ws.readText(); // the two replies may come in two frames
                }
                assertThat(replies).as("compressed commands understood").contains("\"id\":1").contains("\"id\":2")
                        .contains("\"subscribe\"");
            }
            double deflatedBefore = deflatedFrames();
            String text = "a danmaku long enough to be worth deflating, 弹幕弹幕弹幕 " + "x".repeat(120);
            gw.publish(room, text);
            RawWs.Frame fa = a.read();
            RawWs.Frame fb = b.read();
            RawWs.Frame fp = plain.read();
            assertThat(fa.rsv1()).as("deflated for a").isTrue();
            assertThat(fp.rsv1()).as("plain for the member without the extension").isFalse();
            assertThat(fa.raw).as("the same bytes for both deflate members").isEqualTo(fb.raw);
            assertThat(inflate(fa.payload)).as("inflates to the plain frame's payload")
                    .isEqualTo(new String(fp.payload, StandardCharsets.UTF_8));
            assertThat(new String(fp.payload, StandardCharsets.UTF_8)).contains(text);
            assertThat(fa.payload.length).isLessThan(fp.payload.length);
            assertThat(deflatedFrames() - deflatedBefore).as("deflated once for two members").isEqualTo(1.0);
        }
    }

    @Test
    void protobufMembersGetTheirOwnFrameDeflatedOnceAndSharedBesideTheJsonOne() throws Exception {
        String room = "deflate-protobuf";
        try (RawWs a = RawWs.open(gw.port(), "permessage-deflate", "centrifuge-protobuf");
             RawWs b = RawWs.open(gw.port(), "permessage-deflate", "centrifuge-protobuf");
             RawWs plain = RawWs.open(gw.port(), null, "centrifuge-protobuf");
             RawWs json = RawWs.open(gw.port(), "permessage-deflate")) {
            ByteArrayOutputStream join = new ByteArrayOutputStream();
            Command.newBuilder().setId(1).setConnect(ConnectRequest.getDefaultInstance()).build()
                    .writeDelimitedTo(join);
            Command.newBuilder().setId(2).setSubscribe(SubscribeRequest.newBuilder().setChannel(room)).build()
                    .writeDelimitedTo(join);
            for (RawWs ws : new RawWs[] {a, b, plain}) {
                assertThat(ws.subprotocol).isEqualTo("centrifuge-protobuf");
                ws.send(0x2, false, join.toByteArray());
                boolean subscribed = false;
                for (int i = 0; i < 5 && !subscribed; i++) {
                    RawWs.Frame f = ws.read();
                    assertThat(f.b0 & 0x0F).as("binary replies").isEqualTo(0x2);
                    subscribed = parse(f.payload).stream().anyMatch(r -> r.getId() == 2 && r.hasSubscribe());
                }
                assertThat(subscribed).isTrue();
            }
            json.send(0x1, false, ("{\"id\":1,\"connect\":{}}\n{\"id\":2,\"subscribe\":{\"channel\":\"" + room
                    + "\"}}").getBytes(StandardCharsets.UTF_8));
            String replies = json.readText();
            for (int i = 0; i < 5 && !replies.contains("\"subscribe\""); i++) {
                replies += "\n" + json.readText();
            }
            double deflatedBefore = deflatedFrames();
            String text = "a danmaku long enough to be worth deflating, 弹幕弹幕弹幕 " + "x".repeat(120);
            gw.publish(room, text);
            RawWs.Frame fa = a.read();
            RawWs.Frame fb = b.read();
            RawWs.Frame fp = plain.read();
            RawWs.Frame fj = json.read();
            assertThat(fa.rsv1()).as("deflated for a").isTrue();
            assertThat(fa.b0 & 0x0F).as("a binary frame").isEqualTo(0x2);
            assertThat(fp.rsv1()).as("plain for the member without the extension").isFalse();
            assertThat(fa.raw).as("the same bytes for both Protobuf deflate members").isEqualTo(fb.raw);
            assertThat(inflateBytes(fa.payload)).as("inflates to the plain frame's payload").isEqualTo(fp.payload);
            Reply push = parse(fp.payload).get(0);
            assertThat(push.getPush().getChannel()).isEqualTo(room);
            assertThat(push.getPush().getPub().getData().toStringUtf8()).contains(text);
            assertThat(fj.rsv1()).as("the JSON member gets its own deflated frame").isTrue();
            assertThat(inflate(fj.payload)).contains("\"push\"").contains(text);
            assertThat(deflatedFrames() - deflatedBefore).as("deflated once per format").isEqualTo(2.0);
        }
    }

    static List<Reply> parse(byte[] payload) throws IOException {
        List<Reply> out = new ArrayList<>();
        ByteArrayInputStream in = new ByteArrayInputStream(payload);
        Reply r;
        while ((r = Reply.parseDelimitedFrom(in)) != null) {
            out.add(r);
        }
        return out;
    }

    @Test
    void aMessageInflatingBeyondTheFrameLimitClosesWith1009() throws Exception {
        try (RawWs ws = RawWs.open(gw.port(), "permessage-deflate")) {
            byte[] bomb = deflate("{\"id\":1,\"connect\":{\"data\":\"" + " ".repeat(1 << 20) + "\"}}");
            assertThat(bomb.length).isLessThan(4096); // within the frame limit as sent
            ws.send(0x1, true, bomb);
            assertThat(ws.readCloseCode()).isEqualTo(1009);
        }
    }

    @Test
    void badCompressedDataAndMisplacedReservedBitsAreRefused() throws Exception {
        try (RawWs ws = RawWs.open(gw.port(), "permessage-deflate")) {
            ws.send(0x1, true, new byte[] {(byte) 0xFF, 0x13, 0x37});
            assertThat(ws.readCloseCode()).isEqualTo(1007);
        }
        try (RawWs ws = RawWs.open(gw.port(), "permessage-deflate")) {
            ws.sendFragment(0x1, false, false, "{\"id\":1,".getBytes(StandardCharsets.UTF_8));
            ws.sendFragment(0x0, true, true, deflate("\"connect\":{}}"));
            assertThat(ws.readCloseCode()).as("RSV1 on a continuation").isEqualTo(1002);
        }
        try (RawWs ws = RawWs.open(gw.port(), "permessage-deflate")) {
            ws.send(0x9, true, new byte[0]);
            assertThat(ws.readCloseCode()).as("RSV1 on a ping").isEqualTo(1002);
        }
    }

    private static double deflatedFrames() {
        var c = gw.meters.find("danmaku.gateway.compression.frames").counter();
        return c == null ? 0 : c.count();
    }

    static byte[] deflate(String text) {
        byte[] in = text.getBytes(StandardCharsets.UTF_8);
        Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        d.setInput(in);
        byte[] buf = new byte[in.length + 1024];
        int n = 0;
        do {
            if (n == buf.length) {
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
            n += d.deflate(buf, n, buf.length - n, Deflater.SYNC_FLUSH);
        } while (n == buf.length);
        d.end();
        return Arrays.copyOf(buf, n - 4); // without the 00 00 FF FF a sender removes
    }

    static String inflate(byte[] payload) throws Exception {
        return new String(inflateBytes(payload), StandardCharsets.UTF_8);
    }

    static byte[] inflateBytes(byte[] payload) throws Exception {
        Inflater inflater = new Inflater(true);
        byte[] in = Arrays.copyOf(payload, payload.length + 4);
        in[in.length - 2] = (byte) 0xFF;
        in[in.length - 1] = (byte) 0xFF;
        inflater.setInput(in);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[4096];
        int n;
        while ((n = inflater.inflate(chunk)) > 0) {
            out.write(chunk, 0, n);
        }
        inflater.end();
        return out.toByteArray();
    }

    /** A blocking WebSocket client that shows the wire: the handshake answer and each frame's bytes. */
    static final class RawWs implements AutoCloseable {
        final Socket socket;
        final DataInputStream in;
        final OutputStream out;
        final String extensions;
        /** The subprotocol the handshake answered, or null. */
        final String subprotocol;

        record Frame(int b0, byte[] payload, byte[] raw) {
            boolean rsv1() {
                return (b0 & 0x40) != 0;
            }
        }

        private RawWs(Socket socket, String extensions, String subprotocol) throws IOException {
            this.subprotocol = subprotocol;
            this.socket = socket;
            this.in = new DataInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
            this.extensions = extensions;
        }

        static RawWs open(int port, String offer) throws IOException {
            return open(port, offer, null);
        }

        /** Opens with an extension offer and a subprotocol (either may be null). */
        static RawWs open(int port, String offer, String subprotocol) throws IOException {
            Socket s = new Socket();
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(5000);
            String req = "GET /connection/websocket HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
                    + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + (offer == null ? "" : "Sec-WebSocket-Extensions: " + offer + "\r\n")
                    + (subprotocol == null ? "" : "Sec-WebSocket-Protocol: " + subprotocol + "\r\n") + "\r\n";
            s.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
            DataInputStream in = new DataInputStream(s.getInputStream());
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0 || head.length() > 8192) {
                    throw new EOFException("no handshake answer: " + head);
                }
                head.append((char) c);
            }
            assertThat(head.toString()).startsWith("HTTP/1.1 101");
            String ext = null;
            String chosen = null;
            for (String line : head.toString().split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("sec-websocket-extensions:")) {
                    ext = line.substring(line.indexOf(':') + 1).trim();
                }
                if (line.toLowerCase(Locale.ROOT).startsWith("sec-websocket-protocol:")) {
                    chosen = line.substring(line.indexOf(':') + 1).trim();
                }
            }
            return new RawWs(s, ext, chosen);
        }

        void send(int opcode, boolean rsv1, byte[] payload) throws IOException {
            sendFragment(opcode, rsv1, true, payload);
        }

        void sendFragment(int opcode, boolean rsv1, boolean fin, byte[] payload) throws IOException {
            ByteArrayOutputStream f = new ByteArrayOutputStream();
            f.write((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode);
            int n = payload.length;
            if (n < 126) {
                f.write(0x80 | n);
            } else if (n <= 0xFFFF) {
                f.write(0x80 | 126);
                f.write(n >>> 8);
                f.write(n);
            } else {
                f.write(0x80 | 127);
                for (int i = 7; i >= 0; i--) {
                    f.write((int) ((long) n >>> (8 * i)));
                }
            }
            byte[] mask = {0x11, 0x22, 0x33, 0x44};
            f.write(mask);
            for (int i = 0; i < n; i++) {
                f.write(payload[i] ^ mask[i & 3]);
            }
            out.write(f.toByteArray());
            out.flush();
        }

        /** The next frame that is not a ping ({@code {}} pings of the protocol are text and returned). */
        Frame read() throws IOException {
            while (true) {
                ByteArrayOutputStream raw = new ByteArrayOutputStream();
                int b0 = in.readUnsignedByte();
                int b1 = in.readUnsignedByte();
                raw.write(b0);
                raw.write(b1);
                long len = b1 & 0x7F;
                if (len == 126) {
                    int hi = in.readUnsignedByte();
                    int lo = in.readUnsignedByte();
                    raw.write(hi);
                    raw.write(lo);
                    len = (hi << 8) | lo;
                } else if (len == 127) {
                    len = 0;
                    for (int i = 0; i < 8; i++) {
                        int v = in.readUnsignedByte();
                        raw.write(v);
                        len = (len << 8) | v;
                    }
                }
                byte[] payload = new byte[(int) len];
                in.readFully(payload);
                raw.write(payload);
                if ((b0 & 0x0F) == 0x9) {
                    continue;
                }
                return new Frame(b0, payload, raw.toByteArray());
            }
        }

        String readText() throws Exception {
            Frame f = read();
            return f.rsv1() ? inflate(f.payload) : new String(f.payload, StandardCharsets.UTF_8);
        }

        /** Reads until a close frame and returns its code. */
        int readCloseCode() throws IOException {
            for (int i = 0; i < 100; i++) {
                Frame f = read();
                if ((f.b0 & 0x0F) == 0x8) {
                    return f.payload.length >= 2 ? ((f.payload[0] & 0xFF) << 8) | (f.payload[1] & 0xFF) : 1005;
                }
            }
            throw new AssertionError("no close frame");
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
