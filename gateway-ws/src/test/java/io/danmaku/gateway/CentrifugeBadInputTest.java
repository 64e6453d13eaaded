package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.json.Json;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import io.danmaku.testkit.ws.TestTokens;
import io.danmaku.testkit.ws.TestWebSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every kind of bad input gets a clear error reply or close code, and the server keeps working for everybody
 * else: after each case a well-behaved client still posts and receives.
 */
class CentrifugeBadInputTest {
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        gw = new GatewayHarness(GatewayConfig.builder()
                .maxFramePayloadBytes(8192)
                .connectTimeout(Duration.ofMillis(300))
                .build(), true);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @AfterEach
    void othersStillServed() {
        try (var c = CentrifugeTestClient.connect(gw.port(), token("witness"))) {
            c.subscribe("witness-room");
            assertThat(c.publish("witness-room", "still fine").has("publish")).isTrue();
            assertThat(c.awaitPublications("witness-room", 1)).isNotEmpty();
        }
    }

    static String token(String user) {
        return TestTokens.hs256(GatewayHarness.SECRET, user, user);
    }

    static TestWebSocket raw() {
        return CentrifugeTestClient.open(gw.port()).socket();
    }

    @Test
    void malformedJsonClosesWith3501() {
        TestWebSocket ws = raw();
        ws.send("{\"id\":1,\"connect\":{}");
        assertThat(ws.awaitClose().code()).isEqualTo(3501);
        assertThat(ws.awaitClose().reason()).contains("malformed JSON");
    }

    @Test
    void aCommandThatIsNotAnObjectClosesWith3501() {
        TestWebSocket ws = raw();
        ws.send("[1,2,3]");
        assertThat(ws.awaitClose().code()).isEqualTo(3501);
    }

    @Test
    void aNonIntegerIdClosesWith3501() {
        TestWebSocket ws = raw();
        ws.send("{\"id\":\"one\",\"connect\":{}}");
        assertThat(ws.awaitClose().code()).isEqualTo(3501);
    }

    @Test
    void commandsBeforeConnectCloseWith3501() {
        TestWebSocket ws = raw();
        ws.send("{\"id\":1,\"subscribe\":{\"channel\":\"a\"}}");
        assertThat(ws.awaitClose().code()).isEqualTo(3501);
        assertThat(ws.awaitClose().reason()).contains("connect first");
    }

    @Test
    void aSecondConnectClosesWith3501() {
        try (var c = CentrifugeTestClient.connect(gw.port(), null)) {
            c.socket().send("{\"id\":9,\"connect\":{}}");
            assertThat(c.socket().awaitClose().code()).isEqualTo(3501);
        }
    }

    @Test
    void unknownCommandIsError104AndTheConnectionStays() {
        try (var c = CentrifugeTestClient.connect(gw.port(), null)) {
            JsonNode r = c.command("teleport", Json.MAPPER.createObjectNode());
            assertThat(r.path("error").path("code").asInt()).isEqualTo(104);
            assertThat(r.path("error").path("message").asText()).contains("teleport");
            assertThat(c.subscribe("after-unknown").has("subscribe")).isTrue();
        }
    }

    @Test
    void unknownFieldsAreIgnored() {
        try (var c = CentrifugeTestClient.open(gw.port())) {
            c.socket().send("{\"id\":1,\"connect\":{\"name\":\"js\",\"version\":\"5\",\"flag\":3,\"headers\":{}},\"extra\":1}");
            assertThat(c.socket().await(n -> n.path("id").asInt() == 1).has("connect")).isTrue();
            c.socket().send("{\"id\":2,\"subscribe\":{\"channel\":\"unk\",\"flag\":1,\"positioned\":true,\"join_leave\":false}}");
            assertThat(c.socket().await(n -> n.path("id").asInt() == 2).has("subscribe")).isTrue();
        }
    }

    @Test
    void oversizeFrameClosesWith1009() {
        try (var c = CentrifugeTestClient.connect(gw.port(), null)) {
            c.socket().send("{\"id\":5,\"publish\":{\"channel\":\"big\",\"data\":{\"text\":\"" + "x".repeat(9000) + "\"}}}");
            assertThat(c.socket().awaitClose().code()).isEqualTo(1009);
        }
    }

    @Test
    void binaryFrameClosesWith1003() {
        try (var c = CentrifugeTestClient.connect(gw.port(), null)) {
            c.socket().sendBinary(new byte[] {1, 2, 3});
            assertThat(c.socket().awaitClose().code()).isEqualTo(1003);
        }
    }

    @Test
    void badTokenSignatureClosesWith3500() {
        TestWebSocket ws = raw();
        String forged = TestTokens.hs256("another-secret-another-secret-another", "mallory", "m");
        ws.send("{\"id\":1,\"connect\":{\"token\":\"" + forged + "\"}}");
        assertThat(ws.awaitClose().code()).isEqualTo(3500);
    }

    @Test
    void garbageTokenClosesWith3500() {
        TestWebSocket ws = raw();
        ws.send("{\"id\":1,\"connect\":{\"token\":\"not.a.jwt\"}}");
        assertThat(ws.awaitClose().code()).isEqualTo(3500);
    }

    @Test
    void tokenWithoutSubClosesWith3500() {
        TestWebSocket ws = raw();
        String noSub = TestTokens.hs256(GatewayHarness.SECRET, null, "x", Instant.now().plusSeconds(60), null);
        ws.send("{\"id\":1,\"connect\":{\"token\":\"" + noSub + "\"}}");
        assertThat(ws.awaitClose().code()).isEqualTo(3500);
    }

