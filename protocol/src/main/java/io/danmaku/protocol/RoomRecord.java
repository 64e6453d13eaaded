package io.danmaku.protocol;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;

/**
 * One stamped room message at its place in the room's stream: what the bus delivers, what the hot store
 * keeps as history, what the gateways fan out. {@code payload} is the compact JSON of a {@link RoomMessage}
 * (UTF-8); it is never modified after construction and must not be mutated by anyone holding it.
 *
 * <p>{@code offset} orders the room: strictly increasing within an {@code epoch}, not necessarily contiguous
 * (the Kafka offset of the record plus one, or a per-room sequence from 1 in memory; never 0, which means
 * "nothing seen yet"). {@code epoch} names the stream incarnation: a client position from another epoch cannot
 * be recovered.
 */
public record RoomRecord(String room, long offset, String epoch, long timeMillis, byte[] payload) {
    public RoomRecord {
        requireNonNull(room, "room");
        requireNonNull(epoch, "epoch");
        requireNonNull(payload, "payload");
        if (offset < 0) {
            throw new IllegalArgumentException("offset: " + offset + " (expected: >= 0)");
        }
    }

    public String payloadText() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "RoomRecord[room=" + room + ", offset=" + offset + ", epoch=" + epoch + ", time=" + timeMillis
                + ", payload=" + payloadText() + "]";
    }
}
