package io.danmaku.logic;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Server message ids: 26 characters of Crockford base32 ({@code 0-9 A-Z} without {@code I L O U}), the first 10
 * encoding the 48-bit server time in milliseconds, the other 16 encoding 80 random bits. Ids therefore sort by
 * time as plain strings (the same layout as a ULID), need no coordination between logic instances, and collide
 * only with negligible probability (80 random bits per millisecond). Within one millisecond their order is
 * random: the order of a room is its offset, never its ids.
 */
public final class MessageIds {
    public static final int LENGTH = 26;
    private static final String ALPHABET_TEXT = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private static final char[] ALPHABET = ALPHABET_TEXT.toCharArray();

    private final Clock clock;

    public MessageIds(Clock clock) {
        this.clock = requireNonNull(clock, "clock");
    }

    /** Whether {@code id} has the form of a server message id: {@value #LENGTH} characters of the alphabet. */
    public static boolean isValid(String id) {
        if (id == null || id.length() != LENGTH) {
            return false;
        }
        for (int i = 0; i < LENGTH; i++) {
            if (ALPHABET_TEXT.indexOf(id.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    public String next() {
        return format(clock.millis(), ThreadLocalRandom.current().nextInt() & 0xFFFF,
                ThreadLocalRandom.current().nextLong());
    }

    /** The id of time {@code millis} with random bits {@code high16} (16 bits) and {@code low64}. */
    static String format(long millis, int high16, long low64) {
        char[] out = new char[LENGTH];
        long time = millis & 0xFFFF_FFFF_FFFFL;
        for (int i = 9; i >= 0; i--) {
            out[i] = ALPHABET[(int) (time & 31)];
            time >>>= 5;
        }
        long hi = high16 & 0xFFFFL;
        long lo = low64;
        for (int i = LENGTH - 1; i >= 10; i--) {
            out[i] = ALPHABET[(int) (lo & 31)];
            lo = (lo >>> 5) | ((hi & 31) << 59);
            hi >>>= 5;
        }
        return new String(out);
    }

    /** The server time encoded in {@code id}, in milliseconds. */
    public static long timeMillis(String id) {
        if (id == null || id.length() != LENGTH) {
            throw new IllegalArgumentException("id: " + id + " (expected: " + LENGTH + " base32 characters)");
        }
        long time = 0;
        for (int i = 0; i < 10; i++) {
            int v = ALPHABET_TEXT.indexOf(id.charAt(i));
            if (v < 0) {
                throw new IllegalArgumentException("id: " + id + " (expected: Crockford base32 characters)");
            }
            time = (time << 5) | v;
        }
        return time;
    }
}
