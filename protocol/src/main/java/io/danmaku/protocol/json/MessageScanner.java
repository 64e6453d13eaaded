package io.danmaku.protocol.json;

import io.danmaku.protocol.RoomMessage;
import java.nio.charset.StandardCharsets;

/**
 * The allocation-light path of {@link RoomMessageCodec#classify}: one pass over the bytes of a message's compact JSON
 * that reads the top-level {@code cmd}, {@code priority}, {@code time} and {@code user.id} and skips everything else
 * without building anything. It answers only for the plain shapes the codec writes (a string user id without escapes,
 * an integer time); for anything else — invalid JSON included — it answers null and the caller reads the payload with
 * Jackson, which decides. A Jackson parser costs about a kilobyte of garbage per message; at tens of thousands of
 * messages a second on the gateway's bus thread that is worth a hundred lines.
 */
final class MessageScanner {
    private static final byte[] CMD = ascii("cmd");
    private static final byte[] PRIORITY = ascii("priority");
    private static final byte[] TIME = ascii("time");
    private static final byte[] USER = ascii("user");
    private static final byte[] ID = ascii("id");

    private static final int MAX_DEPTH = 64;

    private final byte[] p;
    private int i;

    private MessageScanner(byte[] p) {
        this.p = p;
    }

    /** The class of {@code json}, or null when this scanner cannot tell (the caller falls back to Jackson). */
    static MessageClass classify(byte[] json) {
        try {
            return new MessageScanner(json).top();
        } catch (Unsure e) {
            return null;
        }
    }

    private MessageClass top() {
        boolean hasCmd = false;
        boolean flag = false;
        long time = 0;
        String author = null;
        ws();
        expect('{');
        ws();
        if (peek() == '}') {
            return new MessageClass(RoomMessage.isPriority(false, false, false), null, 0);
        }
        while (true) {
            int keyStart = i + 1;
            key();
            int keyEnd = i - 1;
            ws();
            expect(':');
            ws();
            if (is(keyStart, keyEnd, CMD)) {
                hasCmd = !literal("null");
                skipValue(0);
            } else if (is(keyStart, keyEnd, PRIORITY)) {
                flag = literal("true");
                skipValue(0);
            } else if (is(keyStart, keyEnd, TIME)) {
                byte b = peek();
                if (b == '-' || (b >= '0' && b <= '9')) {
                    time = integer();
                } else {
                    time = 0;
                    skipValue(0);
                }
            } else if (is(keyStart, keyEnd, USER)) {
                if (peek() == '{') {
                    author = userId();
                } else {
                    skipValue(0);
                }
            } else {
                skipValue(0);
            }
            ws();
            byte b = next();
            if (b == '}') {
                break;
            }
            if (b != ',') {
                throw Unsure.INSTANCE;
            }
            ws();
        }
        if (hasCmd) {
            return new MessageClass(true, null, time);
        }
        return new MessageClass(RoomMessage.isPriority(false, author != null, flag), author, time);
    }

    /** The user object's string {@code id} (null when absent or empty); consumes the object. */
    private String userId() {
        expect('{');
        ws();
        String id = null;
        if (peek() == '}') {
            i++;
            return null;
        }
        while (true) {
            int keyStart = i + 1;
            key();
            int keyEnd = i - 1;
            ws();
            expect(':');
            ws();
            if (is(keyStart, keyEnd, ID)) {
                if (literal("null")) {
                    skipValue(0); // as Jackson reads it: a null id leaves what was read before
                } else if (peek() == '"') {
                    int start = i + 1;
                    skipString();
                    for (int k = start; k < i - 1; k++) {
                        if (p[k] == '\\') {
                            throw Unsure.INSTANCE; // an escaped id: Jackson unescapes it
                        }
                    }
                    id = i - 1 == start ? null : new String(p, start, i - 1 - start, StandardCharsets.UTF_8);
                } else {
                    throw Unsure.INSTANCE; // a number or something else: Jackson says what it reads as
                }
            } else {
                skipValue(0);
            }
            ws();
            byte b = next();
            if (b == '}') {
                return id;
            }
            if (b != ',') {
                throw Unsure.INSTANCE;
            }
            ws();
        }
    }

