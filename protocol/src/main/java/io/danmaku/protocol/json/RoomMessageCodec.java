package io.danmaku.protocol.json;

import com.fasterxml.jackson.core.JsonProcessingException;
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
 * Compact JSON of a {@link RoomMessage}: {@code {"id","room","time","user":{"id","name"},"text","color","mode"}}
 * for a danmaku post ({@code color} and {@code mode} only when not the defaults 0xFFFFFF and 1, {@code user} only
 * when there is one), {@code {"id","room","time","cmd",...fields}} for a custom event. Unknown fields survive a
 * decode/encode round trip.
 */
public final class RoomMessageCodec {
    private static final Set<String> STAMP_FIELDS = Set.of("id", "room", "time", "cmd", "user", "text", "color",
            "mode");

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
            for (String f : new String[] {"user", "text", "color", "mode"}) {
                if (o.has(f)) {
                    extra.set(f, o.get(f));
                }
            }
            return new RoomMessage(id, room, time, null, null, RoomMessage.DEFAULT_COLOR, RoomMessage.DEFAULT_MODE,
                    cmd, extra);
        }
        return new RoomMessage(id, room, time, user, o.path("text").asText(""),
                o.path("color").asInt(RoomMessage.DEFAULT_COLOR), o.path("mode").asInt(RoomMessage.DEFAULT_MODE),
                null, extra);
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
