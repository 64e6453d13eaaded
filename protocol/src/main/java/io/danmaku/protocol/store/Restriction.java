package io.danmaku.protocol.store;

/** Whether a user may post in a room: a ban applies everywhere, a mute to one room. */
public enum Restriction {
    NONE,
    MUTED,
    BANNED
}
