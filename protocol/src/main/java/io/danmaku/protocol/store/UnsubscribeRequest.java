package io.danmaku.protocol.store;

import io.danmaku.protocol.RoomId;

/**
 * Unsubscribe a user's connections from a room on every gateway (the server API's {@code unsubscribe}): each
 * matching Centrifugo-protocol connection subscribed to it leaves the room and gets an unsubscribe push.
 *
 * @param room a valid room id
 */
public record UnsubscribeRequest(String userId, String clientId, String room) implements ControlMessage {
    public UnsubscribeRequest {
        ControlMessage.check(userId, clientId);
        RoomId.requireValid(room, "room");
    }
}
