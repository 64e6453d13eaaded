package io.danmaku.protocol;

import java.util.List;

/**
 * The one definition of a valid room id (a Centrifugo channel name, a Kafka key, part of a Redis key).
 *
 * <p>A room id is a name of 1..64 of {@code A-Z a-z 0-9 _ . : -}, optionally followed by Centrifugo's user
 * boundary {@code #} and a comma-separated list of user ids (each 1..64 of the same characters or {@code @}),
 * at most {@value #MAX_LENGTH} characters in all: {@code notifications#alice} or {@code dm#alice,bob} is a
 * user-limited room, which only the listed users may subscribe to ({@link #limitedTo}).
 */
public final class RoomId {
    /** The pattern every room id matches, as error messages show it. */
    public static final String PATTERN_TEXT = "[A-Za-z0-9_.:-]{1,64}, optionally #user1,user2 (a user-limited room)";
    /** The exact grammar as a regular expression; a room id also has at most {@value #MAX_LENGTH} characters. */
    public static final String REGEX = "[A-Za-z0-9_.:-]{1,64}(#[A-Za-z0-9_.:@-]{1,64}(,[A-Za-z0-9_.:@-]{1,64})*)?";
    public static final int MAX_NAME_LENGTH = 64;
    public static final int MAX_LENGTH = 255;
    /** Centrifugo's user boundary: what follows it lists the only users who may subscribe. */
    public static final char USER_BOUNDARY = '#';

    private RoomId() {
    }

    /**
     * Whether {@code room} matches {@link #REGEX} and has at most {@value #MAX_LENGTH} characters. Checked by hand
     * (it runs once per post): the same answer as the pattern for every string, without a matcher per call.
     */
    public static boolean isValid(String room) {
        if (room == null) {
            return false;
        }
        int length = room.length();
        if (length == 0 || length > MAX_LENGTH) {
            return false;
        }
        int i = 0;
        while (i < length && isRoomChar(room.charAt(i))) {
            i++;
        }
        if (i == 0 || i > MAX_NAME_LENGTH) {
            return false;
        }
        if (i == length) {
            return true;
        }
        if (room.charAt(i) != USER_BOUNDARY) {
            return false;
        }
        // one or more user ids separated by commas
        int partStart = ++i;
        for (; i <= length; i++) {
            if (i == length || room.charAt(i) == ',') {
                int part = i - partStart;
                if (part == 0 || part > MAX_NAME_LENGTH) {
                    return false;
                }
                partStart = i + 1;
            } else if (!isUserChar(room.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isRoomChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '_' || c == '.' || c == ':' || c == '-';
    }

    private static boolean isUserChar(char c) {
        return isRoomChar(c) || c == '@';
    }

    /**
     * The users a valid user-limited room ({@code name#u1,u2}) admits, or null when {@code room} has no user
     * boundary (anyone may subscribe, as far as the room id goes).
     */
    public static List<String> limitedTo(String room) {
        int at = room.indexOf(USER_BOUNDARY);
        return at < 0 ? null : List.of(room.substring(at + 1).split(","));
    }

    /** True if {@code room} has no user boundary, or lists {@code userId} after it. */
    public static boolean admits(String room, String userId) {
        int at = room.indexOf(USER_BOUNDARY);
        if (at < 0) {
            return true;
        }
        if (userId == null) {
            return false;
        }
        int start = at + 1;
        while (start <= room.length()) {
            int end = room.indexOf(',', start);
            if (end < 0) {
                end = room.length();
            }
            if (end - start == userId.length() && room.startsWith(userId, start)) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    /** Returns {@code room} or throws naming {@code field}, the value and the expected pattern. */
    public static String requireValid(String room, String field) {
        if (!isValid(room)) {
            throw new IllegalArgumentException(describeInvalid(room, field));
        }
        return room;
    }

    public static String describeInvalid(String room, String field) {
        String shown = room == null ? "null" : '"' + (room.length() > 80 ? room.substring(0, 80) + "…" : room) + '"';
        return field + ": " + shown + " (expected: a room id matching " + PATTERN_TEXT + ")";
    }
}
