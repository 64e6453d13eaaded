package io.danmaku.protocol.store;

import static java.util.Objects.requireNonNull;

/**
 * A ban, unban, mute or unmute made through any client of the same store: whoever caches {@link Restriction}s
 * forgets what it knows of {@code userId} (in every room when {@code room} is null, for a ban or unban; in
 * {@code room} only, for a mute or unmute).
 */
public record RestrictionChange(String userId, String room) {
    public RestrictionChange {
        requireNonNull(userId, "userId");
    }

    public static RestrictionChange ofUser(String userId) {
        return new RestrictionChange(userId, null);
    }

    public static RestrictionChange ofRoom(String room, String userId) {
        return new RestrictionChange(userId, requireNonNull(room, "room"));
    }

    /** True for a ban or unban: every room of the user is concerned. */
    public boolean everyRoom() {
        return room == null;
    }
}
