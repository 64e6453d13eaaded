package io.danmaku.server.role;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.json.Json;
import io.danmaku.server.cli.RoleRunner;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.ConfigLoader;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import io.danmaku.testkit.ws.TestTokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole danmaku path in one JVM, as {@code danmaku standalone} runs it: real WebSocket clients over loopback,
 * the real logic pipeline with its default limits (a user may post a burst of 5, then 1 per second), the
 * server API on the same port, storage writing history.
 */
class StandaloneEndToEndTest {
    static final String SECRET = "standalone-e2e-secret-standalone-e2e-0123";
    static final String API_KEY = "e2e-api-key";

    static RoleRunner runner;
    static StandaloneRole role;
    static int port;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        Config config = new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(), List.of(
                "gateway.host=127.0.0.1", "gateway.port=0", "admin.host=127.0.0.1", "admin.port=0",
                "token.hmac.secret=" + SECRET, "api.key=" + API_KEY, "gateway.batch.window=20ms",
                "gateway.online.report-interval=100ms", "gateway.drain.window=0s", "logic.blocked-words=badword",
                "gateway.ws.max-frame-bytes=16384"));
        role = new StandaloneRole();
        runner = new RoleRunner(config, role);
        runner.start();
        port = role.gatewayPort();
    }

    @AfterAll
    static void stop() {
        runner.close();
    }

    static String room() {
        return "e2e-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static String token(String user) {
        return TestTokens.hs256(SECRET, user, user + "-name");
    }

    static List<String> texts(List<JsonNode> pubs) {
        List<String> out = new ArrayList<>();
        pubs.forEach(p -> out.add(p.path("data").path("text").asText()));
        return out;
    }

    static HttpResponse<String> api(String path, String body, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("X-API-Key", key);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void twoClientsInARoomBothReceiveEveryPostInTheSameOrderAndAnotherRoomNothing() {
        String room = room();
        String other = room();
        try (var alice = CentrifugeTestClient.connect(port, token("alice"));
             var bob = CentrifugeTestClient.connect(port, token("bob"));
             var carol = CentrifugeTestClient.connect(port, token("carol"))) {
            alice.subscribe(room);
            bob.subscribe(room);
            carol.subscribe(other);
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 5; i++) { // each user's burst allowance
                assertThat(alice.publish(room, "alice " + i).has("publish")).isTrue();
                sent.add("alice " + i);
                assertThat(bob.publish(room, "bob " + i).has("publish")).isTrue();
                sent.add("bob " + i);
            }
            List<JsonNode> atAlice = alice.awaitPublications(room, 10);
            List<JsonNode> atBob = bob.awaitPublications(room, 10);
            assertThat(texts(atAlice)).containsExactlyElementsOf(sent);
            assertThat(texts(atBob)).containsExactlyElementsOf(sent);
            JsonNode first = atBob.get(0).path("data");
            assertThat(first.path("user").path("id").asText()).isEqualTo("alice");
            assertThat(first.path("user").path("name").asText()).isEqualTo("alice-name");
            assertThat(first.has("room")).as("the room is the push's channel, not repeated in %s", first).isFalse();
            assertThat(atBob.get(0).path("offset").asLong()).isPositive();
            assertThat(first.path("id").asText()).hasSize(26);

            assertThat(carol.publish(other, "the only one").has("publish")).isTrue();
            carol.awaitPublications(other, 1);
            assertThat(carol.socket().lines()).filteredOn(n -> n.has("push")).hasSize(1);
        }
    }

    @Test
    void aReconnectingClientRecoversWhatItMissedByOffset() {
        String room = room();
        long offset;
        String epoch;
        try (var viewer = CentrifugeTestClient.connect(port, null);
             var poster = CentrifugeTestClient.connect(port, token("dan"))) {
            epoch = viewer.subscribe(room).path("subscribe").path("epoch").asText();
            poster.publish(room, "before");
            offset = viewer.awaitPublications(room, 1).get(0).path("offset").asLong();
            viewer.socket().abort(); // dropped without a close
            poster.publish(room, "missed 1");
            poster.publish(room, "missed 2");
            try (var back = CentrifugeTestClient.connect(port, null)) {
                JsonNode sub = back.subscribeRecover(room, offset, epoch).path("subscribe");
                assertThat(sub.path("recovered").asBoolean()).isTrue();
                List<JsonNode> pubs = new ArrayList<>();
                sub.path("publications").forEach(pubs::add);
                assertThat(texts(pubs)).containsExactly("missed 1", "missed 2");
                poster.publish(room, "after");
                assertThat(texts(back.awaitPublications(room, 1))).containsExactly("after");
            }
        }
    }

    @Test
    void theServerApiPublishesDanmakuAndCustomEventsAndBroadcasts() throws Exception {
        String room = room();
        String room2 = room();
        try (var viewer = CentrifugeTestClient.connect(port, null);
             var viewer2 = CentrifugeTestClient.connect(port, null)) {
            viewer.subscribe(room);
            viewer2.subscribe(room2);
            HttpResponse<String> res = api("/api/publish",
                    "{\"channel\":\"" + room + "\",\"data\":{\"text\":\"from backend\",\"color\":255}}", API_KEY);
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(Json.MAPPER.readTree(res.body()).path("result").path("offset").asLong()).isPositive();
            res = api("/api/publish", "{\"channel\":\"" + room + "\",\"data\":{\"cmd\":\"SEND_GIFT\",\"gift\":\"rocket\","
                    + "\"count\":3,\"user\":{\"id\":\"u9\",\"name\":\"Big Fan\"}}}", API_KEY);
            assertThat(res.statusCode()).isEqualTo(200);
            res = api("/api/broadcast", "{\"channels\":[\"" + room + "\",\"" + room2 + "\"],\"data\":{\"cmd\":\"NOTICE\","
                    + "\"text\":\"stream starts\"}}", API_KEY);
            assertThat(res.statusCode()).as(res.body()).isEqualTo(200);

            List<JsonNode> pubs = viewer.awaitPublications(room, 3);
            JsonNode danmaku = pubs.get(0).path("data");
            assertThat(danmaku.path("text").asText()).isEqualTo("from backend");
            assertThat(danmaku.path("color").asInt()).isEqualTo(255);
            assertThat(danmaku.has("user")).as("no made-up author in %s", danmaku).isFalse();
            JsonNode gift = pubs.get(1).path("data");
            assertThat(gift.path("cmd").asText()).isEqualTo("SEND_GIFT");
            assertThat(gift.path("gift").asText()).isEqualTo("rocket");
            assertThat(gift.path("count").asInt()).isEqualTo(3);
            assertThat(gift.path("user").path("name").asText()).isEqualTo("Big Fan");
            assertThat(gift.path("id").asText()).isNotEmpty();
            assertThat(pubs.get(2).path("data").path("cmd").asText()).isEqualTo("NOTICE");
            assertThat(viewer2.awaitPublications(room2, 1).get(0).path("data").path("text").asText())
                    .isEqualTo("stream starts");
        }
    }

    @Test
    void theServerApiRefusesBadKeysAndBadBodiesWithCentrifugoErrors() throws Exception {
        HttpResponse<String> noKey = api("/api/publish", "{\"channel\":\"r\",\"data\":{\"text\":\"x\"}}", null);
        assertThat(noKey.statusCode()).isEqualTo(401);
        assertThat(Json.MAPPER.readTree(noKey.body()).path("error").path("code").asInt()).isEqualTo(101);
        assertThat(api("/api/publish", "{\"channel\":\"r\",\"data\":{\"text\":\"x\"}}", "wrong").statusCode())
                .isEqualTo(401);
        HttpResponse<String> malformed = api("/api/publish", "{nope", API_KEY);
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(malformed.body()).path("error").path("code").asInt()).isEqualTo(107);
        HttpResponse<String> badChannel = api("/api/publish", "{\"channel\":\"a b\",\"data\":{\"text\":\"x\"}}", API_KEY);
        assertThat(badChannel.statusCode()).isEqualTo(400);
        assertThat(badChannel.body()).contains("channel");
        HttpResponse<String> tooLong = api("/api/publish",
                "{\"channel\":\"r\",\"data\":{\"text\":\"" + "长".repeat(101) + "\"}}", API_KEY);
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(tooLong.body()).contains("too_long");
        assertThat(api("/api/nope", "{}", API_KEY).statusCode()).isEqualTo(404);
    }

    @Test
    void everyRejectedPostGetsItsReasonAndTheConnectionKeepsWorking() {
        String room = room();
        try (var eve = CentrifugeTestClient.connect(port, token("eve-" + room))) {
            eve.subscribe(room);
            JsonNode tooLong = eve.publish(room, "x".repeat(101));
            assertThat(tooLong.path("error").path("code").asInt()).isEqualTo(107);
            assertThat(tooLong.path("error").path("message").asText()).startsWith("too_long:");
            JsonNode blocked = eve.publish(room, "what a BadWord here");
            assertThat(blocked.path("error").path("message").asText()).startsWith("blocked_word:");
            JsonNode control = eve.publish(room, "line\nbreak");
            assertThat(control.path("error").path("message").asText()).startsWith("bad_request:").contains("text");
            JsonNode empty = eve.publish(room, "   ");
            assertThat(empty.path("error").path("message").asText()).startsWith("bad_request:");
            ObjectNode badMode = Json.MAPPER.createObjectNode().put("channel", room);
            badMode.putObject("data").put("text", "hi").put("mode", 3);
            assertThat(eve.command("publish", badMode).path("error").path("message").asText()).contains("mode");
            ObjectNode withId = Json.MAPPER.createObjectNode().put("channel", room);
            withId.putObject("data").put("text", "once").put("clientMsgId", "c-1");
            assertThat(eve.command("publish", withId).has("publish")).isTrue();
            assertThat(eve.command("publish", withId).path("error").path("message").asText()).startsWith("duplicate:");
            assertThat(texts(eve.awaitPublications(room, 1))).containsExactly("once");
        }
    }

    @Test
    void floodingPastTheRateLimitIsRefusedWithoutLosingWhatWasAccepted() {
        String room = room();
        try (var flooder = CentrifugeTestClient.connect(port, token("flood-" + room));
             var viewer = CentrifugeTestClient.connect(port, null)) {
            viewer.subscribe(room);
            List<String> accepted = new ArrayList<>();
            int limited = 0;
            for (int i = 0; i < 12; i++) {
                JsonNode r = flooder.publish(room, "spam " + i);
                if (r.has("publish")) {
                    accepted.add("spam " + i);
                } else {
                    assertThat(r.path("error").path("code").asInt()).isEqualTo(111);
                    assertThat(r.path("error").path("message").asText()).startsWith("rate_limited:");
                    assertThat(r.path("error").path("temporary").asBoolean()).isTrue();
                    limited++;
                }
            }
            assertThat(accepted.size()).isBetween(5, 6); // the burst, plus at most one refilled token
            assertThat(limited).isEqualTo(12 - accepted.size());
            assertThat(texts(viewer.awaitPublications(room, accepted.size()))).containsExactlyElementsOf(accepted);
            try (var other = CentrifugeTestClient.connect(port, token("calm-" + room))) {
                assertThat(other.publish(room, "unaffected").has("publish")).isTrue();
            }
        }
    }

    @Test
    void anonymousReadersCannotPostAndBadConnectionsAreClosedWithTheirCodes() {
        String room = room();
        try (var anon = CentrifugeTestClient.connect(port, null)) {
            assertThat(anon.publish(room, "hi").path("error").path("code").asInt()).isEqualTo(103);
        }
        try (var bad = CentrifugeTestClient.open(port)) {
            bad.socket().send("{\"id\":1,\"connect\":{\"token\":\"" + TestTokens.hs256("x".repeat(40), "m", "m") + "\"}}");
            assertThat(bad.socket().awaitClose().code()).isEqualTo(3500);
        }
        try (var bad = CentrifugeTestClient.open(port)) {
            bad.socket().send("not json");
            assertThat(bad.socket().awaitClose().code()).isEqualTo(3501);
        }
        try (var big = CentrifugeTestClient.connect(port, null)) {
            big.socket().send("{\"id\":2,\"presence_stats\":{\"channel\":\"" + "y".repeat(20000) + "\"}}");
            assertThat(big.socket().awaitClose().code()).isEqualTo(1009);
        }
    }

    @Test
    void moderationThroughTheApiMutesAUserInOneRoom() throws Exception {
        String room = room();
        String user = "mutee-" + room;
        try (var c = CentrifugeTestClient.connect(port, token(user))) {
            assertThat(api("/api/mute", "{\"channel\":\"" + room + "\",\"user\":\"" + user + "\",\"duration_ms\":60000}",
                    API_KEY).statusCode()).isEqualTo(200);
            JsonNode r = c.publish(room, "hello?");
            assertThat(r.path("error").path("code").asInt()).isEqualTo(103);
            assertThat(r.path("error").path("message").asText()).startsWith("muted:");
            assertThat(c.publish(room + "x", "elsewhere").has("publish")).isTrue();
        }
    }

    @Test
    void historyPresenceAndOperatorEndpoints() throws Exception {
        String room = room();
        try (var a = CentrifugeTestClient.connect(port, token("hist-" + room));
             var b = CentrifugeTestClient.connect(port, null)) {
            a.subscribe(room);
            b.subscribe(room);
            a.publish(room, "kept");
            await().atMost(Duration.ofSeconds(10)).until(() -> a.command("history",
                    Json.MAPPER.createObjectNode().put("channel", room).put("limit", 10))
                    .path("history").path("publications").size() == 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> a.command("presence_stats",
                    Json.MAPPER.createObjectNode().put("channel", room)).path("presence_stats")
                    .path("num_clients").asLong() == 2);
        }
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("data-testid=\"stage\"");
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + runner.adminPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body()).contains("danmaku_gateway_deliveries_total", "danmaku_logic_posts_total",
                "danmaku_storage_records_total", "danmaku_gateway_connections");
        HttpResponse<String> demo = api("/demo/token", "{\"name\":\"x\"}", null);
        assertThat(demo.statusCode()).as("demo tokens are off when a secret is configured").isEqualTo(404);
    }
}
