package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * What a client sees of the gateway's defences before the WebSocket upgrade: the handshake deadline (slowloris,
 * idle sockets), the connection caps and the accept rate (HTTP 429/503 with {@code Connection: close}, then the
 * socket closed), the Origin check (HTTP 403), each counted in {@code danmaku.gateway.refused{reason}}.
 */
class EdgeLimitsTest {
    static final String UPGRADE = "GET /connection/websocket HTTP/1.1\r\n"
            + "Host: 127.0.0.1:%d\r\n"
            + "Upgrade: websocket\r\n"
            + "Connection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            + "Sec-WebSocket-Version: 13\r\n"
            + "%s\r\n";

    static GatewayConfig.Builder config() {
        return GatewayConfig.builder().batchWindow(Duration.ofMillis(20));
    }

    @Test
    void aRequestTrickledOneBytePerSecondIsCutAtTheHandshakeTimeout() throws Exception {
        try (GatewayHarness gw = new GatewayHarness(config().handshakeTimeout(Duration.ofSeconds(2)).build(), true);
             Socket socket = connect(gw)) {
            byte[] request = String.format(UPGRADE, gw.port(), "").getBytes(StandardCharsets.US_ASCII);
            socket.setSoTimeout(1000); // the wait between two bytes
            int sent = 0;
            boolean cut = false;
            while (!cut && sent < request.length) {
                try {
                    socket.getOutputStream().write(request[sent]);
                    socket.getOutputStream().flush();
                    sent++;
                    cut = socket.getInputStream().read() == -1;
                } catch (SocketTimeoutException e) {
                    // nothing from the server this second: send the next byte
                } catch (IOException e) {
                    cut = true; // reset: the server closed while we were writing
                }
            }

            assertThat(cut).as("connection closed by the server").isTrue();
            assertThat(sent).as("bytes sent before the cut").isLessThan(request.length);
            assertThat(refused(gw, "handshake-timeout")).isEqualTo(1);
        }
    }

    @Test
    void aConnectionThatNeverSendsARequestIsClosed() throws Exception {
        try (GatewayHarness gw = new GatewayHarness(config().handshakeTimeout(Duration.ofMillis(300)).build(), true);
             Socket socket = connect(gw)) {
            socket.setSoTimeout(30_000);
            assertThat(socket.getInputStream().read()).as("end of stream, no answer").isEqualTo(-1);
            assertThat(refused(gw, "handshake-timeout")).isEqualTo(1);
        }
    }

    @Test
    void aKeptAliveHttpConnectionGetsItsAnswersThenTheDeadlineAgain() throws Exception {
        try (GatewayHarness gw = new GatewayHarness(config().handshakeTimeout(Duration.ofMillis(500)).build(), true);
             Socket socket = connect(gw)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("GET /nothing-here HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String head = readHead(socket.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 404");

            // the answer is complete; the idle kept-alive connection is then closed by the deadline
            byte[] rest = socket.getInputStream().readAllBytes();
            assertThat(new String(rest, StandardCharsets.UTF_8)).startsWith("not found");
            assertThat(refused(gw, "handshake-timeout")).isEqualTo(1);
        }
    }

    @Test
    void anUpgradedConnectionIsNotCutByTheHandshakeDeadline() throws Exception {
        try (GatewayHarness gw = new GatewayHarness(config().handshakeTimeout(Duration.ofMillis(200))
                .connectTimeout(Duration.ofSeconds(60)).build(), true);
             Socket socket = connect(gw)) {
            assertThat(handshake(socket, gw, null)).startsWith("HTTP/1.1 101");
            socket.setSoTimeout(1000);
            // several deadlines pass: the socket stays open (only the connect timeout, 60 s, could close it)
            for (int i = 0; i < 3; i++) {
                try {
                    int b = socket.getInputStream().read();
                    assertThat(b).as("nothing from the server, no close").isNotEqualTo(-1);
                } catch (SocketTimeoutException expected) {
                    // still open
                }
            }
            assertThat(refused(gw, "handshake-timeout")).isZero();
        }
    }

