package io.danmaku.protocol.store;

import static java.util.Objects.requireNonNull;

/**
 * One connection in a room's presence (Centrifugo's {@code ClientInfo}).
 *
 * @param clientId the connection's client id
 * @param userId its user ({@code ""} for an anonymous connection)
 * @param connInfo the connection's info as a JSON text (the token's {@code info} claim, or a small object the
 *                 gateway makes), or null
 */
public record PresenceMember(String clientId, String userId, String connInfo) {
    public PresenceMember {
        requireNonNull(clientId, "clientId");
        requireNonNull(userId, "userId");
    }
}
