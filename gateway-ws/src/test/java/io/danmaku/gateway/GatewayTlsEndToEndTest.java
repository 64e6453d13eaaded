package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.danmaku.gateway.protocol.bilibili.BilibiliClientCodec;
import io.danmaku.gateway.protocol.bilibili.BilibiliClientCodec.Packet;
import io.danmaku.gateway.tls.GatewayTlsConfig;
import io.danmaku.testkit.tls.TestCa;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import io.danmaku.testkit.ws.TestTokens;
import io.danmaku.testkit.ws.TestWebSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway with TLS on its port, through real clients that trust a test certificate authority: both wire
 * protocols over {@code wss://}, and certificate rotation under live connections.
 */
class GatewayTlsEndToEndTest {
    @TempDir
    Path dir;
    TestCa ca;
    TestCa.Issued first;
    TestCa.PemFiles files;
    GatewayHarness gw;

    @BeforeEach
    void start() throws Exception {
        ca = TestCa.create("danmaku-test-ca");
        first = ca.issueServer("gateway-1");
        files = first.writeTo(dir, "gateway");
        gw = new GatewayHarness(GatewayConfig.builder()
                .batchWindow(Duration.ofMillis(20))
                .tls(new GatewayTlsConfig(files.certFile(), files.keyFile(), Duration.ofMillis(100)))
                .build(), true);
    }

    @AfterEach
    void stop() {
        gw.close();
    }

    URI centrifuge() {
        return URI.create("wss://127.0.0.1:" + gw.port() + "/connection/websocket");
    }

    static String token(String user) {
        return TestTokens.hs256(GatewayHarness.SECRET, user, "Name " + user);
    }

    @Test
    void aCentrifugoClientConnectsSubscribesAndReceivesOverWss() {
        TestCa.RecordingTrust trust = ca.trust();
        try (var alice = CentrifugeTestClient.connect(centrifuge(), trust.context(), token("alice"))) {
            assertThat(alice.subscribe("tls-room").has("subscribe")).isTrue();
            assertThat(alice.publish("tls-room", "over tls").has("publish")).isTrue();
            gw.publish("tls-room", "from the bus");
            assertThat(alice.awaitPublications("tls-room", 2)).extracting(p -> p.path("data").path("text").asText())
                    .containsExactly("over tls", "from the bus");
        }
        assertThat(trust.last().getSerialNumber()).isEqualTo(first.serial());
    }

    @Test
    void aBilibiliClientAuthenticatesAndReceivesOverWss() {
        try (TestWebSocket ws = TestWebSocket.connect(URI.create("wss://127.0.0.1:" + gw.port() + "/sub"),
                ca.trust().context())) {
            ws.sendBinary(BilibiliClientCodec.auth("{\"roomid\":424242,\"protover\":1}"));
            await().atMost(Duration.ofSeconds(10)).until(() -> packets(ws).stream().anyMatch(p -> p.op() == 8));
            assertThat(packets(ws).stream().filter(p -> p.op() == 8).findFirst().orElseThrow().json()
                    .path("code").asInt()).isZero();
            gw.publish("424242", "bilibili over tls");
            await().atMost(Duration.ofSeconds(10)).until(() -> packets(ws).stream()
                    .anyMatch(p -> p.op() == 5 && new String(p.body(), java.nio.charset.StandardCharsets.UTF_8)
                            .contains("bilibili over tls")));
        }
    }

    @Test
    void plainWebSocketIsNotServedOnTheTlsPort() {
        assertThatThrownBy(() -> TestWebSocket.connect(
                URI.create("ws://127.0.0.1:" + gw.port() + "/connection/websocket")).close())
                .isInstanceOf(Exception.class);
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateCannotConnect() {
        TestCa other = TestCa.create("another-ca");
        assertThatThrownBy(() -> TestWebSocket.connect(centrifuge(), other.trust().context()).close())
                .isInstanceOf(Exception.class);
    }

    @Test
    void aRotatedCertificateServesNewConnectionsWhileLiveOnesKeepWorking() throws Exception {
        TestCa.RecordingTrust trust = ca.trust();
        TestCa.Issued second = ca.issueServer("gateway-2");
        try (var before = CentrifugeTestClient.connect(centrifuge(), trust.context(), token("before"))) {
            before.subscribe("rotation");
            assertThat(trust.last().getSerialNumber()).isEqualTo(first.serial());

            // a rotation caught half-way (the certificate replaced, its key not yet) is refused: the old pair stays
            Files.move(second.writeTo(dir, "aside").certFile(), files.certFile(),
                    StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            await().atMost(Duration.ofSeconds(10)).until(() -> reloads("failed") == 1.0);
            // each new client has a context of its own: no TLS session to resume, a full handshake
            TestCa.RecordingTrust duringTrust = ca.trust();
            try (var during = CentrifugeTestClient.connect(centrifuge(), duringTrust.context(), token("during"))) {
                assertThat(duringTrust.last().getSerialNumber()).isEqualTo(first.serial());
            }

            second.writeFiles(files.certFile(), files.keyFile());
            await().atMost(Duration.ofSeconds(10)).until(() -> reloads("ok") == 1.0);
            TestCa.RecordingTrust afterTrust = ca.trust();
            try (var after = CentrifugeTestClient.connect(centrifuge(), afterTrust.context(), token("after"))) {
                assertThat(afterTrust.last().getSerialNumber()).isEqualTo(second.serial());
                after.subscribe("rotation");

                gw.publish("rotation", "to both");
                assertThat(texts(before.awaitPublications("rotation", 1))).containsExactly("to both");
                assertThat(texts(after.awaitPublications("rotation", 1))).containsExactly("to both");
                // the connection made before the rotation still posts, and was never closed
                assertThat(before.publish("rotation", "still here").has("publish")).isTrue();
                assertThat(texts(after.awaitPublications("rotation", 2))).containsExactly("to both", "still here");
                assertThat(before.socket().isClosed()).isFalse();
            }
        }
        assertThat(trust.seen()).extracting(c -> c.getSerialNumber()).containsExactly(first.serial());
    }

    private double reloads(String result) {
        var counter = gw.meters.find("danmaku.gateway.tls.reloads").tag("result", result).counter();
        return counter == null ? 0 : counter.count();
    }

    private static List<String> texts(List<com.fasterxml.jackson.databind.JsonNode> pubs) {
        List<String> out = new ArrayList<>();
        pubs.forEach(p -> out.add(p.path("data").path("text").asText()));
        return out;
    }

    private static List<Packet> packets(TestWebSocket ws) {
        List<Packet> out = new ArrayList<>();
        for (byte[] frame : ws.binaryFrames()) {
            out.addAll(BilibiliClientCodec.split(frame));
        }
        return out;
    }
}
