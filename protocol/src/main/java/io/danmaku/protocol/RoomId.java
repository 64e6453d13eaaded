package io.danmaku.protocol;

/** The one definition of a valid room id (a Centrifugo channel name, a Kafka key, part of a Redis key). */
public final class RoomId {
    /** Room ids: 1..64 of {@code A-Z a-z 0-9 _ . : -}. */
    public static final String PATTERN_TEXT = "[A-Za-z0-9_.:-]{1,64}";
    public static final int MAX_LENGTH = 64;

    private RoomId() {
    }

    /**
     * Whether {@code room} matches {@link #PATTERN_TEXT}. Checked by hand (it runs once per post): the same answer
     * as {@code PATTERN_TEXT} for every string, without a matcher per call.
     */
    public static boolean isValid(String room) {
        if (room == null) {
            return false;
        }
        int length = room.length();
        if (length == 0 || length > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (!isRoomChar(room.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isRoomChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '_' || c == '.' || c == ':' || c == '-';
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
