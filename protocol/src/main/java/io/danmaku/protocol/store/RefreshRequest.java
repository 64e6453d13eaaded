package io.danmaku.protocol.store;

/**
 * Change when a user's connections expire, on every gateway (the server API's {@code refresh}, Centrifugo's
 * semantics): with {@code expired} they are closed at once as expired; otherwise they expire at
 * {@code expireAtSeconds} (Unix seconds) and are closed as expired once it passed, unless a client refresh with a
 * new token moves it; {@code 0} removes the expiry.
 */
public record RefreshRequest(String userId, String clientId, boolean expired, long expireAtSeconds)
        implements ControlMessage {
    public RefreshRequest {
        ControlMessage.check(userId, clientId);
        if (expireAtSeconds < 0) {
            throw new IllegalArgumentException("expireAtSeconds: " + expireAtSeconds + " (expected: >= 0)");
        }
    }
}