    @Test
    void expiredTokenIsError109() {
        TestWebSocket ws = raw();
        String expired = TestTokens.hs256(GatewayHarness.SECRET, "late", "late", Instant.now().minusSeconds(5), null);
        ws.send("{\"id\":1,\"connect\":{\"token\":\"" + expired + "\"}}");
        JsonNode r = ws.await(n -> n.path("id").asInt() == 1);
        assertThat(r.path("error").path("code").asInt()).isEqualTo(109);
        assertThat(r.path("error").path("temporary").asBoolean()).isTrue();
        ws.close();
    }

    @Test
    void missingTokenWhenAnonymousIsDisabledClosesWith3500() throws Exception {
        try (var closed = new GatewayHarness(GatewayConfig.defaults(), false)) {
            TestWebSocket ws = CentrifugeTestClient.open(closed.port()).socket();
            ws.send("{\"id\":1,\"connect\":{}}");
            assertThat(ws.awaitClose().code()).isEqualTo(3500);
        }
    }

    @Test
    void invalidRoomNamesAreError102NamingTheField() {
        try (var c = CentrifugeTestClient.connect(gw.port(), token("eve"))) {
            for (String bad : List.of("", "has space", "x".repeat(65), "房间", "a/b")) {
                JsonNode r = c.subscribe(bad);
                assertThat(r.path("error").path("code").asInt()).as(bad).isEqualTo(102);
                assertThat(r.path("error").path("message").asText()).contains("subscribe.channel");
            }
            JsonNode pub = c.publish("has space", "hi");
            assertThat(pub.path("error").path("code").asInt()).isEqualTo(107);
            assertThat(pub.path("error").path("message").asText()).contains("publish.channel");
            assertThat(c.subscribe("x".repeat(64)).has("subscribe")).isTrue();
        }
    }

    @Test
    void postingWhileAnonymousIsPermissionDenied() {
        try (var c = CentrifugeTestClient.connect(gw.port(), null)) {
            JsonNode r = c.publish("anon-room", "hi");
            assertThat(r.path("error").path("code").asInt()).isEqualTo(103);
            assertThat(r.path("error").path("message").asText()).contains("needs a user");
        }
    }

    @Test
    void badPublishDataIsError107NamingTheField() {
        try (var c = CentrifugeTestClient.connect(gw.port(), token("frank"))) {
            JsonNode notObject = c.command("publish", Json.MAPPER.createObjectNode().put("channel", "r").put("data", "hi"));
            assertThat(notObject.path("error").path("message").asText()).contains("publish.data");
            JsonNode badColor = c.command("publish", (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER
                    .createObjectNode().put("channel", "r").set("data",
                            Json.MAPPER.createObjectNode().put("text", "x").put("color", "red")));
            assertThat(badColor.path("error").path("code").asInt()).isEqualTo(107);
            assertThat(badColor.path("error").path("message").asText()).contains("publish.data.color");
            JsonNode badText = c.command("publish", (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER
                    .createObjectNode().put("channel", "r").set("data", Json.MAPPER.createObjectNode().put("text", 5)));
            assertThat(badText.path("error").path("message").asText()).contains("publish.data.text");
            for (String bad : new String[] {"\"10s\"", "1.5", "true", "99999999999999999999"}) {
                JsonNode badProgress = c.command("publish", (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER
                        .createObjectNode().put("channel", "r").set("data", json("{\"text\":\"x\",\"progress\":" + bad + "}")));
                assertThat(badProgress.path("error").path("code").asInt()).as(bad).isEqualTo(107);
                assertThat(badProgress.path("error").path("message").asText()).as(bad)
                        .isEqualTo("bad_request: publish.data.progress (expected: an integer)");
            }
            JsonNode fine = c.command("publish", (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER
                    .createObjectNode().put("channel", "r").set("data", json("{\"text\":\"x\",\"progress\":70000}")));
            assertThat(fine.has("error")).as("%s", fine).isFalse();
        }
    }

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void subscribingTwiceIsError105() {
        try (var c = CentrifugeTestClient.connect(gw.port(), null)) {
            c.subscribe("twice");
            assertThat(c.subscribe("twice").path("error").path("code").asInt()).isEqualTo(105);
        }
    }

    @Test
    void aTokenLimitedToRoomsCannotJoinOthers() {
        String limited = TestTokens.hs256(GatewayHarness.SECRET, "gina", "g", Instant.now().plusSeconds(60),
                List.of("allowed"));
        try (var c = CentrifugeTestClient.connect(gw.port(), limited)) {
            assertThat(c.subscribe("allowed").has("subscribe")).isTrue();
            assertThat(c.subscribe("forbidden").path("error").path("code").asInt()).isEqualTo(103);
            assertThat(c.publish("forbidden", "x").path("error").path("code").asInt()).isEqualTo(103);
        }
    }

    @Test
    void noConnectWithinTheTimeoutClosesAsStale() {
        TestWebSocket ws = raw();
        assertThat(ws.awaitClose().code()).isEqualTo(3003);
    }

    @Test
    void silentClientIsClosedWithNoPong() throws Exception {
        try (var g = new GatewayHarness(GatewayConfig.builder().pingInterval(Duration.ofMillis(150))
                .pongTimeout(Duration.ofMillis(150)).build(), true);
             var c = CentrifugeTestClient.connect(g.port(), null)) {
            assertThat(c.socket().awaitClose().code()).isEqualTo(3012);
        }
    }

    @Test
    void emptyLinesBetweenCommandsAreIgnoredAndSeveralCommandsPerFrameWork() {
        try (var c = CentrifugeTestClient.open(gw.port())) {
            c.socket().send("{\"id\":1,\"connect\":{}}\n\n{\"id\":2,\"subscribe\":{\"channel\":\"multi\"}}\n");
            assertThat(c.socket().await(n -> n.path("id").asInt() == 2).has("subscribe")).isTrue();
        }
    }
}
