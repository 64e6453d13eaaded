package io.danmaku.server.http;

import static java.util.Objects.requireNonNull;

import io.danmaku.gateway.auth.Identity;
import io.danmaku.gateway.auth.PrivateRooms;
import io.danmaku.gateway.auth.TokenException;
import io.danmaku.gateway.auth.TokenVerifier;
import io.danmaku.protocol.api.ApiRequest;
import io.danmaku.protocol.api.RoomReadAccess;
import io.danmaku.protocol.api.RoomReadAccess.Verdict;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;

/**
 * The history API's access rules, the same as subscribing on a connection: the API key
 * ({@code X-API-Key: <key>} or {@code Authorization: apikey <key>}) reads any room; a connection token
 * ({@code Authorization: Bearer <JWT>}) reads the rooms its {@code rooms} claim allows, any room without the
 * claim; no credentials read only while anonymous access is on. Credentials that are present but wrong are
 * refused even when anonymous reading is on, so a client learns its token is bad. A private room
 * ({@code gateway.private-rooms}) is read only with the API key or a connection token whose {@code rooms} claim
 * lists it: a request carries no subscription, and a token without the claim (any room) does not reach it. A
 * user-limited room ({@code name#alice,bob}) is read only with the API key or a token of one of its users.
 * Thread-safe.
 */
public final class TokenReadAccess implements RoomReadAccess {
    private static final String CREDENTIALS = "Authorization: Bearer <connection token>, or the API key in X-API-Key";

    private final TokenVerifier tokens;
    private final byte[] apiKey;
    private final boolean allowAnonymous;
    private final PrivateRooms privateRooms;

    /** @param apiKey the backends' key, or null when there is none */
    public TokenReadAccess(TokenVerifier tokens, String apiKey, boolean allowAnonymous) {
        this(tokens, apiKey, allowAnonymous, PrivateRooms.NONE);
    }

    /**
     * @param apiKey the backends' key, or null when there is none
     * @param privateRooms rooms read only with the API key or a token that lists them
     */
    public TokenReadAccess(TokenVerifier tokens, String apiKey, boolean allowAnonymous, PrivateRooms privateRooms) {
        this.tokens = requireNonNull(tokens, "tokens");
        this.apiKey = apiKey == null ? null : apiKey.getBytes(StandardCharsets.UTF_8);
        this.allowAnonymous = allowAnonymous;
        this.privateRooms = requireNonNull(privateRooms, "privateRooms");
    }

    @Override
    public Verdict check(ApiRequest request, String room) {
        String key = request.header("x-api-key");
        String authorization = request.header("authorization");
        String bearer = null;
        if (authorization != null) {
            String a = authorization.strip();
            String scheme = a.length() > 7 ? a.substring(0, 7).toLowerCase(Locale.ROOT) : "";
            if (scheme.equals("apikey ") && key == null) {
                key = a.substring(7).strip();
            } else if (scheme.equals("bearer ")) {
                bearer = a.substring(7).strip();
            } else {
                return Verdict.unauthorized("unauthorized: Authorization scheme not accepted (expected: "
                        + CREDENTIALS + ")");
            }
        }
        if (key != null) {
            return apiKey != null && MessageDigest.isEqual(key.strip().getBytes(StandardCharsets.UTF_8), apiKey)
                    ? Verdict.ALLOWED
                    : Verdict.unauthorized("unauthorized: wrong API key");
        }
        boolean privateRoom = privateRooms.isPrivate(room);
        if (bearer != null) {
            Identity identity;
            try {
                identity = tokens.verify(bearer);
            } catch (TokenException e) {
                return Verdict.unauthorized("unauthorized: " + e.getMessage());
            }
            if (!identity.mayJoin(room)) {
                return Verdict.forbidden("permission denied: the token does not allow room " + room);
            }
            if (!io.danmaku.protocol.RoomId.admits(room, identity.anonymous() ? null : identity.user().id())) {
                return Verdict.forbidden("permission denied: room " + room + " is limited to the users listed after"
                        + " its '#'");
            }
            return privateRoom && !identity.lists(room)
                    ? Verdict.forbidden("permission denied: room " + room + " is private (expected: the API key, "
                            + "or a token whose rooms claim lists it)")
                    : Verdict.ALLOWED;
        }
        if (privateRoom) {
            return Verdict.unauthorized("unauthorized: room " + room + " is private (expected: the API key, or "
                    + "Authorization: Bearer <connection token> whose rooms claim lists it)");
        }
        if (io.danmaku.protocol.RoomId.limitedTo(room) != null) {
            return Verdict.unauthorized("unauthorized: room " + room + " is limited to the users listed after its '#'"
                    + " (expected: the API key, or Authorization: Bearer <connection token> of one of them)");
        }
        return allowAnonymous ? Verdict.ALLOWED
                : Verdict.unauthorized("unauthorized: anonymous reading is off (expected: " + CREDENTIALS + ")");
    }
}
