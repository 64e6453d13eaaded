package io.danmaku.gateway.auth;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * Which rooms are private ({@code gateway.private-rooms}): room id patterns where {@code *} stands for any run of
 * characters, none included ({@code private.*}, {@code *.staff}, {@code team-*-ops}); every other character
 * matches itself, case-sensitively. Subscribing to a private room needs a subscription token; reading its history
 * or online count needs the API key or a connection token that lists it. Immutable, thread-safe.
 */
public final class PrivateRooms {
    public static final PrivateRooms NONE = new PrivateRooms(List.of());

    private final List<String> patterns;
    private final String[][] parts; // each pattern split at '*'; a pattern without '*' is one part

    private PrivateRooms(List<String> patterns) {
        this.patterns = List.copyOf(patterns);
        this.parts = new String[this.patterns.size()][];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = this.patterns.get(i).split("\\*", -1);
        }
    }

    /** Checks each pattern: 1..64 of the room id characters {@code A-Z a-z 0-9 _ . : -} and {@code *}. */
    public static PrivateRooms of(List<String> patterns) {
        requireNonNull(patterns, "patterns");
        List<String> checked = new ArrayList<>(patterns.size());
        for (String p : patterns) {
            if (p == null || p.isEmpty() || p.length() > 64 || !p.chars().allMatch(PrivateRooms::patternChar)) {
                throw new IllegalArgumentException("gateway.private-rooms: \"" + p + "\" (expected: a room id "
                        + "pattern of 1..64 characters A-Z a-z 0-9 _ . : - and * for any run of characters)");
            }
            checked.add(p);
        }
        return checked.isEmpty() ? NONE : new PrivateRooms(checked);
    }

    private static boolean patternChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '_' || c == '.' || c == ':' || c == '-' || c == '*';
    }

    public List<String> patterns() {
        return patterns;
    }

    public boolean isEmpty() {
        return patterns.isEmpty();
    }

    /** Whether {@code room} matches one of the patterns. */
    public boolean isPrivate(String room) {
        for (String[] p : parts) {
            if (matches(p, room)) {
                return true;
            }
        }
        return false;
    }

    /** Glob match of {@code room} against a pattern split at its stars: greedy-free, left to right. */
    private static boolean matches(String[] parts, String room) {
        if (parts.length == 1) {
            return parts[0].equals(room);
        }
        String first = parts[0];
        String last = parts[parts.length - 1];
        if (room.length() < first.length() + last.length() || !room.startsWith(first) || !room.endsWith(last)) {
            return false;
        }
        int from = first.length();
        int end = room.length() - last.length();
        for (int i = 1; i < parts.length - 1; i++) {
            int at = room.indexOf(parts[i], from);
            if (at < 0 || at + parts[i].length() > end) {
                return false;
            }
            from = at + parts[i].length();
        }
        return true;
    }

    @Override
    public String toString() {
        return patterns.toString();
    }
}
