package io.danmaku.gateway.protocol.centrifuge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.gateway.GatewayConfig;
import io.danmaku.gateway.auth.PrivateRooms;
import io.danmaku.gateway.auth.TokenRules;
import io.danmaku.gateway.auth.TokenVerifier;
import io.danmaku.gateway.room.FanoutMetrics;
import io.danmaku.gateway.room.RoomRegistry;
import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.danmaku.testkit.ws.TestTokens;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Rooms matching {@code gateway.private-rooms} ({@code private.*} here) on one Centrifugo-protocol connection in an
 * {@code EmbeddedChannel}: subscribing needs a subscription token for the connection's user and the room;
 * publish, history and presence_stats need that subscription or a connection token whose {@code rooms} lists it.
 */
class PrivateRoomTest {
    static final String SECRET = "private-room-secret-private-room-secret-0";
    static final Algorithm HS256 = Algorithm.HMAC256(SECRET.getBytes(StandardCharsets.UTF_8));

    MemoryMessageBus bus;
    EmbeddedChannel ch;

    @BeforeEach
    void setUp() {
        bus = new MemoryMessageBus();
        ch = new EmbeddedChannel();
        GatewayConfig config = GatewayConfig.builder().batchWindow(Duration.ZERO).postLinger(Duration.ZERO)
                .privateRooms(PrivateRooms.of(List.of("private.*"))).build();
        RoomRegistry registry = new RoomRegistry(ch.eventLoop(), 0, 100, 16,
                new FanoutMetrics(new SimpleMeterRegistry()));
        TokenVerifier tokens = TokenVerifier.create(
                TokenRules.keys(SECRET, null, null).withLeeway(TokenRules.DEFAULT_LEEWAY), Clock.systemUTC());
        GatewayContext ctx = new GatewayContext(config, registry, bus, new MemoryHotStore(),
                batch -> CompletableFuture.failedFuture(new AssertionError("no post reaches logic here")),
                tokens, true, new SimpleMeterRegistry());
        ch.pipeline().addLast(new CentrifugeHandler(ctx));
    }

    @AfterEach
    void tearDown() {
        ch.finishAndReleaseAll();
        bus.close();
    }

    JsonNode send(String json) {
        ch.writeInbound(new TextWebSocketFrame(json));
        ch.runPendingTasks();
        Object out = ch.readOutbound();
        assertThat(out).isInstanceOf(TextWebSocketFrame.class);
        TextWebSocketFrame f = (TextWebSocketFrame) out;
        try {
            return Json.MAPPER.readTree(f.text());
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            f.release();
        }
    }

    void connect(String user) {
        connectWith(TestTokens.hs256(SECRET, user, user));
    }

    void connectWith(String token) {
        assertThat(send("{\"id\":1,\"connect\":{\"token\":\"" + token + "\"}}").has("connect")).isTrue();
    }

    static String subscriptionToken(String user, String room, Instant exp) {
        return JWT.create().withSubject(user).withClaim("channel", room).withExpiresAt(exp).sign(HS256);
    }

    JsonNode subscribe(String room, String token) {
        return send("{\"id\":2,\"subscribe\":{\"channel\":\"" + room + "\""
                + (token == null ? "" : ",\"token\":\"" + token + "\"") + "}}");
    }

    void finish() {
        assertThat((Object) ch.readOutbound()).as("nothing more written").isNull();
        assertFalse(ch.finish());
    }

    @Test
    void aValidSubscriptionTokenSubscribesAndThenReadsHistoryAndTheOnlineCount() {
        connect("u1");
        JsonNode sub = subscribe("private.a", subscriptionToken("u1", "private.a", Instant.now().plusSeconds(600)));
        assertThat(sub.path("subscribe").path("epoch").asText()).isEqualTo(bus.epoch("private.a"));

        assertThat(send("{\"id\":3,\"history\":{\"channel\":\"private.a\",\"limit\":10}}").has("history")).isTrue();
        assertThat(send("{\"id\":4,\"presence_stats\":{\"channel\":\"private.a\"}}")
                .path("presence_stats").path("num_clients").asLong()).isEqualTo(1);
        finish();
    }

