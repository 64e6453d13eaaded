package io.danmaku.protocol.json;

/**
 * What the fan-out needs to know of a room message to sample a hot room ({@link RoomMessageCodec#classify}):
 * whether it is a priority message ({@link io.danmaku.protocol.RoomMessage#isPriority()}), never sampled out, and
 * the user id of its author, who always sees their own posts (null: no author).
 */
public record MessageClass(boolean priority, String author) {
    /** An event ({@code cmd} set): priority, no author. */
    public static final MessageClass EVENT = new MessageClass(true, null);
    /** A payload that could not be read: treated as priority, no author. */
    public static final MessageClass UNREADABLE = new MessageClass(true, null);
}
