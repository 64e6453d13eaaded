package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.gateway.protocol.bilibili.BilibiliClientCodec;
import io.danmaku.gateway.protocol.bilibili.BilibiliClientCodec.Packet;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.store.DisconnectRequest;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import io.danmaku.testkit.ws.TestTokens;
import io.danmaku.testkit.ws.TestWebSocket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Disconnect requests from the hot store's feed and the token expiry policy, through real WebSocket clients of
 * both protocols over loopback.
 */
class DisconnectEndToEndTest {

    static String token(String user) {
        return TestTokens.hs256(GatewayHarness.SECRET, user, "Name " + user);
    }

    static TestWebSocket bilibili(GatewayHarness gw, String token) {
        TestWebSocket ws = TestWebSocket.connect(URI.create("ws://127.0.0.1:" + gw.port() + "/sub"));
        ws.sendBinary(BilibiliClientCodec.auth("{\"roomid\":555321,\"protover\":2,\"key\":\"" + token + "\"}"));
        Packet reply = await().atMost(TestWebSocket.DEFAULT_WAIT).until(() -> ws.binaryFrames().stream()
                .flatMap(f -> BilibiliClientCodec.decode(f).stream()).filter(p -> p.op() == 8).findFirst()
                .orElse(null), p -> p != null);
        assertThat(reply.json().path("code").asInt()).isZero();
        return ws;
    }

    @Test
    void aDisconnectRequestClosesEveryConnectionOfTheUserOnBothProtocolsAndNoOtherUser() throws Exception {
        try (GatewayHarness gw = new GatewayHarness();
             var web1 = CentrifugeTestClient.connect(gw.port(), token("alice"));
             var web2 = CentrifugeTestClient.connect(gw.port(), token("alice"));
             var live = bilibili(gw, token("alice"));
             var bob = CentrifugeTestClient.connect(gw.port(), token("bob"))) {
            await().atMost(TestWebSocket.DEFAULT_WAIT)
                    .until(() -> gw.server.users().connectionCount("alice") == 3);

            gw.store.publishControl(DisconnectRequest.user("alice")).join();

            assertThat(web1.socket().awaitClose()).isEqualTo(new TestWebSocket.Close(3503, "force disconnect"));
            assertThat(web2.socket().awaitClose().code()).isEqualTo(3503);
            assertThat(live.awaitClose().code()).isEqualTo(4003);
            await().atMost(TestWebSocket.DEFAULT_WAIT)
                    .until(() -> gw.server.users().connectionCount("alice") == 0);
            assertThat(bob.subscribe("room-d").has("subscribe")).isTrue();
            assertThat(bob.socket().isClosed()).isFalse();
            assertThat(gw.server.users().connectionCount("bob")).isEqualTo(1);
        }
    }

    @Test
    void aClientIdPicksOneConnection() throws Exception {
        try (GatewayHarness gw = new GatewayHarness();
             var first = CentrifugeTestClient.open(gw.port());
             var second = CentrifugeTestClient.connect(gw.port(), token("carol"))) {
            JsonNode reply = first.command("connect", Json.MAPPER.createObjectNode().put("token", token("carol")));
            String client = reply.path("connect").path("client").asText();

            gw.store.publishControl(new DisconnectRequest("carol", client)).join();

            assertThat(first.socket().awaitClose().code()).isEqualTo(3503);
            // the other connection of the same user answers as before
            assertThat(second.subscribe("room-d").has("subscribe")).isTrue();
            assertThat(second.socket().isClosed()).isFalse();
        }
    }

    @Test
    void withExpiryCloseAConnectionClosesOnceItsTokenExpired() throws Exception {
        GatewayConfig config = GatewayConfig.builder().pingInterval(Duration.ofMillis(200))
                .closeOnTokenExpiry(true).build();
        try (GatewayHarness gw = new GatewayHarness(config, true)) {
            Instant exp = Instant.now().plusSeconds(2);
            String shortLived = TestTokens.hs256(GatewayHarness.SECRET, "dan", "Dan", exp, null);
            try (var web = CentrifugeTestClient.connect(gw.port(), shortLived);
                 var live = bilibili(gw, shortLived);
                 var lasting = CentrifugeTestClient.connect(gw.port(), token("erin"))) {
                assertThat(web.socket().awaitClose(Duration.ofSeconds(20)))
                        .isEqualTo(new TestWebSocket.Close(3005, "connection expired"));
                assertThat(live.awaitClose(Duration.ofSeconds(20)).code()).isEqualTo(4004);
                assertThat(lasting.subscribe("room-d").has("subscribe")).isTrue();
            }
        }
    }

    @Test
    void withExpiryIgnoredAnExpiredTokensConnectionStaysOpen() throws Exception {
        GatewayConfig config = GatewayConfig.builder().pingInterval(Duration.ofMillis(200)).build();
        try (GatewayHarness gw = new GatewayHarness(config, true)) {
            Instant exp = Instant.now().plusSeconds(1);
            String shortLived = TestTokens.hs256(GatewayHarness.SECRET, "fay", "Fay", exp, null);
            try (var web = CentrifugeTestClient.connect(gw.port(), shortLived)) {
                // well past the expiry, ticks (pings) have come and gone, and the connection still answers
                await().atMost(Duration.ofSeconds(20)).until(() -> Instant.now().isAfter(exp.plusSeconds(1)));
                assertThat(web.subscribe("room-d").has("subscribe")).isTrue();
                assertThat(web.socket().isClosed()).isFalse();
            }
        }
    }
}