    @Test
    void withoutASubscriptionTokenTheSubscribeIsDeniedSayingWhy() {
        connect("u1");
        JsonNode error = subscribe("private.a", null).path("error");
        assertThat(error.path("code").asInt()).isEqualTo(103);
        assertThat(error.path("message").asText()).contains("private.a is private", "subscribe.token");
        assertThat(ch.isOpen()).isTrue();
        finish();
    }

    @Test
    void anotherUsersOrAnotherRoomsOrAForgedSubscriptionTokenIsDenied() {
        connect("u1");
        Instant exp = Instant.now().plusSeconds(600);
        JsonNode otherUser = subscribe("private.a", subscriptionToken("u2", "private.a", exp)).path("error");
        assertThat(otherUser.path("code").asInt()).isEqualTo(103);
        assertThat(otherUser.path("message").asText()).contains("sub claim");

        JsonNode otherRoom = subscribe("private.a", subscriptionToken("u1", "private.b", exp)).path("error");
        assertThat(otherRoom.path("code").asInt()).isEqualTo(103);
        assertThat(otherRoom.path("message").asText()).contains("channel claim private.b");

        String forged = JWT.create().withSubject("u1").withClaim("channel", "private.a").withExpiresAt(exp)
                .sign(Algorithm.HMAC256("not-the-secret-not-the-secret-not-the-s"));
        assertThat(subscribe("private.a", forged).path("error").path("code").asInt()).isEqualTo(103);

        String connectionToken = TestTokens.hs256(SECRET, "u1", "u1");
        assertThat(subscribe("private.a", connectionToken).path("error").path("code").asInt())
                .as("a connection token is no subscription token").isEqualTo(103);
        finish();
    }

    @Test
    void anExpiredSubscriptionTokenIsTemporaryError109SoTheSdkFetchesANewOne() {
        connect("u1");
        JsonNode error = subscribe("private.a", subscriptionToken("u1", "private.a",
                Instant.now().minusSeconds(120))).path("error");
        assertThat(error.path("code").asInt()).isEqualTo(109);
        assertThat(error.path("temporary").asBoolean()).isTrue();
        finish();
    }

    @Test
    void anonymousConnectionsCannotSubscribeToAPrivateRoom() {
        assertThat(send("{\"id\":1,\"connect\":{}}").has("connect")).isTrue();
        JsonNode error = subscribe("private.a", subscriptionToken("", "private.a",
                Instant.now().plusSeconds(600))).path("error");
        assertThat(error.path("code").asInt()).isEqualTo(103);
        assertThat(error.path("message").asText()).contains("connect with a token");
        finish();
    }

    @Test
    void withoutSubscriptionAConnectionTokenWithoutTheRoomInItsRoomsClaimCannotReadOrPost() {
        connect("u1");
        for (String command : List.of("{\"id\":3,\"history\":{\"channel\":\"private.a\"}}",
                "{\"id\":4,\"presence_stats\":{\"channel\":\"private.a\"}}",
                "{\"id\":5,\"publish\":{\"channel\":\"private.a\",\"data\":{\"text\":\"hi\"}}}")) {
            JsonNode error = send(command).path("error");
            assertThat(error.path("code").asInt()).as(command).isEqualTo(103);
            assertThat(error.path("message").asText()).as(command).contains("private.a is private");
        }
        finish();
    }

    @Test
    void aConnectionTokenListingThePrivateRoomReadsHistoryAndCountButStillNeedsASubscriptionToken() {
        connectWith(TestTokens.hs256(SECRET, "u1", "u1", Instant.now().plusSeconds(600), List.of("private.a")));

        assertThat(send("{\"id\":3,\"history\":{\"channel\":\"private.a\"}}").has("history")).isTrue();
        assertThat(send("{\"id\":4,\"presence_stats\":{\"channel\":\"private.a\"}}").has("presence_stats")).isTrue();
        assertThat(subscribe("private.a", null).path("error").path("code").asInt()).isEqualTo(103);
        finish();
    }

    @Test
    void roomsOutsideThePatternsNeedNoSubscriptionToken() {
        assertThat(send("{\"id\":1,\"connect\":{}}").has("connect")).isTrue();
        assertThat(subscribe("privateroom", null).has("subscribe")).isTrue();
        assertThat(send("{\"id\":3,\"history\":{\"channel\":\"room1\"}}").has("history")).isTrue();
        finish();
    }
}
