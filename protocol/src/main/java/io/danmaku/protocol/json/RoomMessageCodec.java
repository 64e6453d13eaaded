package io.danmaku.protocol.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.DanmakuException;
import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.UserRef;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Compact JSON of a {@link RoomMessage}: {@code {"id","room","time","user":{"id","name"},"text","color","mode",
 * "priority"}} for a danmaku post ({@code color} and {@code mode} only when not the defaults 0xFFFFFF and 1,
 * {@code user} only when there is one, {@code priority} only when {@code true}), {@code {"id","room","time","cmd",
 * ...fields}} for a custom event (always a priority message, so the flag is not written; a {@code priority} field
 * the backend sent is one of its fields). Unknown fields survive a decode/encode round trip; records written before
 * the flag existed read as messages without it.
 */
public final class RoomMessageCodec {
    private static final Set<String> STAMP_FIELDS = Set.of("id", "room", "time", "cmd", "user", "text", "color",
            "mode", "priority");

    private RoomMessageCodec() {
    }

    public static byte[] encode(RoomMessage m) {
        return bytes(toJson(m));
    }

    public static ObjectNode toJson(RoomMessage m) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", m.id());
        o.put("room", m.room());
        o.put("time", m.timeMillis());
        if (m.cmd() != null) {
            o.put("cmd", m.cmd());
        }
        if (m.user() != null) {
            ObjectNode u = o.putObject("user");
            u.put("id", m.user().id());
            if (m.user().name() != null) {
                u.put("name", m.user().name());
            }
        }
        if (m.isDanmaku()) {
            o.put("text", m.text());
            // defaults are left out (decode puts them back): they would be most of every message's bytes
            if (m.color() != RoomMessage.DEFAULT_COLOR) {
                o.put("color", m.color());
            }
            if (m.mode() != RoomMessage.DEFAULT_MODE) {
                o.put("mode", m.mode());
            }
            if (m.priority()) {
                o.put("priority", true);
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = m.extra().fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!o.has(e.getKey())) {
                o.set(e.getKey(), e.getValue());
            }
        }
        return o;
    }

    public static RoomMessage decode(byte[] json) {
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new DanmakuException("room message: not valid JSON: " + e.getMessage(), e, false);
        }
        if (n == null || !n.isObject()) {
            throw new DanmakuException("room message: expected a JSON object", false);
        }
        ObjectNode o = (ObjectNode) n;
        String id = text(o, "id");
        String room = text(o, "room");
        if (id == null || room == null) {
            throw new DanmakuException("room message: missing id or room", false);
        }
        long time = o.path("time").asLong(0);
        UserRef user = null;
        JsonNode u = o.get("user");
        if (u != null && u.isObject() && u.hasNonNull("id") && !u.get("id").asText().isEmpty()) {
            user = new UserRef(u.get("id").asText(), u.path("name").asText(null));
        }
        ObjectNode extra = Json.MAPPER.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!STAMP_FIELDS.contains(e.getKey())) {
                extra.set(e.getKey(), e.getValue());
            }
        }
        String cmd = text(o, "cmd");
        if (cmd != null) {
            // a custom event keeps user/text/color/mode as the backend sent them
            for (String f : new String[] {"user", "text", "color", "mode", "priority"}) {
                if (o.has(f)) {
                    extra.set(f, o.get(f));
                }
            }
            return new RoomMessage(id, room, time, null, null, RoomMessage.DEFAULT_COLOR, RoomMessage.DEFAULT_MODE,
                    cmd, extra);
        }
        JsonNode flag = o.get("priority");
        if (flag != null && !flag.isBoolean()) {
            extra.set("priority", flag); // not ours (a field of a record from before the flag): kept as it was
        }
        return new RoomMessage(id, room, time, user, o.path("text").asText(""),
                o.path("color").asInt(RoomMessage.DEFAULT_COLOR), o.path("mode").asInt(RoomMessage.DEFAULT_MODE),
                null, flag != null && flag.isBoolean() && flag.booleanValue(), extra);
    }

    /**
     * What the fan-out needs of a message, read from its compact JSON without decoding it whole (a streaming pass
     * over the top-level fields, nested values skipped): whether it is a priority message
     * ({@link RoomMessage#isPriority(boolean, boolean, boolean)}, the same rule as {@link RoomMessage#isPriority()}),
     * its author's user id (null when none, and for events, whose {@code user} is one of their fields) and its
     * server time. A payload that cannot be read is a priority message without an author: what cannot be
     * classified is never sampled out.
     */
    public static MessageClass classify(byte[] json) {
        MessageClass plain = MessageScanner.classify(json);
        return plain != null ? plain : classifyWithParser(json);
    }

    /** {@link #classify} by Jackson's streaming parser: any JSON, about a kilobyte of garbage per call. */
    static MessageClass classifyWithParser(byte[] json) {
        boolean hasCmd = false;
        String author = null;
        boolean flag = false;
        long time = 0;
        try (JsonParser p = Json.MAPPER.getFactory().createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return MessageClass.UNREADABLE;
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                switch (name) {
                    case "cmd" -> hasCmd = v != JsonToken.VALUE_NULL;
                    case "priority" -> flag = v == JsonToken.VALUE_TRUE;
                    case "time" -> time = v == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : 0;
                    case "user" -> {
                        if (v == JsonToken.START_OBJECT) {
                            author = userId(p);
                        } else {
                            p.skipChildren();
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT) {
                return MessageClass.UNREADABLE;
            }
        } catch (IOException e) {
            return MessageClass.UNREADABLE;
        }
        if (hasCmd) {
            return new MessageClass(true, null, time); // an event's user field is one of its fields, not an author
        }
        return new MessageClass(RoomMessage.isPriority(false, author != null, flag), author, time);
    }

    /** The non-empty {@code id} of the user object the parser is at the start of, or null; consumes the object. */
    private static String userId(JsonParser p) throws IOException {
        String id = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if ("id".equals(name) && v != JsonToken.VALUE_NULL && v.isScalarValue()) {
                String text = p.getValueAsString();
                id = text == null || text.isEmpty() ? null : text;
            } else {
                p.skipChildren();
            }
        }
        return id;
    }

    private static String text(ObjectNode o, String field) {
        JsonNode v = o.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static byte[] bytes(ObjectNode o) {
        try {
            return Json.MAPPER.writeValueAsBytes(o);
        } catch (JsonProcessingException e) {
            throw new DanmakuException("room message: cannot encode: " + e.getOriginalMessage(), e, false);
        }
    }
}
