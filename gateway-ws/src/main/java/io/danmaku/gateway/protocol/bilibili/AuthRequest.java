package io.danmaku.gateway.protocol.bilibili;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.json.Json;
import java.io.IOException;
import java.util.regex.Pattern;

/**
 * The body of an op-7 auth packet, as the open clients send it:
 * {@code {"uid":0,"roomid":23058,"protover":3,"platform":"web","type":2,"key":"<JWT>","buvid":"..."}}.
 * Only {@code roomid}, {@code protover} and {@code key} matter here; {@code uid}, {@code platform},
 * {@code type}, {@code buvid} and unknown fields are ignored (the user comes from the key).
 *
 * @param room the room id: the numeric {@code roomid} in canonical decimal form
 * @param protover 0 or 1 (uncompressed), 2 (zlib) or 3 (brotli); 1 when the client sent none
 * @param key the connection token, or null for an anonymous connection (no key, null or "")
 */
record AuthRequest(String room, int protover, String key) {
    /** What a client that names no {@code protover} gets: uncompressed packets, readable by every client. */
    static final int DEFAULT_PROTOVER = 1;
    static final int MAX_PROTOVER = 3;

    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,18}");

    /** Parses an auth body; throws {@link BilibiliProtocolException} (close 1002) naming what is wrong. */
    static AuthRequest parse(byte[] body) {
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw violation("auth_malformed", "auth body: not valid JSON");
        }
        if (n == null || !n.isObject()) {
            throw violation("auth_not_object", "auth body: expected a JSON object with roomid");
        }
        return new AuthRequest(room(n.get("roomid")), protover(n.get("protover")), key(n.get("key")));
    }

    private static String room(JsonNode v) {
        if (v != null && v.isIntegralNumber() && v.canConvertToLong() && v.longValue() >= 0) {
            return Long.toString(v.longValue());
        }
        if (v != null && v.isTextual() && DIGITS.matcher(v.textValue()).matches()) {
            return Long.toString(Long.parseLong(v.textValue()));
        }
        throw violation("auth_bad_roomid", "auth body: roomid " + shown(v)
                + " (expected: a non-negative integer, as a number or a string of digits)");
    }

    private static int protover(JsonNode v) {
        if (v == null || v.isNull()) {
            return DEFAULT_PROTOVER;
        }
        if (v.isIntegralNumber() && v.canConvertToInt() && v.intValue() >= 0 && v.intValue() <= MAX_PROTOVER) {
            return v.intValue();
        }
        throw violation("auth_bad_protover", "auth body: protover " + shown(v)
                + " (expected: 0 or 1 uncompressed, 2 zlib, 3 brotli)");
    }

    private static String key(JsonNode v) {
        if (v == null || v.isNull() || (v.isTextual() && v.textValue().isEmpty())) {
            return null;
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        throw violation("auth_bad_key", "auth body: key (expected: a string, the connection token)");
    }

    private static String shown(JsonNode v) {
        if (v == null) {
            return "missing";
        }
        String s = v.toString();
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    private static BilibiliProtocolException violation(String kind, String message) {
        return new BilibiliProtocolException(kind, BilibiliCloseCodes.PROTOCOL_ERROR, message);
    }
}
