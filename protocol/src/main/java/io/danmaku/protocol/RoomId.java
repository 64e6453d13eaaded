package io.danmaku.protocol;

import java.util.regex.Pattern;

/** The one definition of a valid room id (a Centrifugo channel name, a Kafka key, part of a Redis key). */
public final class RoomId {
    /** Room ids: 1..64 of {@code A-Z a-z 0-9 _ . : -}. */
    public static final String PATTERN_TEXT = "[A-Za-z0-9_.:-]{1,64}";
    public static final int MAX_LENGTH = 64;
    private static final Pattern PATTERN = Pattern.compile(PATTERN_TEXT);

    private RoomId() {
    }

    public static boolean isValid(String room) {
        return room != null && room.length() <= MAX_LENGTH && PATTERN.matcher(room).matches();
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
