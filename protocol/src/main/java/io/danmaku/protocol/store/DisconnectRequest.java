package io.danmaku.protocol.store;

import static java.util.Objects.requireNonNull;

/**
 * A request to close connections of a user on every gateway ({@link HotStore#publishDisconnect}): all of them when
 * {@code clientId} is null, else only the connection with that client id (the {@code client} a Centrifugo-protocol
 * connect reply names).
 *
 * @param userId the user, not empty
 * @param clientId one connection's client id (1..{@value #MAX_CLIENT_ID_LENGTH} characters, no line feed), or
 *                 null for every connection of the user
 */
public record DisconnectRequest(String userId, String clientId) {
    public static final int MAX_CLIENT_ID_LENGTH = 64;

    public DisconnectRequest {
        requireNonNull(userId, "userId");
        if (userId.isEmpty()) {
            throw new IllegalArgumentException("userId: empty (expected: a user id)");
        }
        if (clientId != null && (clientId.isEmpty() || clientId.length() > MAX_CLIENT_ID_LENGTH
                || clientId.indexOf('\n') >= 0)) {
            throw new IllegalArgumentException("clientId: " + clientId.length() + " characters (expected: 1.."
                    + MAX_CLIENT_ID_LENGTH + " without a line feed, or null)");
        }
    }

    public static DisconnectRequest user(String userId) {
        return new DisconnectRequest(userId, null);
    }

    /** True if a connection of {@code userId} with client id {@code connectionClientId} (null if none) matches. */
    public boolean matches(String connectionUserId, String connectionClientId) {
        return userId.equals(connectionUserId) && (clientId == null || clientId.equals(connectionClientId));
    }
}
