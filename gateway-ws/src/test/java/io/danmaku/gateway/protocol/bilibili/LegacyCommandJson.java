package io.danmaku.gateway.protocol.bilibili;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.DanmakuException;
import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.json.RoomMessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * The op-5 body as {@code CommandJson} wrote it before bodies were built once per record and shared: decode the
 * payload, one generator per record, {@code extra} and {@code danmaku} built as trees. Kept unchanged as the
 * reference the shared bodies must equal byte for byte ({@link CommandBodyIdentityTest}).
 */
final class LegacyCommandJson {
    static final String DANMU_MSG = "DANMU_MSG";
    /** The command of a record whose payload cannot be read as a room message (never produced by logic). */
    static final String UNREADABLE = "DANMAKU_UNREADABLE";
    static final int FONT_SIZE = 25;
    static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private LegacyCommandJson() {
    }

    /** Appends the JSON body for {@code r} to {@code out}. */
    static void write(ByteBuf out, RoomRecord r) {
        RoomMessage m;
        try {
            m = RoomMessageCodec.decode(r.payload());
        } catch (DanmakuException e) {
            m = null;
        }
        try (JsonGenerator g = Json.MAPPER.createGenerator((OutputStream) new ByteBufOutputStream(out),
                JsonEncoding.UTF8)) {
            if (m == null) {
                writeUnreadable(g, r);
            } else if (m.isDanmaku()) {
                writeDanmuMsg(g, m, r);
            } else {
                g.writeStartObject();
                g.writeStringField("cmd", m.cmd());
                g.writeFieldName("data");
                g.writeTree(stamped(m, r));
                g.writeEndObject();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode room record " + r.offset(), e);
        }
    }

    private static void writeDanmuMsg(JsonGenerator g, RoomMessage m, RoomRecord r) throws IOException {
        String userId = m.user() == null ? "" : m.user().id();
        String uname = m.user() == null ? "" : m.user().name();
        long uid = m.user() == null ? 0 : uid(userId);
        long time = m.timeMillis() > 0 ? m.timeMillis() : r.timeMillis();
        g.writeStartObject();
        g.writeStringField("cmd", DANMU_MSG);
        g.writeArrayFieldStart("info");

        // info[0]: how to show it
        g.writeStartArray();
        g.writeNumber(0);
        g.writeNumber(m.mode());
        g.writeNumber(FONT_SIZE);
        g.writeNumber(m.color());
        g.writeNumber(time);
        g.writeNumber(hash53(m.id())); // [5] the "rnd" clients de-duplicate by
        g.writeNumber(0);
        g.writeString(crc32Hex(userId)); // [7] CRC32 of the user id text
        g.writeNumber(0); // [8]
        g.writeNumber(0); // [9] msg_type: not a gift danmaku
        g.writeNumber(0); // [10] bubble
        g.writeString("");
        g.writeNumber(0); // [12] dm_type: text
        g.writeString("{}"); // [13] emoticon options
        g.writeString("{}"); // [14] voice config
        g.writeStartObject(); // [15] mode info
        g.writeNumberField("mode", 0);
        g.writeNumberField("show_player_type", 0);
        g.writeStringField("extra", extra(m));
        g.writeObjectFieldStart("user");
        g.writeNumberField("uid", uid);
        g.writeObjectFieldStart("base");
        g.writeStringField("name", uname);
        g.writeStringField("face", "");
        g.writeEndObject();
        g.writeEndObject();
        g.writeEndObject();
        g.writeStartObject(); // [16]
        g.writeStringField("activity_identity", "");
        g.writeNumberField("activity_source", 0);
        g.writeNumberField("not_show", 0);
        g.writeEndObject();
        g.writeNumber(0); // [17]
        g.writeEndArray();

        g.writeString(m.text()); // info[1]

        g.writeStartArray(); // info[2]: the user
        g.writeNumber(uid);
        g.writeString(uname);
        g.writeNumber(0); // admin
        g.writeNumber(0); // vip
        g.writeNumber(0); // svip
        g.writeNumber(10000); // rank: a regular member
        g.writeNumber(1); // mobile verified
        g.writeString(""); // name color
        g.writeEndArray();

        g.writeStartArray(); // info[3]: no medal
        g.writeEndArray();

        g.writeStartArray(); // info[4]: user level, level color, level rank
        g.writeNumber(0);
        g.writeNumber(0);
        g.writeNumber(9868950);
        g.writeString(">50000");
        g.writeNumber(0);
        g.writeEndArray();

        g.writeStartArray(); // info[5]: old title, title
        g.writeString("");
        g.writeString("");
        g.writeEndArray();

        g.writeNumber(0); // info[6]
        g.writeNumber(0); // info[7]: privilege (guard) type, none
        g.writeNull(); // info[8]
        g.writeStartObject(); // info[9]: send time in seconds and a check value
        g.writeNumberField("ts", time / 1000);
        g.writeStringField("ct", crc32Hex(m.id()).toUpperCase(java.util.Locale.ROOT));
        g.writeEndObject();
        g.writeNumber(0); // info[10]
        g.writeNumber(0); // info[11]
        g.writeNull(); // info[12]
        g.writeNull(); // info[13]
        g.writeNumber(0); // info[14]
        g.writeNumber(0); // info[15]
        g.writeStartArray(); // info[16]: wealth level
        g.writeNumber(0);
        g.writeEndArray();
        g.writeNull(); // info[17]
        g.writeEndArray();

        g.writeFieldName("danmaku");
        g.writeTree(stamped(m, r));
        g.writeEndObject();
    }

    /** {@code info[0][15].extra}: a JSON text some clients parse for the content and its id. */
    private static String extra(RoomMessage m) throws IOException {
        ObjectNode e = Json.MAPPER.createObjectNode();
        e.put("send_from_me", false);
        e.put("mode", 0);
        e.put("color", m.color());
        e.put("dm_type", 0);
        e.put("font_size", FONT_SIZE);
        e.put("player_mode", m.mode());
        e.put("content", m.text());
        e.put("id_str", m.id());
        return Json.MAPPER.writeValueAsString(e);
    }

    private static void writeUnreadable(JsonGenerator g, RoomRecord r) throws IOException {
        g.writeStartObject();
        g.writeStringField("cmd", UNREADABLE);
        g.writeObjectFieldStart("data");
        g.writeStringField("room", r.room());
        g.writeNumberField("offset", r.offset());
        g.writeStringField("epoch", r.epoch());
        g.writeEndObject();
        g.writeEndObject();
    }

    private static ObjectNode stamped(RoomMessage m, RoomRecord r) {
        ObjectNode o = RoomMessageCodec.toJson(m);
        o.put("offset", r.offset());
        o.put("epoch", r.epoch());
        return o;
    }

    /** The number written as a user's uid: the id itself when it is a safe decimal integer, else its hash. */
    static long uid(String userId) {
        int n = userId.length();
        if (n >= 1 && n <= 16 && (n == 1 || userId.charAt(0) != '0')) {
            long v = 0;
            boolean digits = true;
            for (int i = 0; i < n && digits; i++) {
                char c = userId.charAt(i);
                digits = c >= '0' && c <= '9';
                v = v * 10 + (c - '0');
            }
            if (digits && v <= MAX_SAFE_INTEGER) {
                return v;
            }
        }
        return hash53(userId);
    }

    /** FNV-1a 64 of the UTF-8 bytes, low 53 bits: stable, and exact as a JavaScript number. */
    static long hash53(String s) {
        long h = FNV_OFFSET;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= FNV_PRIME;
        }
        return h & MAX_SAFE_INTEGER;
    }

    static String crc32Hex(String s) {
        CRC32 crc = new CRC32();
        crc.update(s.getBytes(StandardCharsets.UTF_8));
        return Long.toHexString(crc.getValue());
    }
}
