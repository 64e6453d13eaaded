package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.bus.BusMessage;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.json.RoomMessageCodec;
import io.danmaku.protocol.store.DisconnectRequest;
import io.danmaku.protocol.store.PresenceMember;
import io.danmaku.protocol.store.PresenceSnapshot;
import io.danmaku.protocol.store.RefreshRequest;
import io.danmaku.protocol.store.SubscribeRequest;
import io.danmaku.protocol.store.UnsubscribeRequest;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import io.danmaku.testkit.ws.TestTokens;
import io.danmaku.testkit.ws.TestWebSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the server API's control messages and user-limited rooms do to real Centrifugo-protocol clients of one
 * gateway over loopback (the messages come through the memory hot store, as the server API sends them), and what
 * the gateway reports as presence.
 */
class ServerSideControlTest {
    private static final Duration WAIT = TestWebSocket.DEFAULT_WAIT;

    static String token(String user) {
        return TestTokens.hs256(GatewayHarness.SECRET, user, "Name " + user);
    }

    private static GatewayHarness gateway() throws InterruptedException {
        return new GatewayHarness(GatewayConfig.builder().batchWindow(Duration.ofMillis(20))
                .pingInterval(Duration.ofMillis(200)).pongTimeout(Duration.ofSeconds(30))
                .onlineReportInterval(Duration.ofMillis(100)).presenceMaxMembers(2).build(), true);
    }

    private static JsonNode awaitPush(CentrifugeTestClient c, String room, String kind) {
        return c.socket().await(n -> n.path("push").path("channel").asText().equals(room)
                && n.path("push").has(kind), WAIT).get("push").get(kind);
    }

    @Test
    void aServerSideSubscribeJoinsEveryConnectionOfTheUserAndTheyReceiveTheRoom() throws Exception {
        try (GatewayHarness gw = gateway();
             var a1 = CentrifugeTestClient.connect(gw.port(), token("alice"));
             var a2 = CentrifugeTestClient.connect(gw.port(), token("alice"));
             var bob = CentrifugeTestClient.connect(gw.port(), token("bob"))) {
            long before = gw.publish("news", "before");
            await().atMost(WAIT).until(() -> gw.storedTop("news") == before);

            gw.store.publishControl(new SubscribeRequest("alice", null, "news")).join();

            for (CentrifugeTestClient a : List.of(a1, a2)) {
                JsonNode sub = awaitPush(a, "news", "subscribe");
                assertThat(sub.get("recoverable").asBoolean()).isTrue();
                assertThat(sub.get("offset").asLong()).isEqualTo(before);
                assertThat(sub.get("epoch").asText()).isNotEmpty();
            }
            gw.publish("news", "after");
            assertThat(a1.awaitPublications("news", 1).get(0).get("data").get("text").asText()).isEqualTo("after");
            assertThat(a2.awaitPublications("news", 1).get(0).get("data").get("text").asText()).isEqualTo("after");
            // the client may unsubscribe by itself as from any room
            assertThat(a2.command("unsubscribe", Json.MAPPER.createObjectNode().put("channel", "news"))
                    .has("unsubscribe")).isTrue();

            // a second request for the same room changes nothing; bob never heard of it
            gw.store.publishControl(new SubscribeRequest("alice", null, "news")).join();
            assertThat(bob.subscribe("other").has("subscribe")).isTrue();
            assertThat(bob.socket().lines()).noneMatch(n -> n.path("push").path("channel").asText().equals("news"));
        }
    }

    @Test
    void aServerSideUnsubscribeLeavesTheRoomWithAPushAndOneClientIdPicksOneConnection() throws Exception {
        try (GatewayHarness gw = gateway();
             var a1 = CentrifugeTestClient.open(gw.port());
             var a2 = CentrifugeTestClient.connect(gw.port(), token("alice"))) {
            String client = a1.command("connect", Json.MAPPER.createObjectNode().put("token", token("alice")))
                    .path("connect").path("client").asText();
            assertThat(a1.subscribe("stage").has("subscribe")).isTrue();
            assertThat(a2.subscribe("stage").has("subscribe")).isTrue();

            gw.store.publishControl(new UnsubscribeRequest("alice", client, "stage")).join();

            JsonNode unsub = awaitPush(a1, "stage", "unsubscribe");
            assertThat(unsub.get("code").asInt()).isEqualTo(2000);
            assertThat(unsub.get("reason").asText()).isEqualTo("server unsubscribe");
            gw.publish("stage", "only a2");
            assertThat(a2.awaitPublications("stage", 1)).hasSize(1);
            // a1 is no member any more: subscribing again works (it would be 105 otherwise)
            assertThat(a1.subscribe("stage").has("subscribe")).isTrue();
            assertThat(a2.socket().lines()).noneMatch(n -> n.path("push").has("unsubscribe"));
        }
    }

