package io.danmaku.bus.kafka;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the top-level {@code "id"} of a message's compact JSON for the record's {@code id} header, with a
 * streaming parser that stops at that field (the codec writes it first). Payloads that are not a JSON object or
 * have no string id get no header; the bus never rejects a payload for its content.
 */
final class MessageIds {
    private static final JsonFactory JSON = new JsonFactory();

    private MessageIds() {
    }

    private static final byte[] ID_FIRST = "{\"id\":\"".getBytes(StandardCharsets.US_ASCII);

    /** The top-level string {@code id} of the JSON object in {@code payload}, or null. */
    static String find(byte[] payload) {
        if (payload.length == 0 || payload[0] != '{') {
            return null;
        }
        String leading = leadingId(payload);
        return leading != null ? leading : parse(payload);
    }

    /**
     * The id when the payload starts exactly with {@code {"id":"} and the id is plain printable ASCII up to its
     * closing quote (what the codec writes for every stamped message): read without a parser. Anything else
     * (escapes, other characters, another layout) is left to the parser: null.
     */
    private static String leadingId(byte[] payload) {
        int start = ID_FIRST.length;
        if (payload.length <= start || !Arrays.equals(payload, 0, start, ID_FIRST, 0, start)) {
            return null;
        }
        for (int i = start; i < payload.length; i++) {
            byte b = payload[i];
            if (b == '"') {
                return new String(payload, start, i - start, StandardCharsets.US_ASCII);
            }
            if (b < 0x20 || b > 0x7E || b == '\\') {
                return null;
            }
        }
        return null;
    }

    private static String parse(byte[] payload) {
        try (JsonParser p = JSON.createParser(payload)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                boolean isId = "id".equals(p.currentName());
                JsonToken value = p.nextToken();
                if (isId) {
                    return value == JsonToken.VALUE_STRING ? p.getText() : null;
                }
                p.skipChildren();
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }
}
