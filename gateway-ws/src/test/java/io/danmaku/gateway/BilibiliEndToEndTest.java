package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.gateway.protocol.bilibili.BilibiliClientCodec;
import io.danmaku.gateway.protocol.bilibili.BilibiliClientCodec.Packet;
import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.bus.BusMessage;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.json.RoomMessageCodec;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import io.danmaku.testkit.ws.TestTokens;
import io.danmaku.testkit.ws.TestWebSocket;
import io.micrometer.core.instrument.Counter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bilibili's live protocol on {@code /sub} through a real WebSocket client over loopback. */
class BilibiliEndToEndTest {
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        gw = new GatewayHarness(GatewayConfig.builder()
                .batchWindow(Duration.ofMillis(20))
                .onlineReportInterval(Duration.ofMillis(50))
                .sampling(io.danmaku.gateway.room.SamplingRules.parse(List.of("5559*=1")))
                .build(), true);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    static String token(String user, String name) {
        return TestTokens.hs256(GatewayHarness.SECRET, user, name);
    }

    /** A client doing what the open clients do: auth first, heartbeats on demand, frames split by packLen. */
    static final class LiveClient implements AutoCloseable {
        final TestWebSocket ws;

        LiveClient() {
            ws = TestWebSocket.connect(URI.create("ws://127.0.0.1:" + gw.port() + "/sub"));
        }

        /** Sends op 7 and waits for op 8; returns its body. */
        JsonNode auth(String body) {
            ws.sendBinary(BilibiliClientCodec.auth(body));
            return await(p -> p.op() == 8).json();
        }

        /** Each binary frame received so far, as its top-level packets (compressed ones still compressed). */
        List<List<Packet>> frames() {
            List<List<Packet>> out = new ArrayList<>();
            for (byte[] f : ws.binaryFrames()) {
                out.add(BilibiliClientCodec.split(f));
            }
            return out;
        }

        /** Every packet received so far, compressed ones expanded. */
        List<Packet> packets() {
            List<Packet> out = new ArrayList<>();
            for (byte[] f : ws.binaryFrames()) {
                out.addAll(BilibiliClientCodec.decode(f));
            }
            return out;
        }

        Packet await(java.util.function.Predicate<Packet> p) {
            return org.awaitility.Awaitility.await().atMost(TestWebSocket.DEFAULT_WAIT)
                    .until(() -> packets().stream().filter(p).findFirst().orElse(null), x -> x != null);
        }

        List<JsonNode> danmu() {
            return packets().stream().filter(p -> p.op() == 5).map(Packet::json)
                    .filter(j -> j.path("cmd").asText().equals("DANMU_MSG")).toList();
        }

        /** Sends a heartbeat and returns the count of the op-3 reply it gets. */
        int heartbeat() {
            int before = (int) packets().stream().filter(p -> p.op() == 3).count();
            ws.sendBinary(BilibiliClientCodec.heartbeat());
            List<Packet> replies = org.awaitility.Awaitility.await().atMost(TestWebSocket.DEFAULT_WAIT)
                    .until(() -> packets().stream().filter(p -> p.op() == 3).toList(), l -> l.size() > before);
            return replies.get(replies.size() - 1).int32();
        }

        @Override
        public void close() {
            ws.close();
        }
    }

    static List<String> texts(List<JsonNode> danmu) {
        return danmu.stream().map(d -> d.path("info").path(1).asText()).toList();
    }

    @Test
    void authIsAnsweredByCodeZeroAndHeartbeatsByTheRoomsOnlineCount() {
        try (LiveClient live = new LiveClient()) {
            JsonNode reply = live.auth("{\"uid\":0,\"roomid\":555001,\"protover\":3,\"platform\":\"web\",\"type\":2,"
                    + "\"key\":\"" + token("10086", "Alice") + "\"}");
            assertThat(reply.path("code").asInt()).isZero();
            assertThat(live.heartbeat()).isEqualTo(1);

            try (CentrifugeTestClient json = CentrifugeTestClient.connect(gw.port(), null)) {
                json.subscribe("555001");
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                        .until(live::heartbeat, n -> n == 2);
            }
            // op 3 is always the first packet of its own frame
            assertThat(live.frames()).filteredOn(f -> f.stream().anyMatch(p -> p.op() == 3))
                    .allSatisfy(f -> {
                        assertThat(f).hasSize(1);
                        assertThat(f.get(0).ver()).isEqualTo(1);
                        assertThat(f.get(0).packLen()).isEqualTo(20);
                    });
        }
    }

