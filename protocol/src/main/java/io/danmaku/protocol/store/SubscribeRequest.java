package io.danmaku.protocol.store;

import io.danmaku.protocol.RoomId;

/**
 * Subscribe a user's connections to a room on every gateway (the server API's {@code subscribe}, a server-side
 * subscription): each matching Centrifugo-protocol connection joins the room and gets a subscribe push.
 *
 * @param room a valid room id
 */
public record SubscribeRequest(String userId, String clientId, String room) implements ControlMessage {
    public SubscribeRequest {
        ControlMessage.check(userId, clientId);
        RoomId.requireValid(room, "room");
    }
}
