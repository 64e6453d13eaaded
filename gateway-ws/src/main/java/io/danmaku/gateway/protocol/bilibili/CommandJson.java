package io.danmaku.gateway.protocol.bilibili;

import static io.danmaku.gateway.protocol.bilibili.BilibiliPackets.HEADER_BYTES;
import static io.danmaku.gateway.protocol.bilibili.BilibiliPackets.OP_MESSAGE;
import static io.danmaku.gateway.protocol.bilibili.BilibiliPackets.VER_JSON;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.DanmakuException;
import io.danmaku.protocol.Retraction;
import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.json.RoomMessageCodec;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The JSON body of the op-5 packet for one room record.
 *
 * <p>A danmaku post becomes {@code {"cmd":"DANMU_MSG","info":[...],"danmaku":{...}}}: {@code info} is the
 * array the open clients index (text at {@code info[1]}, user id and name at {@code info[2][0..1]}, mode, font
 * size, color and time in milliseconds at {@code info[0][1..4]}, and every other position they read filled with
 * a neutral value), {@code danmaku} the stamped message with its {@code offset} and {@code epoch}, for clients
 * that want ids and positions. A custom event becomes {@code {"cmd":"<cmd>","data":{...}}} with the stamped
 * message's fields (the backend's own fields included) as {@code data}. A retraction ({@code "cmd":"DELETE"})
 * becomes one {@code RECALL_DANMU_MSG} per deleted message ({@link #recallPackets}).
 *
 * <p>User ids: {@code info[2][0]} is a number, as the clients read it. A user id that is a canonical decimal
 * number up to 2^53 - 1 is written as that number; any other id as {@link #uid} of it, a stable 53-bit hash
 * (FNV-1a 64 of its UTF-8 bytes, low 53 bits). The real id is always in {@code danmaku.user.id}.
 *
 * <p>{@link #packet} builds a record's whole op-5 packet once ({@link CommandPacketCache} shares it between the
 * forms and event loops). The fixed parts of the layout are written as prepared bytes; every value goes through
 * the generator's own writers at the root level (no separators), so strings are escaped exactly as the
 * generator escapes them everywhere else (characters outside the BMP as a pair of escaped surrogates).
 */
final class CommandJson {
    static final String DANMU_MSG = "DANMU_MSG";
    /** The command of a record whose payload cannot be read as a room message (never produced by logic). */
    static final String UNREADABLE = "DANMAKU_UNREADABLE";
    static final int FONT_SIZE = 25;
    static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    // The DANMU_MSG layout between its values, in order (see writeDanmuMsg).
    private static final SerializedString DANMU_INFO0 = raw("{\"cmd\":\"" + DANMU_MSG + "\",\"info\":[[0,");
    private static final SerializedString FONT = raw("," + FONT_SIZE + ",");
    private static final SerializedString COMMA = raw(",");
    private static final SerializedString ZERO = raw(",0,");
    private static final SerializedString MODE_INFO = raw(",0,0,0,\"\",0,\"{}\",\"{}\","
            + "{\"mode\":0,\"show_player_type\":0,\"extra\":");
    private static final SerializedString MODE_INFO_UID = raw(",\"user\":{\"uid\":");
    private static final SerializedString MODE_INFO_NAME = raw(",\"base\":{\"name\":");
    private static final SerializedString INFO0_END = raw(",\"face\":\"\"}}},"
            + "{\"activity_identity\":\"\",\"activity_source\":0,\"not_show\":0},0],");
    private static final SerializedString INFO2 = raw(",[");
    private static final SerializedString INFO2_TO_TS = raw(",0,0,0,10000,1,\"\"],[],[0,0,9868950,\">50000\",0],"
            + "[\"\",\"\"],0,0,null,{\"ts\":");
    private static final SerializedString CT = raw(",\"ct\":");
    private static final SerializedString INFO9_TO_DANMAKU = raw("},0,0,null,null,0,0,[0],null],\"danmaku\":");
    private static final SerializedString END = raw("}");
    // A retraction: one recall per deleted message.
    static final String RECALL_DANMU_MSG = "RECALL_DANMU_MSG";
    private static final SerializedString RECALL = raw("{\"cmd\":\"" + RECALL_DANMU_MSG
            + "\",\"data\":{\"recall_type\":0,\"target_id\":");
    private static final SerializedString RECALL_ID_STR = raw(",\"target_id_str\":");
    private static final SerializedString RECALL_DANMAKU = raw(",\"danmaku\":");
    // A custom event, and a record that cannot be read.
    private static final SerializedString EVENT = raw("{\"cmd\":");
    private static final SerializedString EVENT_DATA = raw(",\"data\":");
    private static final SerializedString UNREADABLE_ROOM = raw("{\"cmd\":\"" + UNREADABLE + "\",\"data\":{\"room\":");
    private static final SerializedString UNREADABLE_OFFSET = raw(",\"offset\":");
    private static final SerializedString UNREADABLE_EPOCH = raw(",\"epoch\":");
    private static final SerializedString UNREADABLE_END = raw("}}");

    /** Per-thread scratch: the packet being written and the {@code extra} text. */
    private static final FastThreadLocal<Scratch> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    private CommandJson() {
    }

    /**
     * The complete op-5 packet for {@code r}: the 16-byte header ({@code ver 0}, {@code seq 0}) and the JSON body,
     * in a new array owned by the caller.
     */
    static byte[] packet(RoomRecord r) {
        RoomMessage m;
        try {
            m = RoomMessageCodec.decode(r.payload());
        } catch (DanmakuException e) {
            m = null;
        }
        if (m != null && Retraction.CMD.equals(m.cmd())) {
            byte[] recall = recallPackets(m, r);
            if (recall != null) {
                return recall;
            }
        }
        Scratch s = SCRATCH.get();
        PacketOutput out = s.out;
        out.start();
        try (JsonGenerator g = Json.MAPPER.createGenerator(out, JsonEncoding.UTF8)) {
            g.setRootValueSeparator(null);
            if (m == null) {
                writeUnreadable(g, r);
            } else if (m.isDanmaku()) {
                writeDanmuMsg(g, m, r, s.extra);
            } else {
                g.writeRaw(EVENT);
                g.writeString(m.cmd());
                g.writeRaw(EVENT_DATA);
                writeStamped(g, m, r);
                g.writeRaw(END);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode room record " + r.offset(), e);
        }
        return out.finish();
    }

    private static void writeDanmuMsg(JsonGenerator g, RoomMessage m, RoomRecord r, StringBuilder scratch)
            throws IOException {
        String userId = m.user() == null ? "" : m.user().id();
        String uname = m.user() == null ? "" : m.user().name();
        long uid = m.user() == null ? 0 : uid(userId);
        long time = m.timeMillis() > 0 ? m.timeMillis() : r.timeMillis();
        // info[0]: how to show it
        g.writeRaw(DANMU_INFO0);
        g.writeNumber(m.mode());
        g.writeRaw(FONT);
        g.writeNumber(m.color());
        g.writeRaw(COMMA);
        g.writeNumber(time);
        g.writeRaw(COMMA);
        g.writeNumber(hash53(m.id())); // [5] the "rnd" clients de-duplicate by
        g.writeRaw(ZERO);
        g.writeString(crc32Hex(userId)); // [7] CRC32 of the user id text
        g.writeRaw(MODE_INFO); // [8] 0, [9] msg_type 0 (not a gift danmaku), [10] bubble 0, [11] "", [12] dm_type 0
        // (text), [13] emoticon options "{}", [14] voice config "{}", [15] mode info
        g.writeString(extra(m, scratch));
        g.writeRaw(MODE_INFO_UID);
        g.writeNumber(uid);
        g.writeRaw(MODE_INFO_NAME);
        g.writeString(uname);
        g.writeRaw(INFO0_END); // [16] activity, [17] 0

        g.writeString(m.text()); // info[1]

        g.writeRaw(INFO2); // info[2]: the user
        g.writeNumber(uid);
        g.writeRaw(COMMA);
        g.writeString(uname);
        // admin, vip, svip 0, rank 10000 (a regular member), mobile verified 1, name color "";
        // info[3] no medal; info[4] user level, level color, level rank; info[5] old title, title;
        // info[6] 0; info[7] privilege (guard) type, none; info[8] null; info[9] send time in s and a check value
        g.writeRaw(INFO2_TO_TS);
        g.writeNumber(time / 1000);
        g.writeRaw(CT);
        g.writeString(crc32Hex(m.id()).toUpperCase(Locale.ROOT));
        // info[10..15] 0, 0, null, null, 0, 0; info[16] wealth level; info[17] null
        g.writeRaw(INFO9_TO_DANMAKU);
        writeStamped(g, m, r);
        g.writeRaw(END);
    }

    /** {@code info[0][15].extra}: a JSON text some clients parse for the content and its id. */
    private static String extra(RoomMessage m, StringBuilder b) {
        b.setLength(0);
        b.append("{\"send_from_me\":false,\"mode\":0,\"color\":").append(m.color())
                .append(",\"dm_type\":0,\"font_size\":").append(FONT_SIZE)
                .append(",\"player_mode\":").append(m.mode())
                .append(",\"content\":\"");
        JsonStringEncoder.getInstance().quoteAsString(m.text(), b);
        b.append("\",\"id_str\":\"");
        JsonStringEncoder.getInstance().quoteAsString(m.id(), b);
        return b.append("\"}").toString();
    }

    /**
     * A retraction as the open clients know a recalled danmaku: one op-5 packet per deleted message,
     * {@code {"cmd":"RECALL_DANMU_MSG","data":{"recall_type":0,"target_id":N,"target_id_str":"<id>","danmaku":{…}}}}
     * back to back, {@code target_id} being the number the message's {@code DANMU_MSG} carried at
     * {@code info[0][5]} ({@link #hash53} of its id), {@code target_id_str} its id, {@code danmaku} the stamped
     * retraction with its offset and epoch. Null when the retraction names no id (written as any event then).
     */
    private static byte[] recallPackets(RoomMessage m, RoomRecord r) {
        JsonNode ids = m.extra().get(Retraction.IDS);
        if (ids == null || !ids.isArray() || ids.isEmpty()) {
            return null;
        }
        java.io.ByteArrayOutputStream packets = new java.io.ByteArrayOutputStream();
        for (JsonNode id : ids) {
            if (!id.isTextual()) {
                continue;
            }
            PacketOutput out = new PacketOutput();
            out.start();
            try (JsonGenerator g = Json.MAPPER.createGenerator(out, JsonEncoding.UTF8)) {
                g.setRootValueSeparator(null);
                g.writeRaw(RECALL);
                g.writeNumber(hash53(id.textValue()));
                g.writeRaw(RECALL_ID_STR);
                g.writeString(id.textValue());
                g.writeRaw(RECALL_DANMAKU);
                writeStamped(g, m, r);
                g.writeRaw(UNREADABLE_END);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot encode room record " + r.offset(), e);
            }
            packets.writeBytes(out.finish());
        }
        return packets.size() == 0 ? null : packets.toByteArray();
    }

    private static void writeUnreadable(JsonGenerator g, RoomRecord r) throws IOException {
        g.writeRaw(UNREADABLE_ROOM);
        g.writeString(r.room());
        g.writeRaw(UNREADABLE_OFFSET);
        g.writeNumber(r.offset());
        g.writeRaw(UNREADABLE_EPOCH);
        g.writeString(r.epoch());
        g.writeRaw(UNREADABLE_END);
    }

    /**
     * The stamped message with its {@code offset} and {@code epoch}: the fields of
     * {@link RoomMessageCodec#toJson} in its order, then the position. A field of the message's own named
     * {@code offset} or {@code epoch} keeps its place and takes the record's value.
     */
    private static void writeStamped(JsonGenerator g, RoomMessage m, RoomRecord r) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", m.id());
        g.writeStringField("room", m.room());
        g.writeNumberField("time", m.timeMillis());
        if (m.cmd() != null) {
            g.writeStringField("cmd", m.cmd());
        }
        if (m.user() != null) {
            g.writeObjectFieldStart("user");
            g.writeStringField("id", m.user().id());
            if (m.user().name() != null) {
                g.writeStringField("name", m.user().name());
            }
            g.writeEndObject();
        }
        if (m.isDanmaku()) {
            g.writeStringField("text", m.text());
            // as RoomMessageCodec: the defaults are left out
            if (m.color() != RoomMessage.DEFAULT_COLOR) {
                g.writeNumberField("color", m.color());
            }
            if (m.mode() != RoomMessage.DEFAULT_MODE) {
                g.writeNumberField("mode", m.mode());
            }
        }
        boolean offsetWritten = false;
        boolean epochWritten = false;
        for (Iterator<Map.Entry<String, JsonNode>> it = m.extra().fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (isWrittenBefore(name, m)) {
                continue;
            }
            if (name.equals("offset")) {
                g.writeNumberField("offset", r.offset());
                offsetWritten = true;
            } else if (name.equals("epoch")) {
                g.writeStringField("epoch", r.epoch());
                epochWritten = true;
            } else {
                g.writeFieldName(name);
                g.writeTree(e.getValue());
            }
        }
        if (!offsetWritten) {
            g.writeNumberField("offset", r.offset());
        }
        if (!epochWritten) {
            g.writeStringField("epoch", r.epoch());
        }
        g.writeEndObject();
    }

    /** Whether {@link #writeStamped} wrote {@code name} from the message's own fields (they win over extra). */
    private static boolean isWrittenBefore(String name, RoomMessage m) {
        return switch (name) {
            case "id", "room", "time" -> true;
            case "cmd" -> m.cmd() != null;
            case "user" -> m.user() != null;
            case "text", "color", "mode" -> m.isDanmaku();
            default -> false;
        };
    }

    private static SerializedString raw(String json) {
        return new SerializedString(json);
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

    /** Per-thread buffers, reused from packet to packet. */
    private static final class Scratch {
        final PacketOutput out = new PacketOutput();
        final StringBuilder extra = new StringBuilder(256);
    }

    /**
     * A growable array the generator writes a packet's body into, behind room for its header. Returns to its
     * initial size after an unusually large packet, so a thread does not keep one forever.
     */
    static final class PacketOutput extends OutputStream {
        private static final int INITIAL_BYTES = 4096;
        private static final int KEEP_BYTES = 64 * 1024;
        private byte[] buf = new byte[INITIAL_BYTES];
        private int length;

        void start() {
            if (buf.length > KEEP_BYTES) {
                buf = new byte[INITIAL_BYTES];
            }
            length = HEADER_BYTES;
        }

        /** The packet written since {@link #start}, its header filled in, in a new array. */
        byte[] finish() {
            byte[] packet = Arrays.copyOf(buf, length);
            setInt(packet, 0, length);
            packet[4] = 0;
            packet[5] = HEADER_BYTES;
            packet[6] = (byte) (VER_JSON >>> 8);
            packet[7] = (byte) VER_JSON;
            setInt(packet, 8, OP_MESSAGE);
            setInt(packet, 12, 0);
            return packet;
        }

        @Override
        public void write(int b) {
            ensure(1);
            buf[length++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, length, len);
            length += len;
        }

        private void ensure(int more) {
            if (length + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, length + more));
            }
        }

        private static void setInt(byte[] a, int at, int v) {
            a[at] = (byte) (v >>> 24);
            a[at + 1] = (byte) (v >>> 16);
            a[at + 2] = (byte) (v >>> 8);
            a[at + 3] = (byte) v;
        }
    }
}
