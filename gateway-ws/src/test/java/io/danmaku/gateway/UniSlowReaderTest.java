package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.testkit.ws.CentrifugeTestClient;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** A uni_http_stream reader that stops reading is dropped as a slow WebSocket member is; others get everything. */
class UniSlowReaderTest {

    /** Sends the connect request of a uni_http_stream reader for {@code room} and never reads the answer. */
    static Socket stalledReader(int port, String room) throws Exception {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", port));
        byte[] body = ("{\"subs\":{\"" + room + "\":{}}}").getBytes(StandardCharsets.UTF_8);
        OutputStream out = s.getOutputStream();
        out.write(("POST /connection/uni_http_stream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        return s;
    }

    @Test
    void aStalledReaderSkipsBatchesAndIsClosedWhileAWebSocketMemberGetsEverything() throws Exception {
        GatewayConfig config = GatewayConfig.builder()
                .batchWindow(Duration.ZERO)
                .writeBufferLowBytes(512 * 1024)
                .writeBufferHighBytes(1024 * 1024)
                .slowClientTimeout(Duration.ofMillis(300))
                .build();
        try (GatewayHarness gw = new GatewayHarness(config, true);
             var fast = CentrifugeTestClient.connect(gw.port(), null);
             Socket stalled = stalledReader(gw.port(), "uni-slow-room")) {
            fast.subscribe("uni-slow-room");
            Awaitility.await().until(() -> gw.server.rooms().localCount("uni-slow-room") == 2);
            String filler = "x".repeat(1000);
            int published = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (slowDisconnects(gw) == 0 && published < 50_000 && System.nanoTime() < deadline) {
                for (int i = 0; i < 50; i++) {
                    gw.publish("uni-slow-room", filler + published++);
                }
                Thread.sleep(10);
            }
            assertThat(slowDisconnects(gw)).as("stalled reader closed as slow").isEqualTo(1.0);
            assertThat(gw.meters.counter("danmaku.gateway.drops", "reason", "unwritable").count()).isPositive();
            assertThat(fast.awaitPublications("uni-slow-room", published, Duration.ofSeconds(30))).hasSize(published);
            Awaitility.await().until(() -> gw.server.rooms().localCount("uni-slow-room") == 1);
        }
    }

    static double slowDisconnects(GatewayHarness gw) {
        var c = gw.meters.find("danmaku.gateway.disconnects").tag("protocol", "uni_http_stream").tag("code", "3008")
                .counter();
        return c == null ? 0 : c.count();
    }
}
