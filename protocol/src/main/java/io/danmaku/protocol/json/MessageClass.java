package io.danmaku.protocol.json;

/**
 * What the fan-out needs to know of a room message to sample a hot room ({@link RoomMessageCodec#classify}):
 * whether it is a priority message ({@link io.danmaku.protocol.RoomMessage#isPriority()}), never sampled out, the
 * user id of its author, who always sees their own posts (null: no author), and its server time ({@code time}, ms
 * since the epoch; 0 when the payload has none).
 */
public record MessageClass(boolean priority, String author, long timeMillis) {
    /** A payload that could not be read: treated as priority, no author, no time. */
    public static final MessageClass UNREADABLE = new MessageClass(true, null, 0);
}
