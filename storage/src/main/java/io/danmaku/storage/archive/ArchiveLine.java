package io.danmaku.storage.archive;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.storage.StorageException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * One archived record as one NDJSON line: {@code {"room","offset","epoch","time","msg":<the stamped message JSON
 * as it was published>}} and a {@code \n}. Every line written is valid JSON on one line, whatever the payload:
 * a payload that is a JSON object without line breaks is written as is; one with line breaks between its
 * tokens is re-serialized compactly; anything else (not JSON, not an object) is kept as a JSON string in
 * {@code msg}, so nothing is lost and the file stays readable.
 *
 * <p>The writer and every reader use the same parser limits, with one level of nesting more for the line than
 * for the payload, so a line that was written can always be read back.
 */
final class ArchiveLine {
    /** Deepest payload nesting written as JSON; deeper payloads are kept as strings. */
    static final int MAX_PAYLOAD_DEPTH = 255;
    private static final JsonFactory PAYLOAD_FACTORY = JsonFactory.builder()
            .streamReadConstraints(limits(MAX_PAYLOAD_DEPTH))
            .build();
    private static final JsonFactory LINE_FACTORY = JsonFactory.builder()
            .streamReadConstraints(limits(MAX_PAYLOAD_DEPTH + 1))
            .build();
    static final ObjectMapper LINE_MAPPER = JsonMapper.builder(LINE_FACTORY).build();
    private static final ObjectMapper PAYLOAD_MAPPER = JsonMapper.builder(PAYLOAD_FACTORY).build();
    private static final byte[] ROOM_FIELD = "{\"room\":\"".getBytes(StandardCharsets.US_ASCII);

    /** The fields of a line other than the message. */
    record Header(String room, long offset, String epoch, long timeMillis) {
    }

    private ArchiveLine() {
    }

    private static StreamReadConstraints limits(int depth) {
        return StreamReadConstraints.builder()
                .maxNestingDepth(depth)
                .maxStringLength(64 * 1024 * 1024)
                .maxNumberLength(1000)
                .build();
    }

    /** The line of {@code record}, ending with {@code \n}. */
    static byte[] encode(RoomRecord record) {
        byte[] payload = record.payload();
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + record.room().length()
                + record.epoch().length() + 80);
        try (JsonGenerator g = LINE_FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("room", record.room());
            g.writeNumberField("offset", record.offset());
            g.writeStringField("epoch", record.epoch());
            g.writeNumberField("time", record.timeMillis());
            g.writeFieldName("msg");
            if (!isJsonObject(payload)) {
                g.writeString(record.payloadText());
            } else if (hasLineBreak(payload)) {
                g.writeTree(PAYLOAD_MAPPER.readTree(payload));
            } else {
                g.writeRawValue(record.payloadText());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new StorageException("archive: cannot encode the record at offset " + record.offset()
                    + " of room " + record.room() + ": " + e.getMessage(), e, false);
        }
        out.write('\n');
        return out.toByteArray();
    }

    /** The bytes every line of {@code room} starts with: {@code {"room":"<room>",}. */
    static byte[] roomPrefix(String room) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(room.length() + 12);
        try (JsonGenerator g = LINE_FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("room", room);
            g.writeFieldName("offset");
            g.flush();
        } catch (IOException e) {
            throw new StorageException("archive: cannot encode room " + room, e, false);
        }
        byte[] all = out.toByteArray();
        // up to and including the comma after the room
        int end = all.length - "\"offset\"".length();
        byte[] prefix = new byte[end];
        System.arraycopy(all, 0, prefix, 0, end);
        return prefix;
    }

    /** Whether the line in {@code buf} starts with {@code prefix}. */
    static boolean startsWith(byte[] buf, int off, int len, byte[] prefix) {
        if (len < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (buf[off + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Whether the line starts like every line this class writes (the room first). */
    static boolean startsWithRoomField(byte[] buf, int off, int len) {
        return startsWith(buf, off, len, ROOM_FIELD);
    }

    /**
     * The header of a complete line (without its {@code \n}), or null when the line is not one object with
     * the fields {@code room}, {@code offset} (>= 0), {@code epoch}, {@code time} and {@code msg}: a torn or
     * corrupt line.
     */
    static Header header(byte[] buf, int off, int len) {
        try (JsonParser p = LINE_FACTORY.createParser(buf, off, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            String room = null;
            String epoch = null;
            long offset = -1;
            long time = 0;
            boolean hasTime = false;
            boolean hasMsg = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "room" -> room = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "epoch" -> epoch = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "offset" -> offset = value == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : -1;
                    case "time" -> {
                        hasTime = value == JsonToken.VALUE_NUMBER_INT;
                        time = hasTime ? p.getLongValue() : 0;
                    }
                    case "msg" -> {
                        hasMsg = true;
                        p.skipChildren();
                    }
                    default -> p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                return null;
            }
            if (room == null || epoch == null || offset < 0 || !hasTime || !hasMsg) {
                return null;
            }
            return new Header(room, offset, epoch, time);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The record of a complete line: the payload is the {@code msg} object serialized compactly (or the text
     * of a {@code msg} string). Null for a line {@link #header} rejects.
     */
    static RoomRecord decode(byte[] buf, int off, int len) {
        Header h = header(buf, off, len);
        if (h == null) {
            return null;
        }
        try {
            JsonNode msg = LINE_MAPPER.readTree(buf, off, len).get("msg");
            byte[] payload = msg.isTextual() ? msg.textValue().getBytes(StandardCharsets.UTF_8)
                    : LINE_MAPPER.writeValueAsBytes(msg);
            return new RoomRecord(h.room(), h.offset(), h.epoch(), h.timeMillis(), payload);
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean isJsonObject(byte[] payload) {
        try (JsonParser p = PAYLOAD_FACTORY.createParser(payload)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            p.skipChildren();
            return p.nextToken() == null;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static boolean hasLineBreak(byte[] payload) {
        for (byte b : payload) {
            if (b == '\n' || b == '\r') {
                return true;
            }
        }
        return false;
    }
}
