package io.danmaku.bus.kafka;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * Reads the top-level {@code "id"} of a message's compact JSON for the record's {@code id} header, with a
 * streaming parser that stops at that field (the codec writes it first). Payloads that are not a JSON object or
 * have no string id get no header; the bus never rejects a payload for its content.
 */
final class MessageIds {
    private static final JsonFactory JSON = new JsonFactory();

    private MessageIds() {
    }

    /** The top-level string {@code id} of the JSON object in {@code payload}, or null. */
    static String find(byte[] payload) {
        if (payload.length == 0 || payload[0] != '{') {
            return null;
        }
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
