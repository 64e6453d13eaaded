package io.danmaku.protocol;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.trace.TraceId;
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
 *
 * <p>{@code traceId} is the trace id of the post the message came from, as the bus delivers it to storage (for its
 * log lines), or {@code null}: history read back from the hot store has none, nor do the gateways' fan-out feeds
 * on Kafka, which never read it.
 */
public record RoomRecord(String room, long offset, String epoch, long timeMillis, byte[] payload, TraceId traceId) {
    public RoomRecord {
        requireNonNull(room, "room");
        requireNonNull(epoch, "epoch");
        requireNonNull(payload, "payload");
        if (offset < 0) {
            throw new IllegalArgumentException("offset: " + offset + " (expected: >= 0)");
        }
    }

    /** A record without a trace id. */
    public RoomRecord(String room, long offset, String epoch, long timeMillis, byte[] payload) {
        this(room, offset, epoch, timeMillis, payload, null);
    }

    public String payloadText() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "RoomRecord[room=" + room + ", offset=" + offset + ", epoch=" + epoch + ", time=" + timeMillis
                + ", payload=" + payloadText() + (traceId == null ? "" : ", traceId=" + traceId) + "]";
    }
}
