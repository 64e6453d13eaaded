package io.danmaku.server.role;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The history API served by standalone follows the rules of subscribing, with anonymous access off: no
 * credentials and bad tokens get 401, a token's rooms claim is honoured (403 elsewhere), the API key reads any
 * room; presence_stats on a connection honours the rooms claim too.
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
                "gateway.drain.window=0s"));
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
}
