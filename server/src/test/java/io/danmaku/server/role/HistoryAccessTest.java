package io.danmaku.server.role;

import static org.assertj.core.api.Assertions.assertThat;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
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
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The history API served by standalone follows the rules of subscribing, with anonymous access off: no
 * credentials and bad tokens get 401, a token's rooms claim is honoured (403 elsewhere), the API key reads any
 * room; presence_stats on a connection honours the rooms claim too. Private rooms ({@code gateway.private-rooms})
 * are read only with the API key or a token that lists them, and subscribed to only with a subscription token.
 */
class HistoryAccessTest {
    static final String SECRET = "history-access-secret-history-access-0123";
    static final String API_KEY = "history-access-api-key";
    static final HttpClient http = HttpClient.newHttpClient();
    static RoleRunner runner;
    static StandaloneRole role;

    @BeforeAll
    static void start() {
        Config config = new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(), List.of(
                "gateway.host=127.0.0.1", "gateway.port=0", "admin.host=127.0.0.1", "admin.port=0",
                "token.hmac.secret=" + SECRET, "api.key=" + API_KEY, "allow.anonymous=false",
                "gateway.drain.window=0s", "gateway.private-rooms=private.*,*.staff"));
        role = new StandaloneRole();
        runner = new RoleRunner(config, role);
        runner.start();
    }

    @AfterAll
    static void stop() {
        runner.close();
    }

    static HttpResponse<String> history(String room, String header, String value) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + role.gatewayPort()
                + "/api/rooms/" + room + "/history"));
        if (header != null) {
            b.header(header, value);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static int errorCode(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body()).path("error").path("code").asInt();
    }

    @Test
    void withoutCredentialsOrWithABadTokenHistoryIsRefused401() throws Exception {
        HttpResponse<String> none = history("lobby", null, null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(errorCode(none)).isEqualTo(101);

        String expired = TestTokens.hs256(SECRET, "u1", "U", Instant.now().minusSeconds(3600), null);
        assertThat(history("lobby", "Authorization", "Bearer " + expired).statusCode()).isEqualTo(401);
        String forged = TestTokens.hs256("another-secret-another-secret-another-01", "u1", "U");
        assertThat(history("lobby", "Authorization", "Bearer " + forged).statusCode()).isEqualTo(401);
        assertThat(history("lobby", "X-API-Key", "wrong").statusCode()).isEqualTo(401);
    }

    @Test
    void aTokensRoomsClaimIsHonouredAndTheApiKeyReadsAnyRoom() throws Exception {
        String lobbyOnly = TestTokens.hs256(SECRET, "u2", "U", Instant.now().plusSeconds(3600), List.of("lobby"));
        assertThat(history("lobby", "Authorization", "Bearer " + lobbyOnly).statusCode()).isEqualTo(200);
        HttpResponse<String> elsewhere = history("backstage", "Authorization", "Bearer " + lobbyOnly);
        assertThat(elsewhere.statusCode()).isEqualTo(403);
        assertThat(errorCode(elsewhere)).isEqualTo(103);

        String anyRoom = TestTokens.hs256(SECRET, "u3", "U");
        assertThat(history("backstage", "Authorization", "Bearer " + anyRoom).statusCode()).isEqualTo(200);
        assertThat(history("backstage", "X-API-Key", API_KEY).statusCode()).isEqualTo(200);
        assertThat(history("backstage", "Authorization", "apikey " + API_KEY).statusCode()).isEqualTo(200);
    }

    @Test
    void presenceStatsHonoursTheRoomsClaim() {
        String lobbyOnly = TestTokens.hs256(SECRET, "u4", "U", Instant.now().plusSeconds(3600), List.of("lobby"));
        try (CentrifugeTestClient c = CentrifugeTestClient.connect(role.gatewayPort(), lobbyOnly)) {
            JsonNode allowed = c.command("presence_stats", Json.MAPPER.createObjectNode().put("channel", "lobby"));
            assertThat(allowed.has("presence_stats")).as(allowed.toString()).isTrue();
            JsonNode refused = c.command("presence_stats", Json.MAPPER.createObjectNode().put("channel", "backstage"));
            assertThat(refused.path("error").path("code").asInt()).as(refused.toString()).isEqualTo(103);
        }
    }

    @Test
    void aPrivateRoomsHistoryNeedsTheApiKeyOrATokenThatListsIt() throws Exception {
        assertThat(history("private.a", "X-API-Key", API_KEY).statusCode()).isEqualTo(200);
        String listing = TestTokens.hs256(SECRET, "u5", "U", Instant.now().plusSeconds(3600), List.of("private.a"));
        assertThat(history("private.a", "Authorization", "Bearer " + listing).statusCode()).isEqualTo(200);

        String unrestricted = TestTokens.hs256(SECRET, "u5", "U");
        HttpResponse<String> anyRoom = history("private.a", "Authorization", "Bearer " + unrestricted);
        assertThat(anyRoom.statusCode()).as("a token without a rooms claim does not reach a private room")
                .isEqualTo(403);
        assertThat(errorCode(anyRoom)).isEqualTo(103);
        assertThat(anyRoom.body()).contains("private.a is private");
        HttpResponse<String> otherRooms = history("red.staff", "Authorization", "Bearer " + listing);
        assertThat(otherRooms.statusCode()).isEqualTo(403);
        assertThat(history("red.staff", null, null).statusCode()).isEqualTo(401);
    }

    @Test
    void aPrivateRoomIsSubscribedToWithASubscriptionTokenOnly() {
        String token = TestTokens.hs256(SECRET, "u6", "U");
        try (CentrifugeTestClient c = CentrifugeTestClient.connect(role.gatewayPort(), token)) {
            JsonNode refused = c.command("subscribe", Json.MAPPER.createObjectNode().put("channel", "private.b"));
            assertThat(refused.path("error").path("code").asInt()).as(refused.toString()).isEqualTo(103);
            JsonNode notListed = c.command("presence_stats",
                    Json.MAPPER.createObjectNode().put("channel", "private.b"));
            assertThat(notListed.path("error").path("code").asInt()).as(notListed.toString()).isEqualTo(103);

            String grant = JWT.create().withSubject("u6").withClaim("channel", "private.b")
                    .withExpiresAt(Instant.now().plusSeconds(600))
                    .sign(Algorithm.HMAC256(SECRET.getBytes(StandardCharsets.UTF_8)));
            JsonNode subscribed = c.command("subscribe", Json.MAPPER.createObjectNode().put("channel", "private.b")
                    .put("token", grant));
            assertThat(subscribed.has("subscribe")).as(subscribed.toString()).isTrue();
            JsonNode count = c.command("presence_stats", Json.MAPPER.createObjectNode().put("channel", "private.b"));
            assertThat(count.has("presence_stats")).as(count.toString()).isTrue();
        }
    }
}
