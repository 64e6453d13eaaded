package io.danmaku.gateway;

import io.danmaku.gateway.protocol.centrifuge.pb.Command;
import io.danmaku.gateway.protocol.centrifuge.pb.Reply;
import io.danmaku.gateway.protocol.centrifuge.pb.SubscribeRequest;
import io.danmaku.testkit.ws.TestWebSocket;
import java.net.URI;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.gateway.room.JoinLeaveRooms;
import io.danmaku.protocol.json.Json;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import io.danmaku.testkit.ws.TestTokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Join and leave pushes on one gateway (the memory store's control channel): only in rooms of
 * {@code gateway.join-leave.rooms}, only to subscriptions with {@code join_leave: true}, with the joiner's client
 * info, and none at all in a room above {@code gateway.join-leave.max-members}.
 */
class JoinLeaveEndToEndTest {
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        gw = new GatewayHarness(GatewayConfig.builder()
                .batchWindow(Duration.ofMillis(10))
                .joinLeave(new JoinLeaveRooms(List.of("jl-*"), 3))
                .build(), true);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    static String token(String user) {
        return TestTokens.hs256(GatewayHarness.SECRET, user, "Name " + user);
    }

    static JsonNode subscribe(CentrifugeTestClient c, String room, boolean joinLeave) {
        JsonNode r = c.command("subscribe", Json.MAPPER.createObjectNode().put("channel", room)
                .put("join_leave", joinLeave));
        assertThat(r.has("subscribe")).as("reply %s", r).isTrue();
        return r;
    }

    static JsonNode awaitPush(CentrifugeTestClient c, String room, String kind, String client) {
        return c.socket().await(n -> n.path("push").path("channel").asText().equals(room)
                && n.path("push").path(kind).path("info").path("client").asText().equals(client));
    }

    static String clientId(CentrifugeTestClient c) {
        return c.socket().lines().stream().filter(n -> n.has("connect")).findFirst().orElseThrow()
                .path("connect").path("client").asText();
    }

    static List<JsonNode> joinLeavePushes(CentrifugeTestClient c) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode n : c.socket().lines()) {
            if (n.path("push").has("join") || n.path("push").has("leave")) {
                out.add(n.path("push"));
            }
        }
        return out;
    }

    @Test
    void aSubscriberThatAskedSeesOthersJoinAndLeaveWithTheirClientInfo() {
        String room = "jl-room";
        try (var alice = CentrifugeTestClient.connect(gw.port(), token("alice"));
             var quiet = CentrifugeTestClient.connect(gw.port(), token("quiet"))) {
            subscribe(alice, room, true);
            subscribe(quiet, room, false);
            String bobClient;
            try (var bob = CentrifugeTestClient.connect(gw.port(), token("bob"))) {
                bobClient = clientId(bob);
                subscribe(bob, room, false);
                JsonNode join = awaitPush(alice, room, "join", bobClient);
                JsonNode info = join.path("push").path("join").path("info");
                assertThat(info.path("user").asText()).isEqualTo("bob");
                assertThat(info.path("conn_info").path("name").asText()).isEqualTo("Name bob");
                bob.command("unsubscribe", Json.MAPPER.createObjectNode().put("channel", room));
                assertThat(awaitPush(alice, room, "leave", bobClient).path("push").path("leave").path("info")
                        .path("user").asText()).isEqualTo("bob");
                subscribe(bob, room, false);
                awaitPush(alice, room, "join", bobClient);
            }
            // a connection that goes away leaves its rooms
            awaitPush(alice, room, "leave", bobClient);
            // the subscription without join_leave got none of it; the room's publications still flow to both
            gw.publish(room, "after");
            quiet.awaitPublications(room, 1);
            alice.awaitPublications(room, 1);
            assertThat(joinLeavePushes(quiet)).isEmpty();
        }
    }

    @Test
    void aProtobufSubscriberGetsThemInItsOwnFormat() {
        String room = "jl-pb";
        try (TestWebSocket pb = TestWebSocket.connect(URI.create("ws://127.0.0.1:" + gw.port()
                + "/connection/websocket"), null, "centrifuge-protobuf")) {
            CentrifugeProtobufEndToEndTest.send(pb, CentrifugeProtobufEndToEndTest.connect(token("pbwatch")),
                    Command.newBuilder().setId(2).setSubscribe(SubscribeRequest.newBuilder().setChannel(room)
                            .setJoinLeave(true)).build());
            assertThat(CentrifugeProtobufEndToEndTest.await(pb, r -> r.getId() == 2).hasSubscribe()).isTrue();
            String bobClient;
            try (var bob = CentrifugeTestClient.connect(gw.port(), token("bob"))) {
                bobClient = clientId(bob);
                subscribe(bob, room, false);
                Reply join = CentrifugeProtobufEndToEndTest.await(pb, r -> r.hasPush() && r.getPush().hasJoin());
                assertThat(join.getPush().getChannel()).isEqualTo(room);
                assertThat(join.getPush().getJoin().getInfo().getUser()).isEqualTo("bob");
                assertThat(join.getPush().getJoin().getInfo().getClient()).isEqualTo(bobClient);
            }
            Reply leave = CentrifugeProtobufEndToEndTest.await(pb, r -> r.hasPush() && r.getPush().hasLeave());
            assertThat(leave.getPush().getLeave().getInfo().getClient()).isEqualTo(bobClient);
            assertThat(pb.frames()).as("no text frames on a Protobuf connection").isEmpty();
        }
    }

    @Test
    void roomsNotConfiguredForItHaveNoneEvenWhenAsked() {
        String room = "plain-room";
        try (var alice = CentrifugeTestClient.connect(gw.port(), token("alice2"));
             var bob = CentrifugeTestClient.connect(gw.port(), token("bob2"))) {
            subscribe(alice, room, true);
            subscribe(bob, room, false);
            gw.publish(room, "marker");
            alice.awaitPublications(room, 1);
            assertThat(joinLeavePushes(alice)).isEmpty();
        }
    }

    @Test
    void aRoomAboveTheSizeLimitEmitsNothing() {
        String room = "jl-big";
        List<CentrifugeTestClient> crowd = new ArrayList<>();
        try (var watcher = CentrifugeTestClient.connect(gw.port(), token("watcher"))) {
            subscribe(watcher, room, true);
            for (int i = 0; i < 4; i++) {
                CentrifugeTestClient c = CentrifugeTestClient.connect(gw.port(), token("crowd" + i));
                crowd.add(c);
                subscribe(c, room, false);
            }
            // the watcher and two of the crowd make 3: their joins were told; the third and fourth made it 4 and 5
            awaitPush(watcher, room, "join", clientId(crowd.get(1)));
            gw.publish(room, "marker");
            watcher.awaitPublications(room, 1);
            List<String> joined = joinLeavePushes(watcher).stream()
                    .map(p -> p.path("join").path("info").path("client").asText()).toList();
            assertThat(joined).doesNotContain(clientId(crowd.get(2)), clientId(crowd.get(3)));
            // leaving while the room is still too big (4 left) is not told either
            crowd.remove(0).close();
            gw.publish(room, "marker 2");
            watcher.awaitPublications(room, 2);
            assertThat(joinLeavePushes(watcher)).noneMatch(p -> p.has("leave"));
        } finally {
            crowd.forEach(CentrifugeTestClient::close);
        }
    }

    @Test
    void aUnidirectionalReaderJoiningIsToldToo() throws Exception {
        String room = "jl-uni";
        try (var alice = CentrifugeTestClient.connect(gw.port(), token("alice3"))) {
            subscribe(alice, room, true);
            HttpResponse<java.io.InputStream> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + gw.port() + "/connection/uni_http_stream"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + token("uni-user")
                            + "\",\"subs\":{\"" + room + "\":{}}}")).build(), HttpResponse.BodyHandlers.ofInputStream());
            try (var s = new UniTransportsEndToEndTest.Stream(r, false)) {
                String client = s.next().path("connect").path("client").asText();
                JsonNode join = awaitPush(alice, room, "join", client);
                assertThat(join.path("push").path("join").path("info").path("user").asText()).isEqualTo("uni-user");
            }
        }
    }

    @Test
    void aUnidirectionalReaderThatAskedHearsOthersJoinAndLeave() throws Exception {
        String room = "jl-uni-hears";
        try (var s = UniTransportsEndToEndTest.sse(gw, "{\"token\":\"" + token("uni-listener") + "\",\"subs\":{\""
                + room + "\":{\"join_leave\":true}}}")) {
            assertThat(s.next().has("connect")).isTrue();
            String bobClient;
            try (var bob = CentrifugeTestClient.connect(gw.port(), token("uni-bob"))) {
                bobClient = clientId(bob);
                subscribe(bob, room, false);
                JsonNode join = s.nextNonPing();
                assertThat(join.path("channel").asText()).isEqualTo(room);
                assertThat(join.path("join").path("info").path("client").asText()).isEqualTo(bobClient);
                assertThat(join.path("join").path("info").path("user").asText()).isEqualTo("uni-bob");
            }
            JsonNode leave = s.nextNonPing();
            assertThat(leave.path("leave").path("info").path("client").asText()).isEqualTo(bobClient);
        }
    }

    @Test
    void aUnidirectionalConnectWithAJoinLeaveThatIsNoBooleanIsRefused() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gw.port() + "/connection/uni_http_stream"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"subs\":{\"jl-x\":{\"join_leave\":\"yes\"}}}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(400);
    }
}
