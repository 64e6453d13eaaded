package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.testkit.ws.CentrifugeTestClient;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SlowConsumerAndDrainTest {

    /** A WebSocket client that subscribes and then never reads: its receive window fills up. */
    static Socket stalledSubscriber(int port, String room) throws Exception {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", port));
        OutputStream out = s.getOutputStream();
        out.write(("GET /connection/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        int matched = 0;
        while (matched < 4) { // read the 101 response headers only
            int b = in.read();
            matched = (b == '\r' || b == '\n') ? matched + 1 : 0;
        }
        writeMaskedText(out, "{\"id\":1,\"connect\":{}}");
        writeMaskedText(out, "{\"id\":2,\"subscribe\":{\"channel\":\"" + room + "\"}}");
        return s;
    }

    static void writeMaskedText(OutputStream out, String text) throws Exception {
        byte[] p = text.getBytes(StandardCharsets.UTF_8);
        out.write(0x81);
        out.write(0x80 | p.length); // short frames only; mask key 0 leaves the payload as is
        out.write(new byte[4]);
        out.write(p);
        out.flush();
    }

    @Test
    void aStalledClientSkipsBatchesAndIsClosedWhileOthersGetEverything() throws Exception {
        GatewayConfig config = GatewayConfig.builder()
                .batchWindow(Duration.ZERO)
                // roomy enough that a reading client never falls behind it even on a loaded machine; the
                // stalled one still fills it (and its kernel buffers) within a few megabytes
                .writeBufferLowBytes(512 * 1024)
                .writeBufferHighBytes(1024 * 1024)
                .slowClientTimeout(Duration.ofMillis(300))
                .build();
        try (GatewayHarness gw = new GatewayHarness(config, true);
             var fast = CentrifugeTestClient.connect(gw.port(), null);
             Socket stalled = stalledSubscriber(gw.port(), "slow-room")) {
            fast.subscribe("slow-room");
            org.awaitility.Awaitility.await().until(() -> gw.server.rooms().localCount("slow-room") == 2);
            String filler = "x".repeat(1000);
            int published = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (slowDisconnects(gw) == 0 && published < 50_000 && System.nanoTime() < deadline) {
                for (int i = 0; i < 50; i++) {
                    gw.publish("slow-room", filler + published++);
                }
                Thread.sleep(10);
            }
            assertThat(slowDisconnects(gw)).as("stalled client closed as slow").isEqualTo(1.0);
            assertThat(gw.meters.counter("danmaku.gateway.drops", "reason", "unwritable").count()).isPositive();
            assertThat(fast.awaitPublications("slow-room", published, Duration.ofSeconds(30))).hasSize(published);
            assertThat(fast.socket().isClosed()).isFalse();
        }
    }

    static double slowDisconnects(GatewayHarness gw) {
        var c = gw.meters.find("danmaku.gateway.disconnects").tag("code", "3008").counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void drainClosesEveryConnectionWith1001AndStopsAccepting() throws Exception {
        try (GatewayHarness gw = new GatewayHarness()) {
            var a = CentrifugeTestClient.connect(gw.port(), null);
            var b = CentrifugeTestClient.connect(gw.port(), null);
            int port = gw.port();
            gw.server.drain(Duration.ofMillis(300));
            assertThat(a.socket().awaitClose().code()).isEqualTo(1001);
            assertThat(b.socket().awaitClose().code()).isEqualTo(1001);
            assertThatThrownBy(() -> CentrifugeTestClient.open(port)).isInstanceOf(Exception.class);
        }
    }
}
