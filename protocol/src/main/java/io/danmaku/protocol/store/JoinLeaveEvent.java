package io.danmaku.protocol.store;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.RoomId;

/**
 * A connection joined or left a room that tells its members so (the gateways' {@code gateway.join-leave.rooms}),
 * published by the gateway that holds the connection through the control channel ({@link HotStore#publishControl})
 * so every gateway can tell its members of the room. Not a request about a user's connections: gateways route it to
 * the room, never to the connections of {@link #userId()}. Ephemeral, like the channel: never stored.
 *
 * @param room a valid room id
 * @param join true for a join, false for a leave
 * @param userId the connection's user, {@code ""} when anonymous
 * @param clientId the connection's client id, not empty
 * @param connInfo the connection's info as a JSON object, or null
 */
public record JoinLeaveEvent(String room, boolean join, String userId, String clientId, String connInfo)
        implements ControlMessage {
    public JoinLeaveEvent {
        RoomId.requireValid(room, "room");
        requireNonNull(userId, "userId");
        requireNonNull(clientId, "clientId");
        if (clientId.isEmpty() || clientId.length() > 128) {
            throw new IllegalArgumentException("clientId: " + clientId.length() + " characters (expected: 1..128)");
        }
    }

    /** Never: a join or leave concerns a room, not the connections of a user. */
    @Override
    public boolean matches(String connectionUserId, String connectionClientId) {
        return false;
    }
}
