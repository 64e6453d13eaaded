package io.danmaku.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.gateway.auth.PrivateRooms;
import io.danmaku.gateway.auth.TokenVerifier;
import io.danmaku.protocol.api.ApiRequest;
import io.danmaku.protocol.api.RoomReadAccess.Verdict;
import io.danmaku.testkit.ws.TestTokens;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The history API's access rules for private rooms while anonymous reading is on. */
class TokenReadAccessTest {
    static final String SECRET = "read-access-secret-read-access-secret-01";
    static final String API_KEY = "read-access-api-key";

    final TokenReadAccess access = new TokenReadAccess(TokenVerifier.create(SECRET, null, Clock.systemUTC()),
            API_KEY, true, PrivateRooms.of(List.of("private.*")));

    static ApiRequest request(Map<String, String> headers) {
        return new ApiRequest("GET", "/api/rooms/x/history", Map.of(), headers, new byte[0]);
    }

    static ApiRequest bearer(String token) {
        return request(Map.of("authorization", "Bearer " + token));
    }

    @Test
    void anonymousReadingDoesNotReachAPrivateRoom() {
        assertThat(access.check(request(Map.of()), "lobby").allowed()).isTrue();
        Verdict v = access.check(request(Map.of()), "private.a");
        assertThat(v.status()).isEqualTo(401);
        assertThat(v.message()).contains("private.a is private");
    }

    @Test
    void aPrivateRoomIsReadWithTheApiKeyOrATokenWhoseRoomsClaimListsIt() {
        assertThat(access.check(request(Map.of("x-api-key", API_KEY)), "private.a").allowed()).isTrue();
        String listing = TestTokens.hs256(SECRET, "u1", "U", Instant.now().plusSeconds(600), List.of("private.a"));
        assertThat(access.check(bearer(listing), "private.a").allowed()).isTrue();

        assertThat(access.check(bearer(TestTokens.hs256(SECRET, "u1", "U")), "private.a").status())
                .as("no rooms claim: any public room, no private one").isEqualTo(403);
        assertThat(access.check(bearer(TestTokens.hs256(SECRET, "u1", "U")), "lobby").allowed()).isTrue();
        assertThat(access.check(bearer(listing), "private.b").status()).isEqualTo(403);
    }

    @Test
    void aUserLimitedRoomIsReadWithTheApiKeyOrATokenOfOneOfItsUsers() {
        assertThat(access.check(request(Map.of("x-api-key", API_KEY)), "notes#alice").allowed()).isTrue();
        assertThat(access.check(bearer(TestTokens.hs256(SECRET, "alice", "A")), "notes#alice").allowed()).isTrue();
        assertThat(access.check(bearer(TestTokens.hs256(SECRET, "bob", "B")), "dm#alice,bob").allowed()).isTrue();

        Verdict other = access.check(bearer(TestTokens.hs256(SECRET, "bob", "B")), "notes#alice");
        assertThat(other.status()).isEqualTo(403);
        assertThat(other.message()).contains("notes#alice is limited to the users listed after its '#'");
        Verdict anonymous = access.check(request(Map.of()), "notes#alice");
        assertThat(anonymous.status()).as("anonymous reading is on, but not for a user's room").isEqualTo(401);
    }
}
