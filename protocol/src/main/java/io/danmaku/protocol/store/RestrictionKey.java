package io.danmaku.protocol.store;

import static java.util.Objects.requireNonNull;

/** A (room, user) pair whose ban/mute state is asked for in a {@link HotStore#restrictions batch lookup}. */
public record RestrictionKey(String room, String userId) {
    public RestrictionKey {
        requireNonNull(room, "room");
        requireNonNull(userId, "userId");
    }
}
