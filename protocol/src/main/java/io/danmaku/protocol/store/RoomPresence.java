package io.danmaku.protocol.store;

import java.util.List;

/**
 * One gateway's presence in one room ({@link HotStore#reportPresence}).
 *
 * @param clients its connections in the room (0 removes the gateway's entry)
 * @param users its distinct users among them (anonymous connections count as one user each)
 * @param members every connection, or null when the gateway does not list them (more than the presence cap)
 */
public record RoomPresence(int clients, int users, List<PresenceMember> members) {
    public RoomPresence {
        if (clients < 0 || users < 0 || users > clients) {
            throw new IllegalArgumentException("clients, users: " + clients + ", " + users
                    + " (expected: 0 <= users <= clients)");
        }
        if (members != null) {
            members = List.copyOf(members);
            if (members.size() != clients) {
                throw new IllegalArgumentException("members: " + members.size() + " (expected: clients = "
                        + clients + ")");
            }
        }
    }

    public static final RoomPresence EMPTY = new RoomPresence(0, 0, List.of());
}
