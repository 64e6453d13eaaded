package io.danmaku.protocol;

import static java.util.Objects.requireNonNull;

/**
 * A room id pattern in which {@code *} stands for any run of characters (none included), as the server API's
 * {@code channels} filter takes it: {@code live:*}, {@code *#alice}. Every other character matches itself, and only
 * characters of room ids (and {@code *}) are allowed, so the pattern is also a valid Redis {@code SCAN MATCH} glob.
 */
public record RoomPattern(String text) {
    public static final int MAX_LENGTH = RoomId.MAX_LENGTH;

    public RoomPattern {
        requireNonNull(text, "text");
        if (text.isEmpty() || text.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("pattern: " + text.length() + " characters (expected: 1.."
                    + MAX_LENGTH + ")");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "_.:-#,@*".indexOf(c) >= 0;
            if (!ok) {
                throw new IllegalArgumentException("pattern: character '" + c + "' at " + i
                        + " (expected: room id characters and *)");
            }
        }
    }

    /** Matches every room. */
    public static final RoomPattern ANY = new RoomPattern("*");

    public boolean matches(String room) {
        return glob(text, 0, room, 0);
    }

    private static boolean glob(String p, int pi, String s, int si) {
        // iterative wildcard matching with backtracking to the last star
        int star = -1;
        int mark = 0;
        while (si < s.length()) {
            if (pi < p.length() && p.charAt(pi) == '*') {
                star = pi++;
                mark = si;
            } else if (pi < p.length() && p.charAt(pi) == s.charAt(si)) {
                pi++;
                si++;
            } else if (star >= 0) {
                pi = star + 1;
                si = ++mark;
            } else {
                return false;
            }
        }
        while (pi < p.length() && p.charAt(pi) == '*') {
            pi++;
        }
        return pi == p.length();
    }
}