    @Test
    void danmakuReachesEveryProtoverInOrderAndJsonClientsInTheSameRoom() {
        String room = "555002";
        try (LiveClient v1 = new LiveClient(); LiveClient v2 = new LiveClient(); LiveClient v3 = new LiveClient();
             CentrifugeTestClient watcher = CentrifugeTestClient.connect(gw.port(), null);
             CentrifugeTestClient poster = CentrifugeTestClient.connect(gw.port(), token("10086", "Alice"))) {
            assertThat(v1.auth("{\"roomid\":" + room + ",\"protover\":1}").path("code").asInt()).isZero();
            assertThat(v2.auth("{\"roomid\":\"" + room + "\",\"protover\":2,\"key\":\"" + token("7", "Seven") + "\"}")
                    .path("code").asInt()).isZero();
            assertThat(v3.auth("{\"roomid\":" + room + ",\"protover\":3,\"uid\":0,\"buvid\":\"B\"}").path("code")
                    .asInt()).isZero();
            watcher.subscribe(room);

            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                String text = "弹幕 " + i;
                assertThat(poster.publish(room, text).has("publish")).isTrue();
                sent.add(text);
            }
            gw.publish(room, "from the bus");
            sent.add("from the bus");

            for (LiveClient c : List.of(v1, v2, v3)) {
                await().atMost(Duration.ofSeconds(10)).until(() -> c.danmu().size() >= sent.size());
                List<JsonNode> got = c.danmu();
                assertThat(texts(got)).containsExactlyElementsOf(sent);
                JsonNode info = got.get(0).path("info");
                assertThat(info.path(2).path(0).asLong()).isEqualTo(10086);
                assertThat(info.path(2).path(1).asText()).isEqualTo("Alice");
                assertThat(info.path(0).path(3).asInt()).isEqualTo(0xFFFFFF);
                assertThat(info.path(0).path(1).asInt()).isEqualTo(1);
                assertThat(info.path(0).path(4).asLong()).isPositive();
                assertThat(got.get(0).path("danmaku").path("user").path("id").asText()).isEqualTo("10086");
                for (int i = 1; i < got.size(); i++) {
                    assertThat(got.get(i).path("danmaku").path("offset").asLong())
                            .isGreaterThan(got.get(i - 1).path("danmaku").path("offset").asLong());
                }
            }
            assertThat(topLevelVersionsOfMessageFrames(v1)).containsOnly(0);
            assertThat(topLevelVersionsOfMessageFrames(v2)).containsOnly(2);
            assertThat(topLevelVersionsOfMessageFrames(v3)).containsOnly(3);
            assertThat(watcher.awaitPublications(room, sent.size())).extracting(p -> p.path("data").path("text")
                    .asText()).containsExactlyElementsOf(sent);
        }
    }

    static List<Integer> topLevelVersionsOfMessageFrames(LiveClient c) {
        return c.frames().stream().filter(f -> f.get(0).op() == 5).flatMap(f -> f.stream().map(Packet::ver))
                .toList();
    }

    @Test
    void eventsWithACmdArriveAsThatCmdWithTheirFields() {
        String room = "555003";
        try (LiveClient live = new LiveClient()) {
            live.auth("{\"roomid\":" + room + ",\"protover\":2}");
            ObjectNode fields = Json.MAPPER.createObjectNode().put("giftName", "rocket").put("num", 3);
            gw.bus.publish(new BusMessage(room, RoomMessageCodec.encode(
                    RoomMessage.event("ev1", room, System.currentTimeMillis(), "SEND_GIFT", fields)))).join();
            JsonNode gift = live.await(p -> p.op() == 5 && p.cmd().equals("SEND_GIFT")).json();
            assertThat(gift.path("data").path("giftName").asText()).isEqualTo("rocket");
            assertThat(gift.path("data").path("num").asInt()).isEqualTo(3);
            assertThat(gift.path("data").path("id").asText()).isEqualTo("ev1");
        }
    }

    @Test
    void inASampledRoomAConnectionGetsItsOwnPostsThatTheSampleLeftOut() {
        String room = "555901"; // sampled to 1 chat message a second: most 100 ms windows show none
        try (LiveClient bob = new LiveClient();
             CentrifugeTestClient viewer = CentrifugeTestClient.connect(gw.port(), null)) {
            assertThat(bob.auth("{\"roomid\":" + room + ",\"protover\":1,\"key\":\"" + token("10087", "Bob")
                    + "\"}").path("code").asInt()).isZero();
            viewer.subscribe(room);
            // stamped in the second window of a second, whose budget is 0 at 1 a second
            long time = (System.currentTimeMillis() / 1000) * 1000 + 150;
            List<BusMessage> batch = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                for (String user : List.of("10087", "20001")) {
                    batch.add(new BusMessage(room, RoomMessageCodec.encode(RoomMessage.danmaku(user + "-" + i, room,
                            time, new io.danmaku.protocol.UserRef(user, user), user + " says " + i, 0xFFFFFF, 1,
                            null))));
                }
            }
            batch.add(new BusMessage(room, RoomMessageCodec.encode(RoomMessage.event("end", room, time, "NOTICE",
                    null))));
            gw.bus.publish(batch).join();

            bob.await(p -> p.op() == 5 && p.cmd().equals("NOTICE"));
            assertThat(texts(bob.danmu())).containsExactly("10087 says 0", "10087 says 1", "10087 says 2",
                    "10087 says 3", "10087 says 4");
            List<JsonNode> seen = await().atMost(Duration.ofSeconds(10)).until(() -> viewer.publications(room),
                    pubs -> !pubs.isEmpty());
            assertThat(seen).extracting(pub -> pub.path("data").path("cmd").asText()).containsExactly("NOTICE");
        }
    }

    @Test
    void badTokenIsAnsweredByMinus101ThenClosed() {
        try (LiveClient live = new LiveClient()) {
            JsonNode reply = live.auth("{\"roomid\":555004,\"protover\":3,\"key\":\"not-a-token\"}");
            assertThat(reply.path("code").asInt()).isEqualTo(-101);
            assertThat(live.ws.awaitClose().code()).isEqualTo(1008);
        }
    }

    @Test
    void malformedHeaderClosesWithProtocolErrorAndIsCounted() {
        double before = protocolErrors("bad_header_length");
        try (LiveClient live = new LiveClient()) {
            live.ws.sendBinary(BilibiliClientCodec.packet(18, 12, 1, 7, 1, "{}".getBytes(StandardCharsets.UTF_8)));
            assertThat(live.ws.awaitClose().code()).isEqualTo(1002);
        }
        assertThat(protocolErrors("bad_header_length")).isEqualTo(before + 1);
    }

    @Test
    void textFrameCloses1003() {
        try (LiveClient live = new LiveClient()) {
            live.ws.send("{\"roomid\":1}");
            assertThat(live.ws.awaitClose().code()).isEqualTo(1003);
        }
    }

    /**
     * The server closes with 1009 while unread bytes of the frame may still be arriving, so the client can see
     * a reset instead of the close frame: the server's count says which code it closed with.
     */
    @Test
    void frameOverTheLimitCloses1009() {
        double before = disconnects(1009);
        try (LiveClient live = new LiveClient()) {
            live.ws.sendBinary(new byte[20_000]);
            live.ws.awaitClose();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> disconnects(1009) == before + 1);
    }

    static double disconnects(int code) {
        Counter c = gw.meters.find("danmaku.gateway.disconnects")
                .tags("protocol", "bilibili", "code", Integer.toString(code)).counter();
        return c == null ? 0 : c.count();
    }

    static double protocolErrors(String kind) {
        Counter c = gw.meters.find("danmaku.gateway.protocol.errors").tags("protocol", "bilibili", "kind", kind)
                .counter();
        return c == null ? 0 : c.count();
    }
}