    @Test
    void theConnectionOverThePerAddressCapGets429AndIsClosed() throws Exception {
        try (GatewayHarness gw = new GatewayHarness(config().maxConnectionsPerIp(2).build(), true)) {
            List<Socket> open = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    Socket s = connect(gw);
                    open.add(s);
                    assertThat(handshake(s, gw, null)).startsWith("HTTP/1.1 101");
                }
                try (Socket third = connect(gw)) {
                    String answer = refusedAnswer(third, gw);
                    assertThat(answer).startsWith("HTTP/1.1 429");
                    assertThat(answer.toLowerCase(Locale.ROOT)).contains("connection: close");
                }
                assertThat(refused(gw, "per-ip")).isEqualTo(1);

                // one leaves: the address may connect again
                open.remove(0).close();
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    try (Socket again = connect(gw)) {
                        assertThat(handshake(again, gw, null)).startsWith("HTTP/1.1 101");
                    }
                });
            } finally {
                for (Socket s : open) {
                    s.close();
                }
            }
        }
    }

    @Test
    void theConnectionOverTheGatewayCapGets503() throws Exception {
        try (GatewayHarness gw = new GatewayHarness(config().maxConnections(1).build(), true);
             Socket first = connect(gw)) {
            assertThat(handshake(first, gw, null)).startsWith("HTTP/1.1 101");
            try (Socket second = connect(gw)) {
                String answer = refusedAnswer(second, gw);
                assertThat(answer).startsWith("HTTP/1.1 503");
                assertThat(answer.toLowerCase(Locale.ROOT)).contains("connection: close").contains("retry-after");
            }
            assertThat(refused(gw, "max")).isEqualTo(1);
        }
    }

    @Test
    void connectionsBeyondTheAcceptBurstGet503() throws Exception {
        // a burst of 2 and 1 per second: 10 connections in a row need 8 s of refill to all pass
        try (GatewayHarness gw = new GatewayHarness(config().acceptRatePerSecond(1).acceptBurst(2).build(), true)) {
            int refusedSeen = 0;
            for (int i = 0; i < 10; i++) {
                try (Socket s = connect(gw)) {
                    String answer = handshake(s, gw, null);
                    if (answer.startsWith("HTTP/1.1 503")) {
                        refusedSeen++;
                    } else {
                        assertThat(answer).startsWith("HTTP/1.1 101");
                    }
                }
            }
            assertThat(refusedSeen).isPositive();
            assertThat(refused(gw, "rate")).isEqualTo(refusedSeen);
        }
    }

    @Test
    void aForeignOriginGets403AndTheSameHostOrAListedOriginOrNoneIsUpgraded() throws Exception {
        try (GatewayHarness gw = new GatewayHarness(config()
                .allowedOrigins(List.of("https://app.example.com")).build(), true)) {
            try (Socket s = connect(gw)) {
                String answer = handshake(s, gw, "https://evil.example");
                assertThat(answer).startsWith("HTTP/1.1 403");
                assertThat(answer.toLowerCase(Locale.ROOT)).contains("connection: close");
                s.setSoTimeout(10_000);
                s.getInputStream().readAllBytes(); // returns only at end of stream: the socket was closed
            }
            for (String origin : new String[] {"http://127.0.0.1:" + gw.port(), "http://127.0.0.1:5173",
                    "https://APP.example.com/", null}) {
                try (Socket s = connect(gw)) {
                    assertThat(handshake(s, gw, origin)).as("origin %s", origin).startsWith("HTTP/1.1 101");
                }
            }
            assertThat(refused(gw, "origin")).isEqualTo(1);
        }
    }

    // ---- helpers

    static Socket connect(GatewayHarness gw) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), gw.port());
        s.setSoTimeout(10_000);
        return s;
    }

    /** Sends an upgrade request (with {@code Origin} when not null) and returns the answer's head. */
    static String handshake(Socket s, GatewayHarness gw, String origin) throws IOException {
        String request = String.format(UPGRADE, gw.port(), origin == null ? "" : "Origin: " + origin + "\r\n");
        s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return readHead(s.getInputStream());
    }

    /** Sends an upgrade request and reads everything until the server closes. */
    static String refusedAnswer(Socket s, GatewayHarness gw) throws IOException {
        s.getOutputStream().write(String.format(UPGRADE, gw.port(), "").getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        s.getInputStream().transferTo(all); // only at end of stream: a connection left open would time out
        return all.toString(StandardCharsets.UTF_8);
    }

    static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        for (int b; !head.toString().endsWith("\r\n\r\n") && (b = in.read()) != -1; ) {
            head.append((char) b);
        }
        return head.toString();
    }

    static long refused(GatewayHarness gw, String reason) {
        var counter = gw.meters.find("danmaku.gateway.refused").tag("reason", reason).counter();
        return counter == null ? 0 : (long) counter.count();
    }
}
