package io.danmaku.protocol.bus;

import static java.util.Objects.requireNonNull;

/** A message to publish: the room (the bus key) and the compact JSON of the stamped message. */
public record BusMessage(String room, byte[] payload) {
    public BusMessage {
        requireNonNull(room, "room");
        requireNonNull(payload, "payload");
    }
}
