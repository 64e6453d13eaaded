package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.gateway.auth.PrivateRooms;
import io.danmaku.gateway.protocol.centrifuge.pb.Command;
import io.danmaku.gateway.protocol.centrifuge.pb.Reply;
import io.danmaku.gateway.protocol.centrifuge.pb.SubRefreshRequest;
import io.danmaku.gateway.protocol.centrifuge.pb.SubscribeRequest;
import io.danmaku.protocol.json.Json;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import io.danmaku.testkit.ws.TestTokens;
import io.danmaku.testkit.ws.TestWebSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code sub_refresh} of a private room's subscription with {@code gateway.token.expiry=close}: the subscribe reply
 * announces the subscription token's expiry ({@code expires}, {@code ttl}), the subscription ends with an unsubscribe
 * push 2501 when it passes, and a {@code sub_refresh} with a new token before then moves the deadline. Bad
 * refreshes are error replies and leave the subscription as it was. The same over the Protobuf variant.
 */
class SubRefreshEndToEndTest {
    static final Algorithm HS256 = Algorithm.HMAC256(GatewayHarness.SECRET.getBytes(StandardCharsets.UTF_8));
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        gw = new GatewayHarness(GatewayConfig.builder().pingInterval(Duration.ofMillis(200)).closeOnTokenExpiry(true)
                .privateRooms(PrivateRooms.of(List.of("private.*"))).build(), true);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    static String subToken(String user, String room, Instant exp) {
        return JWT.create().withSubject(user).withClaim("channel", room).withExpiresAt(exp).sign(HS256);
    }

    static CentrifugeTestClient connect(String user) {
        return CentrifugeTestClient.connect(gw.port(), TestTokens.hs256(GatewayHarness.SECRET, user, user));
    }

    static JsonNode subscribe(CentrifugeTestClient c, String room, String token) {
        return c.command("subscribe", Json.MAPPER.createObjectNode().put("channel", room).put("token", token));
    }

    static JsonNode subRefresh(CentrifugeTestClient c, String room, String token) {
        return c.command("sub_refresh", Json.MAPPER.createObjectNode().put("channel", room).put("token", token));
    }

    @Test
    void withoutARefreshTheSubscriptionEndsWith2501WhenItsTokenExpires() {
        String room = "private.expire";
        try (var c = connect("ann")) {
            JsonNode sub = subscribe(c, room, subToken("ann", room, Instant.now().plusSeconds(2))).path("subscribe");
            assertThat(sub.path("expires").asBoolean()).isTrue();
            assertThat(sub.path("ttl").asLong()).isBetween(1L, 3L);
            JsonNode push = c.socket().await(n -> n.path("push").has("unsubscribe"), Duration.ofSeconds(20));
            assertThat(push.path("push").path("channel").asText()).isEqualTo(room);
            assertThat(push.path("push").path("unsubscribe").path("code").asInt()).isEqualTo(2501);
            assertThat(push.path("push").path("unsubscribe").path("reason").asText()).isEqualTo("subscription expired");
            // the connection stays, and subscribing again with a new token works
            assertThat(subscribe(c, room, subToken("ann", room, Instant.now().plusSeconds(600))).has("subscribe"))
                    .isTrue();
        }
    }

    @Test
    void aRefreshBeforeExpiryKeepsTheSubscription() throws Exception {
        String room = "private.refresh";
        try (var c = connect("bea")) {
            subscribe(c, room, subToken("bea", room, Instant.now().plusSeconds(2)));
            JsonNode r = subRefresh(c, room, subToken("bea", room, Instant.now().plusSeconds(600)));
            assertThat(r.path("sub_refresh").path("expires").asBoolean()).as("reply %s", r).isTrue();
            assertThat(r.path("sub_refresh").path("ttl").asLong()).isBetween(590L, 601L);
            Thread.sleep(3000); // past the first token's expiry: several ping ticks
            gw.publish(room, "still here");
            assertThat(c.awaitPublications(room, 1).get(0).path("data").path("text").asText()).isEqualTo("still here");
            assertThat(c.socket().lines()).noneMatch(n -> n.path("push").has("unsubscribe"));
        }
    }

