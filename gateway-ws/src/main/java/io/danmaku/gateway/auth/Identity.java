package io.danmaku.gateway.auth;

import io.danmaku.protocol.UserRef;
import java.time.Instant;
import java.util.Set;

/**
 * Who is on a connection. {@code user == null} for anonymous read-only connections.
 *
 * @param allowedRooms rooms the token restricts the connection to, or {@code null} for any room
 * @param expiresAt token expiry, or {@code null}
 * @param info the connection's info for presence and join/leave (raw JSON, the connect proxy's {@code info}), or
 *        {@code null}: then {@code {"name":…}} when the user has a display name
 */
public record Identity(UserRef user, Set<String> allowedRooms, Instant expiresAt, String info) {
    public static final Identity ANONYMOUS = new Identity(null, null, null);

    public Identity {
        allowedRooms = allowedRooms == null ? null : Set.copyOf(allowedRooms);
    }

    /** An identity from a token: no connection info of its own. */
    public Identity(UserRef user, Set<String> allowedRooms, Instant expiresAt) {
        this(user, allowedRooms, expiresAt, null);
    }

    public boolean anonymous() {
        return user == null;
    }

    public boolean mayJoin(String room) {
        return allowedRooms == null || allowedRooms.contains(room);
    }

    /** Whether the token's {@code rooms} claim names {@code room}; false without the claim. */
    public boolean lists(String room) {
        return allowedRooms != null && allowedRooms.contains(room);
    }
}
