package io.danmaku.protocol.store;

/**
 * Close connections of a user on every gateway (the server API's {@code disconnect}).
 *
 * @param userId the user, not empty
 * @param clientId one connection's client id (1..{@value ControlMessage#MAX_CLIENT_ID_LENGTH} characters, no line
 *                 feed), or null for every connection of the user
 * @param code the close code for Centrifugo-protocol connections, 3000..4999, or 0 for the default (3503)
 * @param reason the close reason (at most {@value #MAX_REASON_LENGTH} characters), or null for the default
 */
public record DisconnectRequest(String userId, String clientId, int code, String reason) implements ControlMessage {
    public static final int MAX_CLIENT_ID_LENGTH = ControlMessage.MAX_CLIENT_ID_LENGTH;
    public static final int MAX_REASON_LENGTH = 100;

    public DisconnectRequest {
        ControlMessage.check(userId, clientId);
        if (code != 0 && (code < 3000 || code > 4999)) {
            throw new IllegalArgumentException("code: " + code + " (expected: 3000..4999, or 0 for the default)");
        }
        if (reason != null && reason.length() > MAX_REASON_LENGTH) {
            throw new IllegalArgumentException("reason: " + reason.length() + " characters (expected: at most "
                    + MAX_REASON_LENGTH + ")");
        }
    }

    public DisconnectRequest(String userId, String clientId) {
        this(userId, clientId, 0, null);
    }

    public static DisconnectRequest user(String userId) {
        return new DisconnectRequest(userId, null);
    }
}
