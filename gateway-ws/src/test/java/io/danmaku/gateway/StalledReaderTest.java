package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.gateway.protocol.bilibili.BilibiliClientCodec;
import io.danmaku.protocol.json.Json;
import io.micrometer.core.instrument.Counter;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A client that stops reading (small receive buffer, nothing read) while its room gets a bounded stream of
 * messages, then reads again: every message reaches it in order with no gap, or it is told in its protocol's way.
 * A short stall (what it missed fits the room's ring) is caught up from the ring without any signal; a long one
 * (more than the ring holds) is told: Centrifugo's unsubscribe push 2500, after which a resubscribe with its
 * position recovers the rest from history, and Bilibili's close 4005.
 */
class StalledReaderTest {
    private static final String FILLER = "x".repeat(1000);
    /** Messages published after the stalled client first had a batch skipped. */
    private static final int AFTER_SKIP = 40;

    @Test
    void centrifugeShortStallIsCaughtUpFromTheRingWithoutASignal() throws Exception {
        try (GatewayHarness gw = harness(1000);
             RawClient c = RawClient.open(gw.port(), "/connection/websocket")) {
            String room = "stall-cf-short";
            JsonNode sub = centrifugeSubscribe(c, room);
            assertThat(sub.path("positioned").asBoolean()).as("every subscription is positioned").isTrue();
            Awaitility.await().until(() -> gw.server.rooms().localCount(room) == 1);
            int total = publishUntilSkippedThen(gw, room, AFTER_SKIP);

            CentrifugeStream got = readCentrifuge(c, room, total, false);
            assertThat(got.unsubscribe).as("no signal: the ring held everything missed").isNull();
            assertThat(got.seqs).as("every message, in order, no gap").isEqualTo(range(0, total));
            assertThat(count(gw, "danmaku.gateway.catchup.messages", "centrifuge")).isPositive();
            assertThat(count(gw, "danmaku.gateway.catchup.signals", "centrifuge")).isZero();
        }
    }

    @Test
    void centrifugeLongStallGetsInsufficientStateAndRecoversTheRestFromHistory() throws Exception {
        try (GatewayHarness gw = harness(16);
             RawClient c = RawClient.open(gw.port(), "/connection/websocket")) {
            String room = "stall-cf-long";
            JsonNode sub = centrifugeSubscribe(c, room);
            String epoch = sub.path("epoch").asText();
            Awaitility.await().until(() -> gw.server.rooms().localCount(room) == 1);
            int total = publishUntilSkippedThen(gw, room, AFTER_SKIP);

            CentrifugeStream got = readCentrifuge(c, room, total, true);
            assertThat(got.unsubscribe).as("told: more was missed than the ring of 16 holds").isNotNull();
            assertThat(got.unsubscribe.path("code").asInt()).isEqualTo(2500);
            assertThat(got.unsubscribe.path("reason").asText()).isEqualTo("insufficient state");
            int k = got.seqs.size();
            assertThat(k).as("some were missed").isLessThan(total);
            assertThat(got.seqs).as("what came before the signal has no gap").isEqualTo(range(0, k));
            assertThat(gw.server.rooms().localCount(room)).as("the server left the room").isZero();
            assertThat(count(gw, "danmaku.gateway.catchup.signals", "centrifuge")).isEqualTo(1.0);

            // what the SDK does on 2500: subscribe again, recovering from the last offset it got
            c.sendText("{\"id\":3,\"subscribe\":{\"channel\":\"" + room + "\",\"recover\":true,\"offset\":"
                    + got.lastOffset + ",\"epoch\":\"" + epoch + "\"}}");
            JsonNode reply = c.awaitReply(3);
            assertThat(reply.path("subscribe").path("recovered").asBoolean()).as("recovered").isTrue();
            List<Integer> all = new ArrayList<>(got.seqs);
            for (JsonNode pub : reply.path("subscribe").path("publications")) {
                all.add(seq(pub.path("data").path("text").asText()));
            }
            assertThat(all).as("signal + recovery: nothing lost").isEqualTo(range(0, total));
            assertThat(all.size() - k).as("recovered what the ring could not hold").isGreaterThan(16);
        }
    }

    @Test
    void bilibiliShortStallIsCaughtUpFromTheRing() throws Exception {
        try (GatewayHarness gw = harness(1000);
             RawClient c = RawClient.open(gw.port(), "/sub")) {
            String room = "7001";
            bilibiliAuth(c, room);
            Awaitility.await().until(() -> gw.server.rooms().localCount(room) == 1);
            int total = publishUntilSkippedThen(gw, room, AFTER_SKIP);

            BilibiliStream got = readBilibili(c, total);
            assertThat(got.closeCode).as("not closed: the ring held everything missed").isEqualTo(-1);
            assertThat(got.seqs).isEqualTo(range(0, total));
            assertThat(count(gw, "danmaku.gateway.catchup.messages", "bilibili")).isPositive();
            assertThat(count(gw, "danmaku.gateway.catchup.signals", "bilibili")).isZero();
        }
    }

    @Test
    void bilibiliLongStallIsClosedWith4005() throws Exception {
        try (GatewayHarness gw = harness(16);
             RawClient c = RawClient.open(gw.port(), "/sub")) {
            String room = "7002";
            bilibiliAuth(c, room);
            Awaitility.await().until(() -> gw.server.rooms().localCount(room) == 1);
            int total = publishUntilSkippedThen(gw, room, AFTER_SKIP);

            BilibiliStream got = readBilibili(c, total);
            assertThat(got.closeCode).as("told by the close code").isEqualTo(4005);
            int k = got.seqs.size();
            assertThat(k).isLessThan(total);
            assertThat(got.seqs).as("what came before the close has no gap").isEqualTo(range(0, k));
            assertThat(count(gw, "danmaku.gateway.catchup.signals", "bilibili")).isEqualTo(1.0);
            assertThat(count(gw, "danmaku.gateway.disconnects", "bilibili", "code", "4005")).isEqualTo(1.0);
        }
    }

    @Test
    void uniStreamLongStallEndsWithDisconnect3010() throws Exception {
        try (GatewayHarness gw = harness(16);
             Socket s = UniSlowReaderTest.stalledReader(gw.port(), "uni-stall")) {
            Awaitility.await().until(() -> gw.server.rooms().localCount("uni-stall") == 1);
            publishUntilSkippedThen(gw, "uni-stall", AFTER_SKIP);

            // reading again: what the stream held, then the disconnect push and the end of the response
            s.setSoTimeout(20_000);
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            StringBuilder tail = new StringBuilder();
            long total = 0;
            for (int n; (n = in.read(buf)) >= 0 && total < 200_000_000L; ) {
                total += n;
                tail.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                if (tail.length() > 8192) {
                    tail.delete(0, tail.length() - 8192);
                }
            }
            assertThat(tail.toString()).as("the stream ends with the disconnect push")
                    .contains("{\"disconnect\":{\"code\":3010,\"reason\":\"insufficient state\"}}");
            assertThat(count(gw, "danmaku.gateway.catchup.signals", "uni_http_stream")).isEqualTo(1.0);
        }
    }

    // ---- the room's stream ---------------------------------------------------------------------------------------

    private static GatewayHarness harness(int ringSize) throws InterruptedException {
        GatewayConfig config = GatewayConfig.builder()
                .batchWindow(Duration.ZERO)
                .ringSize(ringSize)
                .writeBufferLowBytes(8 * 1024)
                .writeBufferHighBytes(32 * 1024)
                .slowClientTimeout(Duration.ofMinutes(5)) // stalled, never dropped as slow here
                .build();
        return new GatewayHarness(config, true, 100_000);
    }

    /**
     * Publishes numbered messages until the stalled client has had a batch skipped (its buffers are full), then
     * {@code more}; returns how many in all. Bounded in count and time.
     */
    private static int publishUntilSkippedThen(GatewayHarness gw, String room, int more) {
        int n = 0;
        while (skipped(gw) == 0) {
            if (n >= 20_000) {
                fail("the stalled client never became unwritable (" + n + " messages published)");
            }
            for (int i = 0; i < 10; i++) {
                gw.publish(room, text(n++));
            }
            // paced by the gateway: every message so far went out to the one member, or was skipped for it
            int published = n;
            Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(1))
                    .until(() -> gw.meters.counter("danmaku.gateway.deliveries").count() + skipped(gw) >= published);
        }
        for (int i = 0; i < more; i++) {
            gw.publish(room, text(n++));
        }
        int published = n;
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(1))
                .until(() -> gw.meters.counter("danmaku.gateway.deliveries").count() + skipped(gw) >= published);
        return n;
    }

    private static double skipped(GatewayHarness gw) {
        return gw.meters.counter("danmaku.gateway.drops", "reason", "unwritable").count();
    }

    private static String text(int seq) {
        return "seq-" + seq + "-" + FILLER;
    }

    private static int seq(String text) {
        if (!text.startsWith("seq-")) {
            throw new AssertionError("not one of the test's messages: " + text);
        }
        return Integer.parseInt(text.substring(4, text.indexOf('-', 4)));
    }

    private static List<Integer> range(int from, int to) {
        return IntStream.range(from, to).boxed().toList();
    }

    private static double count(GatewayHarness gw, String name, String protocol, String... tags) {
        var search = gw.meters.find(name).tag("protocol", protocol);
        if (tags.length > 0) {
            search = search.tags(tags);
        }
        Counter counter = search.counter();
        return counter == null ? 0 : counter.count();
    }

    // ---- Centrifugo ------------------------------------------------------------------------------------------------

    private static JsonNode centrifugeSubscribe(RawClient c, String room) throws Exception {
        c.sendText("{\"id\":1,\"connect\":{}}");
        c.awaitReply(1);
        c.sendText("{\"id\":2,\"subscribe\":{\"channel\":\"" + room + "\"}}");
        return c.awaitReply(2).path("subscribe");
    }

    private static final class CentrifugeStream {
        final List<Integer> seqs = new ArrayList<>();
        long lastOffset;
        JsonNode unsubscribe;
    }

    /** Reads publications until all {@code total} came, or (with {@code untilSignal}) the unsubscribe push. */
    private static CentrifugeStream readCentrifuge(RawClient c, String room, int total, boolean untilSignal)
            throws Exception {
        CentrifugeStream got = new CentrifugeStream();
        while (got.unsubscribe == null && (untilSignal || got.seqs.size() < total)) {
            RawClient.Frame f = c.read();
            if (f.opcode() == RawClient.CLOSE) {
                fail("closed with " + f.closeCode() + " after " + got.seqs.size() + " messages");
            }
            if (f.opcode() != RawClient.TEXT) {
                continue;
            }
            for (String line : f.text().split("\n")) {
                JsonNode push = Json.MAPPER.readTree(line).path("push");
                if (!push.path("channel").asText().equals(room)) {
                    continue; // a ping
                }
                if (push.has("pub")) {
                    got.seqs.add(seq(push.path("pub").path("data").path("text").asText()));
                    got.lastOffset = push.path("pub").path("offset").asLong();
                } else if (push.has("unsubscribe")) {
                    got.unsubscribe = push.path("unsubscribe");
                }
            }
        }
        return got;
    }

    // ---- Bilibili --------------------------------------------------------------------------------------------------

    private static void bilibiliAuth(RawClient c, String room) throws Exception {
        c.sendBinary(BilibiliClientCodec.auth("{\"uid\":0,\"roomid\":" + room + ",\"protover\":1}"));
        while (true) {
            RawClient.Frame f = c.read();
            if (f.opcode() == RawClient.BINARY
                    && BilibiliClientCodec.decode(f.payload()).stream().anyMatch(p -> p.op() == 8)) {
                return;
            }
            if (f.opcode() == RawClient.CLOSE) {
                fail("auth refused: " + f.closeCode());
            }
        }
    }

    private static final class BilibiliStream {
        final List<Integer> seqs = new ArrayList<>();
        int closeCode = -1;
    }

    /** Reads danmaku until all {@code total} came or the connection was closed. */
    private static BilibiliStream readBilibili(RawClient c, int total) throws Exception {
        BilibiliStream got = new BilibiliStream();
        while (got.seqs.size() < total) {
            RawClient.Frame f = c.read();
            if (f.opcode() == RawClient.CLOSE) {
                got.closeCode = f.closeCode();
                return got;
            }
            if (f.opcode() != RawClient.BINARY) {
                continue;
            }
            for (BilibiliClientCodec.Packet p : BilibiliClientCodec.decode(f.payload())) {
                if (p.op() == 5 && p.cmd().equals("DANMU_MSG")) {
                    got.seqs.add(seq(p.json().path("info").path(1).asText()));
                }
            }
        }
        return got;
    }

    // ---- a WebSocket client on a plain socket ------------------------------------------------------------------

    /**
     * A WebSocket client on a loopback socket with a 4 KiB receive buffer, reading only when asked: between reads
     * the server's writes fill the socket buffers, and the connection turns unwritable on the server's side.
     */
    static final class RawClient implements AutoCloseable {
        static final int TEXT = 1;
        static final int BINARY = 2;
        static final int CLOSE = 8;

        private final Socket socket;
        private final DataInputStream in;
        private final OutputStream out;

        record Frame(int opcode, byte[] payload) {
            String text() {
                return new String(payload, StandardCharsets.UTF_8);
            }

            int closeCode() {
                return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
            }
        }

        private RawClient(Socket socket) throws Exception {
            this.socket = socket;
            this.in = new DataInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
        }

        static RawClient open(int port, String path) throws Exception {
            Socket s = new Socket();
            s.setReceiveBufferSize(4096);
            s.setSoTimeout(30_000); // a read that never completes fails the test instead of hanging it
            s.connect(new InetSocketAddress("127.0.0.1", port));
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new EOFException("closed during the handshake: " + head);
                }
                head.append((char) b);
            }
            assertThat(head.toString()).startsWith("HTTP/1.1 101");
            return new RawClient(s);
        }

        void sendText(String text) throws Exception {
            send(0x81, text.getBytes(StandardCharsets.UTF_8));
        }

        void sendBinary(byte[] payload) throws Exception {
            send(0x82, payload);
        }

        /** A masked frame (mask key 0, which leaves the payload as it is); payloads under 126 bytes only. */
        private void send(int first, byte[] p) throws Exception {
            if (p.length >= 126) {
                throw new IllegalArgumentException("payload: " + p.length + " bytes (expected: < 126)");
            }
            out.write(first);
            out.write(0x80 | p.length);
            out.write(new byte[4]);
            out.write(p);
            out.flush();
        }

        /** The next whole frame from the server (never fragmented by this server). */
        Frame read() throws Exception {
            int b0 = in.readUnsignedByte();
            int b1 = in.readUnsignedByte();
            long len = b1 & 0x7F;
            if (len == 126) {
                len = in.readUnsignedShort();
            } else if (len == 127) {
                len = in.readLong();
            }
            if ((b1 & 0x80) != 0 || len > 64L << 20) {
                throw new AssertionError("unexpected frame from the server: masked or " + len + " bytes");
            }
            byte[] payload = new byte[(int) len];
            in.readFully(payload);
            return new Frame(b0 & 0x0F, payload);
        }

        /** Reads until the reply with {@code id} (JSON text frames of newline-separated replies). */
        JsonNode awaitReply(long id) throws Exception {
            for (int i = 0; i < 10_000; i++) {
                Frame f = read();
                if (f.opcode() == CLOSE) {
                    fail("closed with " + f.closeCode() + " while waiting for reply " + id);
                }
                if (f.opcode() != TEXT) {
                    continue;
                }
                for (String line : f.text().split("\n")) {
                    JsonNode node = Json.MAPPER.readTree(line);
                    if (node.path("id").asLong() == id) {
                        if (node.has("error")) {
                            fail("reply " + id + " is an error: " + node);
                        }
                        return node;
                    }
                }
            }
            throw new AssertionError("no reply " + id);
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }
}