    @Test
    void badRefreshesAreErrorsAndTheSubscriptionStays() {
        String room = "private.bad";
        try (var c = connect("cid")) {
            subscribe(c, room, subToken("cid", room, Instant.now().plusSeconds(600)));
            // a token for another room
            JsonNode other = subRefresh(c, room, subToken("cid", "private.other", Instant.now().plusSeconds(600)));
            assertThat(other.path("error").path("code").asInt()).isEqualTo(103);
            assertThat(other.path("error").path("message").asText()).contains("channel claim");
            // another user's token
            JsonNode user = subRefresh(c, room, subToken("dan", room, Instant.now().plusSeconds(600)));
            assertThat(user.path("error").path("code").asInt()).isEqualTo(103);
            // an expired one: 109, temporary (the SDK fetches a new one)
            JsonNode expired = subRefresh(c, room, subToken("cid", room, Instant.now().minusSeconds(3600)));
            assertThat(expired.path("error").path("code").asInt()).isEqualTo(109);
            assertThat(expired.path("error").path("temporary").asBoolean()).isTrue();
            // none at all
            JsonNode none = subRefresh(c, room, "");
            assertThat(none.path("error").path("code").asInt()).isEqualTo(103);
            assertThat(none.path("error").path("message").asText()).contains("sub_refresh.token");
            // a room not subscribed; a channel that is no room id
            assertThat(subRefresh(c, "private.never", "x").path("error").path("code").asInt()).isEqualTo(103);
            JsonNode badChannel = subRefresh(c, "no spaces allowed", "x");
            assertThat(badChannel.path("error").path("code").asInt()).isEqualTo(107);
            assertThat(badChannel.path("error").path("message").asText()).contains("sub_refresh.channel");
            gw.publish(room, "after the bad refreshes");
            assertThat(c.awaitPublications(room, 1)).hasSize(1);
        }
    }

    @Test
    void overProtobufTheSameExpiryRefreshAndErrors() {
        String room = "private.pb";
        try (TestWebSocket ws = TestWebSocket.connect(URI.create("ws://127.0.0.1:" + gw.port()
                + "/connection/websocket"), null, "centrifuge-protobuf")) {
            CentrifugeProtobufEndToEndTest.send(ws,
                    CentrifugeProtobufEndToEndTest.connect(TestTokens.hs256(GatewayHarness.SECRET, "fay", "Fay")),
                    Command.newBuilder().setId(2).setSubscribe(SubscribeRequest.newBuilder().setChannel(room)
                            .setToken(subToken("fay", room, Instant.now().plusSeconds(2)))).build());
            Reply sub = CentrifugeProtobufEndToEndTest.await(ws, r -> r.getId() == 2);
            assertThat(sub.getSubscribe().getExpires()).as("reply %s", sub).isTrue();
            assertThat(sub.getSubscribe().getTtl()).isBetween(1, 3);
            CentrifugeProtobufEndToEndTest.send(ws, subRefresh(3, room,
                    subToken("fay", room, Instant.now().plusSeconds(600))));
            Reply refreshed = CentrifugeProtobufEndToEndTest.await(ws, r -> r.getId() == 3);
            assertThat(refreshed.getSubRefresh().getExpires()).as("reply %s", refreshed).isTrue();
            assertThat(refreshed.getSubRefresh().getTtl()).isBetween(590, 601);
            CentrifugeProtobufEndToEndTest.send(ws, subRefresh(4, room,
                    subToken("fay", "private.other", Instant.now().plusSeconds(600))));
            assertThat(CentrifugeProtobufEndToEndTest.await(ws, r -> r.getId() == 4).getError().getCode())
                    .isEqualTo(103);
        }
    }

    static Command subRefresh(int id, String room, String token) {
        return Command.newBuilder().setId(id).setSubRefresh(SubRefreshRequest.newBuilder().setChannel(room)
                .setToken(token)).build();
    }

    @Test
    void aPublicRoomNeedsNoRefreshAndItsSubscriptionDoesNotExpire() {
        try (var c = connect("eve")) {
            assertThat(c.subscribe("public-room").path("subscribe").has("expires")).isFalse();
            JsonNode r = subRefresh(c, "public-room", "");
            assertThat(r.has("sub_refresh")).as("reply %s", r).isTrue();
            assertThat(r.path("sub_refresh").has("expires")).isFalse();
        }
    }
}
