package io.danmaku.protocol.store;

import static java.util.Objects.requireNonNull;

/**
 * What a node (one process of one role) reports about itself to the hot store periodically
 * ({@link HotStore#reportNode}), for the server API's {@code info}.
 *
 * @param id the node id, unique in the cluster (not empty, no line feed)
 * @param role {@code gateway}, {@code logic}, {@code storage} or {@code standalone}
 * @param version the software version
 * @param startedAtMillis when the node started (epoch ms)
 * @param clients its open client connections (0 for roles without any)
 * @param users its distinct users with a connection
 * @param rooms the rooms it has members in
 */
public record NodeInfo(String id, String role, String version, long startedAtMillis, long clients, long users,
                       long rooms) {
    public NodeInfo {
        requireNonNull(id, "id");
        requireNonNull(role, "role");
        requireNonNull(version, "version");
        if (id.isEmpty() || id.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("id: \"" + id + "\" (expected: not empty, no line feed)");
        }
        if (clients < 0 || users < 0 || rooms < 0) {
            throw new IllegalArgumentException("clients, users, rooms: " + clients + ", " + users + ", " + rooms
                    + " (expected: >= 0)");
        }
    }
}