    @Test
    void aDisconnectWithACodeAndReasonClosesWithThem() throws Exception {
        try (GatewayHarness gw = gateway();
             var a = CentrifugeTestClient.connect(gw.port(), token("alice"))) {
            await().atMost(WAIT).until(() -> gw.server.users().connectionCount("alice") == 1);
            gw.store.publishControl(new DisconnectRequest("alice", null, 4501, "go away")).join();
            assertThat(a.socket().awaitClose()).isEqualTo(new TestWebSocket.Close(4501, "go away"));
        }
    }

    @Test
    void aRefreshExpiresTheConnectionAtOnceOrAtItsNewTime() throws Exception {
        try (GatewayHarness gw = gateway();
             var now = CentrifugeTestClient.connect(gw.port(), token("alice"));
             var later = CentrifugeTestClient.connect(gw.port(), token("bob"));
             var never = CentrifugeTestClient.connect(gw.port(), token("carol"))) {
            await().atMost(WAIT).until(() -> gw.server.users().userCount() == 3);
            gw.store.publishControl(new RefreshRequest("alice", null, true, 0)).join();
            gw.store.publishControl(new RefreshRequest("bob", null, false, Instant.now().getEpochSecond() + 1)).join();
            gw.store.publishControl(new RefreshRequest("carol", null, false, 0)).join();

            assertThat(now.socket().awaitClose()).isEqualTo(new TestWebSocket.Close(3005, "connection expired"));
            assertThat(later.socket().awaitClose(Duration.ofSeconds(20)).code()).isEqualTo(3005);
            assertThat(never.subscribe("room").has("subscribe")).isTrue();
        }
    }

    @Test
    void aUserLimitedRoomAdmitsOnlyItsUsersAndAPushReachesEveryDeviceOfThem() throws Exception {
        try (GatewayHarness gw = gateway();
             var phone = CentrifugeTestClient.connect(gw.port(), token("alice"));
             var laptop = CentrifugeTestClient.connect(gw.port(), token("alice"));
             var bob = CentrifugeTestClient.connect(gw.port(), token("bob"));
             var anonymous = CentrifugeTestClient.connect(gw.port(), "")) {
            assertThat(phone.subscribe("notifications#alice").has("subscribe")).isTrue();
            assertThat(laptop.subscribe("notifications#alice").has("subscribe")).isTrue();
            for (CentrifugeTestClient other : List.of(bob, anonymous)) {
                JsonNode refused = other.subscribe("notifications#alice");
                assertThat(refused.path("error").path("code").asInt()).isEqualTo(103);
                assertThat(refused.path("error").path("message").asText())
                        .isEqualTo("permission denied: room notifications#alice is limited to the users listed after"
                                + " its '#'");
            }
            JsonNode history = bob.command("history", Json.MAPPER.createObjectNode()
                    .put("channel", "notifications#alice").put("limit", 10));
            assertThat(history.path("error").path("code").asInt()).isEqualTo(103);
            assertThat(bob.subscribe("dm#alice,bob").has("subscribe")).isTrue();

            gw.publish("notifications#alice", "for alice");
            assertThat(phone.awaitPublications("notifications#alice", 1).get(0).get("data").get("text").asText())
                    .isEqualTo("for alice");
            assertThat(laptop.awaitPublications("notifications#alice", 1)).hasSize(1);
        }
    }

