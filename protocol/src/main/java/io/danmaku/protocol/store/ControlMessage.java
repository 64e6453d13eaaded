package io.danmaku.protocol.store;

/**
 * A request from the server API to every gateway about the connections of one user ({@link HotStore#publishControl}):
 * all of them when {@link #clientId()} is null, else only the connection with that client id (the {@code client}
 * a Centrifugo-protocol connect reply names). Each gateway acts on the matching connections it holds.
 * {@link JoinLeaveEvent} travels the same channel but concerns a room: gateways hand it to the room's members.
 */
public sealed interface ControlMessage permits DisconnectRequest, SubscribeRequest, UnsubscribeRequest,
        RefreshRequest, JoinLeaveEvent {
    int MAX_CLIENT_ID_LENGTH = 64;

    /** The user, not empty. */
    String userId();

    /** One connection's client id, or null for every connection of the user. */
    String clientId();

    /** True if a connection of {@code connectionUserId} with client id {@code connectionClientId} (null if none) matches. */
    default boolean matches(String connectionUserId, String connectionClientId) {
        return userId().equals(connectionUserId) && (clientId() == null || clientId().equals(connectionClientId));
    }

    /** Checks the fields every message has; called by the records' constructors. */
    static void check(String userId, String clientId) {
        java.util.Objects.requireNonNull(userId, "userId");
        if (userId.isEmpty()) {
            throw new IllegalArgumentException("userId: empty (expected: a user id)");
        }
        if (clientId != null && (clientId.isEmpty() || clientId.length() > MAX_CLIENT_ID_LENGTH
                || clientId.indexOf('\n') >= 0)) {
            throw new IllegalArgumentException("clientId: " + clientId.length() + " characters (expected: 1.."
                    + MAX_CLIENT_ID_LENGTH + " without a line feed, or null)");
        }
    }
}
