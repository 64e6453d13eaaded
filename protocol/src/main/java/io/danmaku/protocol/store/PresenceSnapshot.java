package io.danmaku.protocol.store;

import java.util.List;

/**
 * A room's presence over every live gateway ({@link HotStore#presence}).
 *
 * @param clients connections, summed over the gateways (their online counts)
 * @param users distinct users, summed over the gateways: a user connected through two gateways counts twice; a
 *              gateway that reported no presence yet counts its connections
 * @param members every listed connection of the gateways
 * @param complete true when every live gateway listed its members: {@code members} is the whole room
 */
public record PresenceSnapshot(long clients, long users, List<PresenceMember> members, boolean complete) {
    public PresenceSnapshot {
        members = List.copyOf(members);
    }

    public static final PresenceSnapshot EMPTY = new PresenceSnapshot(0, 0, List.of(), true);
}