    @Test
    void aMessageWithTagsArrivesWithThePublicationsTags() throws Exception {
        try (GatewayHarness gw = gateway();
             var a = CentrifugeTestClient.connect(gw.port(), token("alice"))) {
            assertThat(a.subscribe("tagged").has("subscribe")).isTrue();
            var fields = Json.MAPPER.createObjectNode();
            fields.putObject("tags").put("kind", "gift").put("\"quoted\"", "x}y");
            RoomMessage m = RoomMessage.event("e1", "tagged", System.currentTimeMillis(), "GIFT", fields);
            gw.bus.publish(new BusMessage("tagged", RoomMessageCodec.encode(m))).join();
            gw.publish("tagged", "plain \"tags\": none");

            List<JsonNode> pubs = a.awaitPublications("tagged", 2);
            assertThat(pubs.get(0).get("tags")).isEqualTo(Json.MAPPER.createObjectNode().put("kind", "gift")
                    .put("\"quoted\"", "x}y"));
            assertThat(pubs.get(0).get("data").get("cmd").asText()).isEqualTo("GIFT");
            assertThat(pubs.get(1).has("tags")).isFalse();
            // history replies carry them too (once the harness stored the message)
            await().atMost(WAIT).untilAsserted(() -> assertThat(a.command("history", Json.MAPPER.createObjectNode()
                    .put("channel", "tagged").put("limit", 10)).path("history").path("publications").path(0)
                    .path("tags").path("kind").asText()).isEqualTo("gift"));
        }
    }

    @Test
    void theGatewayReportsItsMembersAsPresenceAndOnlyCountsThemAboveTheCap() throws Exception {
        try (GatewayHarness gw = gateway();
             var a = CentrifugeTestClient.open(gw.port());
             var anon = CentrifugeTestClient.connect(gw.port(), "");
             var c = CentrifugeTestClient.connect(gw.port(), token("carol"))) {
            String client = a.command("connect", Json.MAPPER.createObjectNode().put("token", token("alice")))
                    .path("connect").path("client").asText();
            assertThat(a.subscribe("small").has("subscribe")).isTrue();
            assertThat(anon.subscribe("small").has("subscribe")).isTrue();

            PresenceSnapshot two = await().atMost(WAIT).until(() -> gw.store.presence("small").join(),
                    p -> p.members().size() == 2);
            assertThat(two.complete()).isTrue();
            assertThat(two.users()).isEqualTo(2);
            PresenceMember alice = two.members().stream().filter(m -> m.userId().equals("alice")).findFirst()
                    .orElseThrow();
            assertThat(alice.clientId()).isEqualTo(client);
            assertThat(Json.MAPPER.readTree(alice.connInfo()).get("name").asText()).isEqualTo("Name alice");

            // a third member is above the cap of 2: counted, no longer listed
            assertThat(c.subscribe("small").has("subscribe")).isTrue();
            PresenceSnapshot three = await().atMost(WAIT).until(() -> gw.store.presence("small").join(),
                    p -> p.clients() == 3 && !p.complete());
            assertThat(three.members()).isEmpty();
            assertThat(three.users()).isEqualTo(3);

            // leaving empties the room's entry
            c.close();
            a.close();
            anon.close();
            await().atMost(WAIT).until(() -> gw.store.presence("small").join().clients() == 0);
        }
    }

    @Test
    void theClientPresenceCommandListsTheRoomUpToTheCap() throws Exception {
        try (GatewayHarness gw = gateway();
             var a = CentrifugeTestClient.open(gw.port());
             var b = CentrifugeTestClient.connect(gw.port(), token("bob"));
             var c = CentrifugeTestClient.connect(gw.port(), token("carol"));
             var outsider = CentrifugeTestClient.connect(gw.port(), token("dan"))) {
            String client = a.command("connect", Json.MAPPER.createObjectNode().put("token", token("alice")))
                    .path("connect").path("client").asText();
            assertThat(a.subscribe("duo").has("subscribe")).isTrue();
            assertThat(b.subscribe("duo").has("subscribe")).isTrue();

            JsonNode presence = await().atMost(WAIT).until(() -> b.command("presence", Json.MAPPER.createObjectNode()
                    .put("channel", "duo")).path("presence").path("presence"), n -> n.size() == 2);
            assertThat(presence.get(client).get("user").asText()).isEqualTo("alice");
            assertThat(presence.get(client).get("conn_info").get("name").asText()).isEqualTo("Name alice");

            JsonNode limited = outsider.command("presence", Json.MAPPER.createObjectNode()
                    .put("channel", "notes#alice"));
            assertThat(limited.path("error").path("code").asInt()).isEqualTo(103);

            assertThat(c.subscribe("duo").has("subscribe")).isTrue(); // 3 members: above the cap of 2
            JsonNode refused = c.command("presence", Json.MAPPER.createObjectNode().put("channel", "duo"));
            assertThat(refused.path("error").path("code").asInt()).isEqualTo(108);
            assertThat(refused.path("error").path("message").asText()).isEqualTo("not available: presence lists"
                    + " rooms of at most 2 connections (presence.max-members); room duo has 3: use presence_stats");
        }
    }
}
