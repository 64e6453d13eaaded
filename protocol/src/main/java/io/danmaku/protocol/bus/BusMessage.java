package io.danmaku.protocol.bus;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.trace.TraceId;

/**
 * A message to publish: the room (the bus key), the compact JSON of the stamped message and the trace id of the post
 * it came from ({@code null}: none), which the bus carries beside the payload (Kafka: header {@code trace_id}) to
 * the {@link io.danmaku.protocol.RoomRecord} storage reads.
 */
public record BusMessage(String room, byte[] payload, TraceId traceId) {
    public BusMessage {
        requireNonNull(room, "room");
        requireNonNull(payload, "payload");
    }

    /** A message without a trace id. */
    public BusMessage(String room, byte[] payload) {
        this(room, payload, null);
    }
}
