package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.json.Json;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import io.danmaku.testkit.ws.TestTokens;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Centrifugo JSON protocol through a real WebSocket client over loopback. */
class CentrifugeEndToEndTest {
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        gw = new GatewayHarness(GatewayConfig.builder()
                .batchWindow(Duration.ofMillis(20))
                .ringSize(8)
                .onlineReportInterval(Duration.ofMillis(50))
                .build(), true);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    static String token(String user) {
        return TestTokens.hs256(GatewayHarness.SECRET, user, "Name " + user);
    }

    static List<String> texts(List<JsonNode> pubs) {
        List<String> out = new ArrayList<>();
        pubs.forEach(p -> out.add(p.path("data").path("text").asText()));
        return out;
    }

    @Test
    void membersOfARoomReceiveEveryPostInOrderAndOtherRoomsNothing() {
        try (var alice = CentrifugeTestClient.connect(gw.port(), token("alice"));
             var bob = CentrifugeTestClient.connect(gw.port(), token("bob"));
             var carol = CentrifugeTestClient.connect(gw.port(), token("carol"))) {
            assertThat(alice.subscribe("e2e-room").path("subscribe").path("recoverable").asBoolean()).isTrue();
            bob.subscribe("e2e-room");
            carol.subscribe("e2e-other");

            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                String text = "hello " + i;
                JsonNode reply = alice.publish("e2e-room", text);
                assertThat(reply.has("publish")).as("reply %s", reply).isTrue();
                sent.add(text);
            }
            List<JsonNode> atAlice = alice.awaitPublications("e2e-room", 30);
            List<JsonNode> atBob = bob.awaitPublications("e2e-room", 30);
            assertThat(texts(atAlice)).containsExactlyElementsOf(sent);
            assertThat(texts(atBob)).containsExactlyElementsOf(sent);
            for (int i = 1; i < atBob.size(); i++) {
                assertThat(atBob.get(i).path("offset").asLong()).isGreaterThan(atBob.get(i - 1).path("offset").asLong());
            }
            JsonNode data = atBob.get(0).path("data");
            assertThat(data.path("user").path("id").asText()).isEqualTo("alice");
            assertThat(data.path("user").path("name").asText()).isEqualTo("Name alice");
            assertThat(data.path("id").asText()).isNotEmpty();
            assertThat(data.path("time").asLong()).isPositive();
            // lean pushes: nothing the subscription or the envelope says, no defaults
            assertThat(data.has("offset") || data.has("epoch") || data.has("room")).as("data %s", data).isFalse();
            assertThat(data.has("color") || data.has("mode")).as("defaults in %s", data).isFalse();

            // carol's room gets one message; it must be the only thing she ever received
            gw.publish("e2e-other", "only for carol");
            assertThat(texts(carol.awaitPublications("e2e-other", 1))).containsExactly("only for carol");
            assertThat(carol.socket().lines()).filteredOn(n -> n.has("push")).hasSize(1);
        }
    }

    @Test
    void batchesGoOutAsNewlineSeparatedPushesInOneFrame() {
        try (var c = CentrifugeTestClient.connect(gw.port(), null)) {
            c.subscribe("e2e-batch");
            gw.bus.publish(List.of(
                    msg("e2e-batch", "a"), msg("e2e-batch", "b"), msg("e2e-batch", "c"))).join();
            c.awaitPublications("e2e-batch", 3);
            assertThat(c.socket().frames()).anySatisfy(f -> assertThat(f.split("\n")).hasSize(3));
        }
    }

    static io.danmaku.protocol.bus.BusMessage msg(String room, String text) {
        var m = io.danmaku.protocol.RoomMessage.danmaku("x-" + text + System.nanoTime(), room,
                System.currentTimeMillis(), new io.danmaku.protocol.UserRef("u", "U"), text, 1, 1, null);
        return new io.danmaku.protocol.bus.BusMessage(room, io.danmaku.protocol.json.RoomMessageCodec.encode(m));
    }

    @Test
    void reconnectingClientRecoversWhatItMissedFromTheRing() {
        String room = "e2e-recover-ring";
        long lastOffset;
        String epoch;
        try (var c = CentrifugeTestClient.connect(gw.port(), token("dave"))) {
            epoch = c.subscribe(room).path("subscribe").path("epoch").asText();
            gw.publish(room, "seen 1");
            gw.publish(room, "seen 2");
            List<JsonNode> seen = c.awaitPublications(room, 2);
            lastOffset = seen.get(1).path("offset").asLong();
        }
        // a member keeps the room's ring alive while the first client is away
        try (var keeper = CentrifugeTestClient.connect(gw.port(), null)) {
            keeper.subscribe(room);
            gw.publish(room, "missed 1");
            gw.publish(room, "missed 2");
            gw.publish(room, "missed 3");
            keeper.awaitPublications(room, 3);
            try (var back = CentrifugeTestClient.connect(gw.port(), token("dave"))) {
                JsonNode sub = back.subscribeRecover(room, lastOffset, epoch).path("subscribe");
                assertThat(sub.path("was_recovering").asBoolean()).isTrue();
                assertThat(sub.path("recovered").asBoolean()).isTrue();
                assertThat(texts(list(sub.path("publications")))).containsExactly("missed 1", "missed 2", "missed 3");
                gw.publish(room, "live");
                assertThat(texts(back.awaitPublications(room, 1))).containsExactly("live");
            }
        }
    }

    @Test
    void recoveryBeyondTheRingComesFromTheHotStore() {
        String room = "e2e-recover-store";
        long lastOffset;
        String epoch;
        try (var c = CentrifugeTestClient.connect(gw.port(), null)) {
            epoch = c.subscribe(room).path("subscribe").path("epoch").asText();
            gw.publish(room, "seen");
            lastOffset = c.awaitPublications(room, 1).get(0).path("offset").asLong();
        }
        List<String> missed = new ArrayList<>();
        for (int i = 0; i < 20; i++) { // more than the ring (8) holds, fewer than the store (50)
            missed.add("missed " + i);
            gw.publish(room, "missed " + i);
        }
        long top = lastOffset + 20;
        await().atMost(Duration.ofSeconds(10)).until(() -> gw.storedTop(room) == top);
        try (var back = CentrifugeTestClient.connect(gw.port(), null)) {
            JsonNode sub = back.subscribeRecover(room, lastOffset, epoch).path("subscribe");
            assertThat(sub.path("recovered").asBoolean()).as("%s", sub).isTrue();
            assertThat(texts(list(sub.path("publications")))).containsExactlyElementsOf(missed);
            assertThat(sub.path("offset").asLong()).isEqualTo(top);
        }
    }

    @Test
    void recoveryIsReportedIncompleteWhenHistoryWasTrimmedOrTheEpochChanged() {
        String room = "e2e-recover-lost";
        String epoch;
        try (var c = CentrifugeTestClient.connect(gw.port(), null)) {
            epoch = c.subscribe(room).path("subscribe").path("epoch").asText();
        }
        for (int i = 0; i < 70; i++) { // the store keeps 50
            gw.publish(room, "m" + i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> gw.storedTop(room) == 70);
        try (var back = CentrifugeTestClient.connect(gw.port(), null)) {
            JsonNode sub = back.subscribeRecover(room, 1, epoch).path("subscribe");
            assertThat(sub.path("was_recovering").asBoolean()).isTrue();
            assertThat(sub.path("recovered").asBoolean()).isFalse();
        }
        try (var other = CentrifugeTestClient.connect(gw.port(), null)) {
            JsonNode sub = other.subscribeRecover(room, 65, "another-epoch").path("subscribe");
            assertThat(sub.path("recovered").asBoolean()).isFalse();
            assertThat(sub.path("epoch").asText()).isEqualTo(epoch);
            assertThat(sub.path("publications").isMissingNode() || sub.path("publications").isEmpty()).isTrue();
        }
    }

    @Test
    void historyAndPresenceStats() {
        String room = "e2e-history";
        try (var a = CentrifugeTestClient.connect(gw.port(), null);
             var b = CentrifugeTestClient.connect(gw.port(), null)) {
            a.subscribe(room);
            b.subscribe(room);
            gw.publish(room, "h1");
            gw.publish(room, "h2");
            await().atMost(Duration.ofSeconds(10)).until(() -> gw.storedTop(room) == 2);
            JsonNode h = a.command("history", Json.MAPPER.createObjectNode().put("channel", room).put("limit", 10))
                    .path("history");
            assertThat(texts(list(h.path("publications")))).containsExactly("h1", "h2");
            assertThat(h.path("offset").asLong()).isEqualTo(2);
            assertThat(h.path("epoch").asText()).isEqualTo(gw.bus.epoch(room));
            JsonNode rev = a.command("history", Json.MAPPER.createObjectNode().put("channel", room).put("limit", 1)
                    .put("reverse", true)).path("history");
            assertThat(texts(list(rev.path("publications")))).containsExactly("h2");
            await().atMost(Duration.ofSeconds(10)).until(() -> a.command("presence_stats",
                    Json.MAPPER.createObjectNode().put("channel", room)).path("presence_stats")
                    .path("num_clients").asLong() == 2);
        }
    }

    @Test
    void serverPingsAreEmptyObjects() throws Exception {
        try (var g = new GatewayHarness(GatewayConfig.builder().pingInterval(Duration.ofMillis(150)).build(), true);
             var c = CentrifugeTestClient.connect(g.port(), null)) {
            JsonNode connect = c.socket().lines().get(0).path("connect");
            assertThat(connect.path("pong").asBoolean()).isTrue();
            for (int i = 0; i < 3; i++) { // answer pings like the SDK: stays connected past several intervals
                int before = count(c);
                c.socket().await(n -> n.isObject() && n.size() == 0 && count(c) > before);
                c.socket().send("{}");
            }
            assertThat(c.socket().isClosed()).isFalse();
        }
    }

    private static int count(CentrifugeTestClient c) {
        return (int) c.socket().lines().stream().filter(n -> n.isObject() && n.size() == 0).count();
    }

    static List<JsonNode> list(JsonNode array) {
        List<JsonNode> out = new ArrayList<>();
        array.forEach(out::add);
        return out;
    }
}
