package io.danmaku.protocol.trace;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The trace id of one post: 128 bits, written as 32 lowercase hex digits exactly like the trace-id of a W3C
 * {@code traceparent} header, so an id that came in with one is logged unchanged. The gateway makes one per post
 * ({@link #random()}); the server API takes the caller's ({@link #fromTraceparent}). It travels as two longs
 * in process and over gRPC, and as its hex text in the Kafka header {@code trace_id}; the text is made only when a
 * line is logged or a record is produced.
 *
 * <p>All zeros is not a valid id (W3C): the constructor refuses it, and the factories answer {@code null} for
 * it, so {@code null} is "no trace id" everywhere.
 */
public record TraceId(long high, long low) {
    private static final byte[] DIGITS = "0123456789abcdef".getBytes(StandardCharsets.ISO_8859_1);
    /** Length of the hex text. */
    public static final int HEX_LENGTH = 32;

    public TraceId {
        if (high == 0 && low == 0) {
            throw new IllegalArgumentException("trace id: all zeros (expected: at least one bit set)");
        }
    }

    /** A new random id (from the thread's fast generator: an id names a post, it is no secret). */
    public static TraceId random() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = random.nextLong();
        long low = random.nextLong();
        return high == 0 && low == 0 ? new TraceId(0, 1) : new TraceId(high, low);
    }

    /** The id of these two halves, or {@code null} when both are zero (how gRPC says "none"). */
    public static TraceId of(long high, long low) {
        return high == 0 && low == 0 ? null : new TraceId(high, low);
    }

    /** The id written as 32 lowercase hex digits, or {@code null} when {@code hex} is anything else or all zeros. */
    public static TraceId parse(CharSequence hex) {
        if (hex == null || hex.length() != HEX_LENGTH || !lowerHex(hex, 0, HEX_LENGTH)) {
            return null;
        }
        return of(HexFormat.fromHexDigitsToLong(hex, 0, 16), HexFormat.fromHexDigitsToLong(hex, 16, HEX_LENGTH));
    }

    /** {@link #parse} of ASCII bytes (a Kafka header value), or {@code null}; read in place. */
    public static TraceId parse(byte[] ascii) {
        if (ascii == null || ascii.length != HEX_LENGTH) {
            return null;
        }
        long high = 0;
        long low = 0;
        for (int i = 0; i < HEX_LENGTH; i++) {
            int b = ascii[i];
            int digit = b >= '0' && b <= '9' ? b - '0' : b >= 'a' && b <= 'f' ? b - 'a' + 10 : -1;
            if (digit < 0) {
                return null;
            }
            if (i < 16) {
                high = high << 4 | digit;
            } else {
                low = low << 4 | digit;
            }
        }
        return of(high, low);
    }

    /**
     * The trace-id of a W3C {@code traceparent} header ({@code version-traceid-parentid-flags}, e.g.
     * {@code 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01}), or {@code null} when the header is absent or
     * not valid: wrong length or separators, upper-case or non-hex digits, version {@code ff}, an all-zero trace or
     * parent id, or version 00 with anything after the flags. A later version may append fields after a dash.
     */
    public static TraceId fromTraceparent(String header) {
        if (header == null) {
            return null;
        }
        String h = header.strip();
        if (h.length() < 55 || h.charAt(2) != '-' || h.charAt(35) != '-' || h.charAt(52) != '-'
                || !lowerHex(h, 0, 2) || !lowerHex(h, 3, 35) || !lowerHex(h, 36, 52) || !lowerHex(h, 53, 55)) {
            return null;
        }
        String version = h.substring(0, 2);
        if (version.equals("ff") || (version.equals("00") ? h.length() != 55 : h.length() > 55 && h.charAt(55) != '-')) {
            return null;
        }
        if (HexFormat.fromHexDigitsToLong(h, 36, 52) == 0) {
            return null;
        }
        return of(HexFormat.fromHexDigitsToLong(h, 3, 19), HexFormat.fromHexDigitsToLong(h, 19, 35));
    }

    /** The hex text as ASCII bytes: the value of the Kafka header (one array, no string on the way). */
    public byte[] toAscii() {
        byte[] out = new byte[HEX_LENGTH];
        hex(high, out, 0);
        hex(low, out, 16);
        return out;
    }

    /** 32 lowercase hex digits. */
    @Override
    public String toString() {
        return new String(toAscii(), StandardCharsets.ISO_8859_1);
    }

    private static void hex(long value, byte[] out, int at) {
        long v = value;
        for (int i = at + 15; i >= at; i--) {
            out[i] = DIGITS[(int) (v & 0xF)];
            v >>>= 4;
        }
    }

    private static boolean lowerHex(CharSequence s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }
}
