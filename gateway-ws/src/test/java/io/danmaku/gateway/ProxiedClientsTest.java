package io.danmaku.gateway;

import static io.danmaku.gateway.EdgeLimitsTest.UPGRADE;
import static io.danmaku.gateway.EdgeLimitsTest.connect;
import static io.danmaku.gateway.EdgeLimitsTest.readHead;
import static io.danmaku.gateway.EdgeLimitsTest.refused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmaku.gateway.pipeline.ProxyConfig;
import io.danmaku.gateway.tls.GatewayTlsConfig;
import io.danmaku.testkit.tls.TestCa;
import io.danmaku.gateway.pipeline.ProxyConfig.ForwardedHeader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-address cap behind proxies, over real sockets: the test plays the proxy (every connection comes from
 * 127.0.0.1) and names the clients in PROXY protocol headers (v1 text and v2 binary) or forwarding headers. The
 * cap must count the clients, not the proxy; a header from a peer that is not a trusted proxy must change nothing.
 */
class ProxiedClientsTest {
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private static GatewayConfig config(int perIp, ProxyConfig proxy) {
        return EdgeLimitsTest.config().maxConnectionsPerIp(perIp).proxy(proxy).build();
    }

    @Test
    void behindAProxyProtocolBalancerTheCapCountsEachClientNotTheBalancer() throws Exception {
        ProxyConfig proxy = new ProxyConfig(true, List.of(), ForwardedHeader.X_FORWARDED_FOR);
        try (GatewayHarness gw = new GatewayHarness(config(2, proxy), true)) {
            List<Socket> open = new ArrayList<>();
            try {
                // client 203.0.113.7 twice: v1 then v2
                open.add(upgraded(gw, v1("203.0.113.7")));
                open.add(upgraded(gw, v2("203.0.113.7")));
                // its third connection through the same balancer is refused
                try (Socket third = connect(gw)) {
                    third.getOutputStream().write(v1("203.0.113.7"));
                    String answer = sendUntilClosed(third, gw, "");
                    assertThat(answer).startsWith("HTTP/1.1 429");
                    assertThat(answer.toLowerCase(Locale.ROOT)).contains("connection: close");
                }
                assertThat(refused(gw, "per-ip")).isEqualTo(1);
                // other clients behind the same balancer (the same TCP peer, 127.0.0.1) are admitted
                open.add(upgraded(gw, v1("203.0.113.8")));
                open.add(upgraded(gw, v2("2001:db8::8")));
                open.add(upgraded(gw, v2("2001:db8::8")));
                // a LOCAL header (the balancer's health check) counts as the balancer itself
                open.add(upgraded(gw, v2Local()));
                // one of 203.0.113.7's connections closes: it may connect again
                open.remove(0).close();
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    try (Socket again = upgraded(gw, v1("203.0.113.7"))) {
                        assertThat(again.isClosed()).isFalse();
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
    void aConnectionWithoutAValidProxyHeaderIsClosedWithoutAnAnswer() throws Exception {
        ProxyConfig proxy = new ProxyConfig(true, List.of(), ForwardedHeader.X_FORWARDED_FOR);
        try (GatewayHarness gw = new GatewayHarness(config(0, proxy), true)) {
            byte[][] bad = {
                "PROXY TCP4 not-an-address 192.0.2.1 5000 8080\r\n".getBytes(StandardCharsets.US_ASCII),
                "PROXY SCTP 192.0.2.1 192.0.2.2 5000 8080\r\n".getBytes(StandardCharsets.US_ASCII),
                new byte[0], // no header at all: the HTTP request comes first
            };
            for (byte[] header : bad) {
                try (Socket s = connect(gw)) {
                    s.getOutputStream().write(header);
                    String answer = sendUntilClosed(s, gw, "");
                    assertThat(answer).as("answer to %s", new String(header, StandardCharsets.US_ASCII)).isEmpty();
                }
            }
            // counted on the event loop right after the close the client saw
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(refused(gw, "proxy-protocol")).isEqualTo(bad.length));
            try (Socket good = upgraded(gw, v1("192.0.2.1"))) {
                assertThat(good.isClosed()).isFalse();
            }
        }
    }

    @Test
    void withTrustedProxiesSetOnlyThoseMaySendAProxyHeader() throws Exception {
        ProxyConfig proxy = new ProxyConfig(true, List.of("10.0.0.0/8"), ForwardedHeader.X_FORWARDED_FOR);
        try (GatewayHarness gw = new GatewayHarness(config(0, proxy), true);
             Socket s = connect(gw)) {
            s.getOutputStream().write(v1("192.0.2.1")); // from 127.0.0.1, not a trusted proxy
            assertThat(sendUntilClosed(s, gw, "")).isEmpty();
            assertThat(refused(gw, "proxy-protocol")).isEqualTo(1);
        }
    }

    @Test
    void fromATrustedProxyTheRightMostUntrustedForwardedForAddressIsTheClient() throws Exception {
        ProxyConfig proxy = new ProxyConfig(false, List.of("127.0.0.0/8", "10.0.0.0/8"),
                ForwardedHeader.X_FORWARDED_FOR);
        try (GatewayHarness gw = new GatewayHarness(config(1, proxy), true)) {
            List<Socket> open = new ArrayList<>();
            try {
                open.add(upgraded(gw, "X-Forwarded-For: 198.51.100.1\r\n"));
                // the same client again, with a spoofed entry of its own on the left and a trusted hop on the right
                try (Socket again = connect(gw)) {
                    String answer = sendUntilClosed(again, gw, "X-Forwarded-For: 192.0.2.99, 198.51.100.1, 10.1.2.3\r\n");
                    assertThat(answer).startsWith("HTTP/1.1 429");
                }
                // other clients through the same proxy
                open.add(upgraded(gw, "X-Forwarded-For: 198.51.100.1, 198.51.100.2\r\n"));
                open.add(upgraded(gw, "X-Forwarded-For: [2001:db8::1]:4711\r\n"));
                // no header from the proxy: the proxy is the client
                open.add(upgraded(gw, ""));
                // RFC 7239's header is not the one configured: ignored, the proxy itself is counted (and is full)
                try (Socket other = connect(gw)) {
                    assertThat(sendUntilClosed(other, gw, "Forwarded: for=198.51.100.77\r\n")).startsWith("HTTP/1.1 429");
                }
                assertThat(refused(gw, "per-ip")).isEqualTo(2);
            } finally {
                for (Socket s : open) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aForwardedForHeaderFromAPeerThatIsNotATrustedProxyIsIgnored() throws Exception {
        ProxyConfig proxy = new ProxyConfig(false, List.of("10.0.0.0/8"), ForwardedHeader.X_FORWARDED_FOR);
        try (GatewayHarness gw = new GatewayHarness(config(1, proxy), true);
             Socket first = upgraded(gw, "X-Forwarded-For: 198.51.100.1\r\n")) {
            // a second "client" is the same peer, 127.0.0.1, whatever its header claims
            try (Socket spoofed = connect(gw)) {
                assertThat(sendUntilClosed(spoofed, gw, "X-Forwarded-For: 198.51.100.2\r\n"))
                        .startsWith("HTTP/1.1 429");
            }
            assertThat(refused(gw, "per-ip")).isEqualTo(1);
            assertThat(first.isClosed()).isFalse();
        }
    }

    @Test
    void rfc7239ForwardedAndAProxyProtocolSourceThatIsItselfATrustedProxy() throws Exception {
        // a CDN (192.0.2.0/24) in front of a PROXY-protocol balancer (127.0.0.1): the CDN's header names the client
        ProxyConfig proxy = new ProxyConfig(true, List.of("127.0.0.1", "192.0.2.0/24"), ForwardedHeader.FORWARDED);
        try (GatewayHarness gw = new GatewayHarness(config(1, proxy), true)) {
            List<Socket> open = new ArrayList<>();
            try {
                open.add(upgraded(gw, v1("192.0.2.10"), "Forwarded: for=\"[2001:db8:cafe::17]:4711\";proto=https\r\n"));
                open.add(upgraded(gw, v1("192.0.2.10"), "Forwarded: for=198.51.100.3, for=192.0.2.11\r\n"));
                try (Socket s = connect(gw)) {
                    s.getOutputStream().write(v1("192.0.2.12"));
                    assertThat(sendUntilClosed(s, gw, "Forwarded: for=198.51.100.3;by=192.0.2.12\r\n"))
                            .startsWith("HTTP/1.1 429");
                }
                // X-Forwarded-For is not the configured header: the CDN address is counted
                open.add(upgraded(gw, v1("192.0.2.20"), "X-Forwarded-For: 198.51.100.50\r\n"));
                try (Socket s = connect(gw)) {
                    s.getOutputStream().write(v1("192.0.2.20"));
                    assertThat(sendUntilClosed(s, gw, "X-Forwarded-For: 198.51.100.51\r\n")).startsWith("HTTP/1.1 429");
                }
                // a PROXY source that is not a trusted proxy is the client, whatever it forwards
                open.add(upgraded(gw, v1("203.0.113.5"), "Forwarded: for=198.51.100.60\r\n"));
                try (Socket s = connect(gw)) {
                    s.getOutputStream().write(v1("203.0.113.5"));
                    assertThat(sendUntilClosed(s, gw, "Forwarded: for=198.51.100.61\r\n")).startsWith("HTTP/1.1 429");
                }
                assertThat(refused(gw, "per-ip")).isEqualTo(3);
            } finally {
                for (Socket s : open) {
                    s.close();
                }
            }
        }
    }

    @Test
    void withTlsTheProxyHeaderComesFirstInClearAndAClientOverItsCapIsClosed(@TempDir Path dir) throws Exception {
        TestCa ca = TestCa.create("proxy-tls-ca");
        TestCa.PemFiles files = ca.issueServer("gateway").writeTo(dir, "gateway");
        ProxyConfig proxy = new ProxyConfig(true, List.of(), ForwardedHeader.X_FORWARDED_FOR);
        try (GatewayHarness gw = new GatewayHarness(EdgeLimitsTest.config().maxConnectionsPerIp(1).proxy(proxy)
                .tls(new GatewayTlsConfig(files.certFile(), files.keyFile(), Duration.ZERO)).build(), true)) {
            SSLContext trust = ca.trust().context();
            try (Socket first = tlsAfterHeader(gw, trust, v1("198.51.100.1"))) {
                assertThat(upgradeOver(first, gw)).startsWith("HTTP/1.1 101");
                // the same client again: closed without a handshake (no plaintext answer on a TLS port)
                try (Socket raw = connect(gw)) {
                    raw.getOutputStream().write(v1("198.51.100.1"));
                    raw.getOutputStream().flush();
                    assertThat(raw.getInputStream().read()).as("end of stream").isEqualTo(-1);
                }
                // another client behind the same proxy
                try (Socket other = tlsAfterHeader(gw, trust, v2("198.51.100.2"))) {
                    assertThat(upgradeOver(other, gw)).startsWith("HTTP/1.1 101");
                }
            }
            assertThat(refused(gw, "per-ip")).isEqualTo(1);
        }
    }

    // ---- helpers

    /** A TCP connection that sends the PROXY header in clear, then speaks TLS over the same socket. */
    private static Socket tlsAfterHeader(GatewayHarness gw, SSLContext trust, byte[] header) throws IOException {
        Socket tcp = connect(gw);
        tcp.getOutputStream().write(header);
        tcp.getOutputStream().flush();
        SSLSocket tls = (SSLSocket) trust.getSocketFactory().createSocket(tcp, "127.0.0.1", gw.port(), true);
        tls.setSoTimeout(10_000);
        tls.startHandshake();
        return tls;
    }

    private static String upgradeOver(Socket s, GatewayHarness gw) throws IOException {
        s.getOutputStream().write(String.format(UPGRADE, gw.port(), "").getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return readHead(s.getInputStream());
    }

    private static Socket upgraded(GatewayHarness gw, byte[] proxyHeader) throws IOException {
        return upgraded(gw, proxyHeader, "");
    }

    private static Socket upgraded(GatewayHarness gw, String headers) throws IOException {
        return upgraded(gw, new byte[0], headers);
    }

    /** A connection with the PROXY header then an upgrade request with {@code headers}, upgraded (asserted). */
    private static Socket upgraded(GatewayHarness gw, byte[] proxyHeader, String headers) throws IOException {
        Socket s = connect(gw);
        s.getOutputStream().write(proxyHeader);
        s.getOutputStream().write(String.format(UPGRADE, gw.port(), headers).getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        String head = readHead(s.getInputStream());
        if (!head.startsWith("HTTP/1.1 101")) {
            s.close();
        }
        assertThat(head).as("answer to %s%s", new String(proxyHeader, StandardCharsets.ISO_8859_1), headers)
                .startsWith("HTTP/1.1 101");
        return s;
    }

    /** Sends an upgrade request with {@code headers} and reads everything until the server closes. */
    private static String sendUntilClosed(Socket s, GatewayHarness gw, String headers) throws IOException {
        try {
            s.getOutputStream().write(String.format(UPGRADE, gw.port(), headers).getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
        } catch (IOException e) {
            return ""; // closed already
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        try {
            s.getInputStream().transferTo(all); // only at end of stream: a connection left open would time out
        } catch (IOException e) {
            // reset after a close without an answer
        }
        return all.toString(StandardCharsets.UTF_8);
    }

    private static byte[] v1(String source) {
        return ("PROXY TCP4 " + source + " 127.0.0.1 40000 8080\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] v2(String source) throws IOException {
        byte[] src = java.net.InetAddress.getByName(source).getAddress();
        boolean v6 = src.length == 16;
        ByteBuffer b = ByteBuffer.allocate(16 + (v6 ? 36 : 12));
        b.put(V2_SIGNATURE).put((byte) 0x21).put((byte) (v6 ? 0x21 : 0x11)).putShort((short) (v6 ? 36 : 12));
        b.put(src).put(new byte[src.length]).putShort((short) 40000).putShort((short) 8080);
        return b.array();
    }

    private static byte[] v2Local() {
        ByteBuffer b = ByteBuffer.allocate(16);
        b.put(V2_SIGNATURE).put((byte) 0x20).put((byte) 0x00).putShort((short) 0);
        return b.array();
    }
}
