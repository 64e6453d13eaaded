package io.danmaku.gateway.room;

import static java.util.Objects.requireNonNull;

import io.danmaku.gateway.auth.PrivateRooms;
import java.util.List;

/**
 * Which rooms tell their members who joins and leaves ({@code gateway.join-leave.rooms}: room id patterns, {@code *}
 * for any run of characters; none by default), and up to what size ({@code gateway.join-leave.max-members}): a room
 * with more connections than that, over all gateways as last reported, emits no join or leave at all, so a big room
 * never floods its members and the gateways with them. Immutable.
 */
public final class JoinLeaveRooms {
    public static final int DEFAULT_MAX_MEMBERS = 1000;
    public static final JoinLeaveRooms NONE = new JoinLeaveRooms(List.of(), DEFAULT_MAX_MEMBERS);

    private final PrivateRooms patterns;
    private final int maxMembers;

    public JoinLeaveRooms(List<String> patterns, int maxMembers) {
        requireNonNull(patterns, "gateway.join-leave.rooms");
        this.patterns = PrivateRooms.of(patterns);
        if (maxMembers < 1 || maxMembers > 100_000) {
            throw new IllegalArgumentException("gateway.join-leave.max-members: " + maxMembers
                    + " (expected: 1..100000)");
        }
        this.maxMembers = maxMembers;
    }

    public List<String> patterns() {
        return patterns.patterns();
    }

    public int maxMembers() {
        return maxMembers;
    }

    public boolean isEmpty() {
        return patterns.isEmpty();
    }

    /** Whether {@code room} is one of the rooms with join and leave events (whatever its size). */
    public boolean enabled(String room) {
        return !patterns.isEmpty() && patterns.isPrivate(room);
    }

    @Override
    public String toString() {
        return patterns + " up to " + maxMembers + " members";
    }
}