    /** A JSON integer that fits a long (anything else: unsure). */
    private long integer() {
        boolean negative = peek() == '-';
        if (negative) {
            i++;
        }
        int start = i;
        long v = 0;
        while (i < p.length && p[i] >= '0' && p[i] <= '9') {
            if (i - start >= 18) {
                throw Unsure.INSTANCE;
            }
            v = v * 10 + (p[i] - '0');
            i++;
        }
        if (i == start || (i < p.length && (p[i] == '.' || p[i] == 'e' || p[i] == 'E'))) {
            throw Unsure.INSTANCE;
        }
        return negative ? -v : v;
    }

    /** Whether the value here is the literal {@code word} (then not consumed: skipValue does). */
    private boolean literal(String word) {
        if (i + word.length() > p.length) {
            return false;
        }
        for (int k = 0; k < word.length(); k++) {
            if (p[i + k] != word.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Consumes one JSON value, checking its syntax (what is not valid JSON, or nested deeper than
     * {@value #MAX_DEPTH}, is unsure: Jackson decides).
     */
    private void skipValue(int depth) {
        if (depth > MAX_DEPTH) {
            throw Unsure.INSTANCE;
        }
        byte b = peek();
        if (b == '"') {
            skipString();
        } else if (b == '{') {
            i++;
            ws();
            if (peek() == '}') {
                i++;
                return;
            }
            while (true) {
                key();
                ws();
                expect(':');
                ws();
                skipValue(depth + 1);
                ws();
                byte c = next();
                if (c == '}') {
                    return;
                }
                if (c != ',') {
                    throw Unsure.INSTANCE;
                }
                ws();
            }
        } else if (b == '[') {
            i++;
            ws();
            if (peek() == ']') {
                i++;
                return;
            }
            while (true) {
                skipValue(depth + 1);
                ws();
                byte c = next();
                if (c == ']') {
                    return;
                }
                if (c != ',') {
                    throw Unsure.INSTANCE;
                }
                ws();
            }
        } else if (literal("true")) {
            i += 4;
        } else if (literal("false")) {
            i += 5;
        } else if (literal("null")) {
            i += 4;
        } else if (b == '-' || (b >= '0' && b <= '9')) {
            i++;
            while (i < p.length && ((p[i] >= '0' && p[i] <= '9') || p[i] == '.' || p[i] == 'e' || p[i] == 'E'
                    || p[i] == '+' || p[i] == '-')) {
                i++;
            }
        } else {
            throw Unsure.INSTANCE;
        }
    }

    /** Consumes a field name; one with an escape is unsure (Jackson unescapes it before comparing). */
    private void key() {
        int start = i + 1;
        skipString();
        for (int k = start; k < i - 1; k++) {
            if (p[k] == '\\') {
                throw Unsure.INSTANCE;
            }
        }
    }

    /** Consumes a string starting at its opening quote; {@code i} ends after the closing quote. */
    private void skipString() {
        expect('"');
        while (true) {
            byte b = next();
            if (b == '"') {
                return;
            }
            if (b == '\\') {
                next();
            } else if (b >= 0 && b < ' ') {
                throw Unsure.INSTANCE;
            }
        }
    }

    private boolean is(int start, int end, byte[] name) {
        if (end - start != name.length) {
            return false;
        }
        for (int k = 0; k < name.length; k++) {
            if (p[start + k] != name[k]) {
                return false;
            }
        }
        return true;
    }

    private void ws() {
        while (i < p.length && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t')) {
            i++;
        }
    }

    private void expect(char c) {
        if (next() != c) {
            throw Unsure.INSTANCE;
        }
    }

    private byte peek() {
        if (i >= p.length) {
            throw Unsure.INSTANCE;
        }
        return p[i];
    }

    private byte next() {
        if (i >= p.length) {
            throw Unsure.INSTANCE;
        }
        return p[i++];
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** This scanner cannot tell: the caller asks Jackson. Preallocated, no stack trace. */
    private static final class Unsure extends RuntimeException {
        static final Unsure INSTANCE = new Unsure();

        private Unsure() {
            super(null, null, false, false);
        }
    }
}
