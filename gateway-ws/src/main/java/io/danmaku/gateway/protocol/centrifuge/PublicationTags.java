package io.danmaku.gateway.protocol.centrifuge;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A publication's tags: the stamped message's top-level {@code tags} object (set by the server API's
 * {@code publish}/{@code broadcast} {@code tags}), written after the publication's offset as
 * {@code ,"tags":{…}} in JSON and as the {@code tags} map in Protobuf. A message without the bytes {@code "tags":}
 * outside its strings (every danmaku post: a quote inside a string is escaped) costs one byte scan; only the others
 * are parsed.
 */
final class PublicationTags {
    private static final byte[] NONE = new byte[0];
    private static final byte[] KEY = "\"tags\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PREFIX = ",\"tags\":".getBytes(StandardCharsets.US_ASCII);

    private PublicationTags() {
    }

    /** {@code ,"tags":{…}} for the record, or an empty array when it has no tags object of strings. */
    static byte[] of(RoomRecord r) {
        Map<String, String> tags = map(r);
        if (tags.isEmpty()) {
            return NONE;
        }
        try {
            byte[] json = Json.MAPPER.writeValueAsBytes(tags);
            byte[] out = new byte[PREFIX.length + json.length];
            System.arraycopy(PREFIX, 0, out, 0, PREFIX.length);
            System.arraycopy(json, 0, out, PREFIX.length, json.length);
            return out;
        } catch (IOException e) {
            return NONE;
        }
    }

    /** The record's tags in their order, or an empty map when it has no non-empty tags object of strings. */
    static Map<String, String> map(RoomRecord r) {
        byte[] p = r.payload();
        if (indexOf(p, KEY) < 0) {
            return Map.of();
        }
        try {
            JsonNode tags = Json.MAPPER.readTree(p).get("tags");
            if (tags == null || !tags.isObject() || tags.isEmpty()) {
                return Map.of();
            }
            Map<String, String> out = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : tags.properties()) {
                if (!e.getValue().isTextual()) {
                    return Map.of();
                }
                out.put(e.getKey(), e.getValue().textValue());
            }
            return out;
        } catch (IOException e) {
            return Map.of();
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
