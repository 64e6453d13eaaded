package io.danmaku.gateway.protocol.centrifuge;

import io.danmaku.protocol.RoomRecord;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * The publication {@code data} of a record: the stamped message JSON as logic wrote it, without what the client
 * already knows from the subscription and the envelope. The room is the push's {@code channel}, the offset is
 * the publication's {@code offset} and the epoch is in the subscribe reply, so none of them is repeated inside
 * {@code data}: the {@code "room"} field is cut out of the bytes (no re-serialising) and nothing is appended.
 *
 * <p>{@code RoomMessageCodec} writes {@code {"id":"<id>","room":"<room>",...}}; ids are server-made (no
 * character that needs escaping) and room ids match their pattern, so the field is found by comparing bytes.
 * A payload of another shape is written unchanged.
 */
final class PublicationJson {
    private static final byte[] ID_OPEN = "{\"id\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ROOM_FIELD = ",\"room\":\"".getBytes(StandardCharsets.US_ASCII);

    private PublicationJson() {
    }

    /** Bytes {@link #writeData} writes for {@code r}. */
    static int dataLength(RoomRecord r) {
        byte[] p = r.payload();
        checkObject(p);
        int at = roomFieldAt(p, r.room());
        return at < 0 ? p.length : p.length - roomFieldLength(r.room());
    }

    static void writeData(ByteBuf out, RoomRecord r) {
        byte[] p = r.payload();
        checkObject(p);
        int at = roomFieldAt(p, r.room());
        if (at < 0) {
            out.writeBytes(p);
            return;
        }
        out.writeBytes(p, 0, at);
        int resume = at + roomFieldLength(r.room());
        out.writeBytes(p, resume, p.length - resume);
    }

    static String dataString(RoomRecord r) {
        ByteBuf buf = io.netty.buffer.Unpooled.buffer(dataLength(r));
        try {
            writeData(buf, r);
            return buf.toString(StandardCharsets.UTF_8);
        } finally {
            buf.release();
        }
    }

    /**
     * Where {@code ,"room":"<room>"} starts right after the leading {@code "id"} field, or -1 when the payload does
     * not start that way.
     */
    static int roomFieldAt(byte[] p, String room) {
        if (!startsWith(p, 0, ID_OPEN)) {
            return -1;
        }
        int i = ID_OPEN.length;
        while (i < p.length && p[i] != '"') {
            if (p[i] == '\\') {
                return -1; // an escaped id: not one of ours, leave the payload alone
            }
            i++;
        }
        int at = i + 1;
        if (!startsWith(p, at, ROOM_FIELD)) {
            return -1;
        }
        int v = at + ROOM_FIELD.length;
        int n = room.length();
        if (v + n >= p.length || p[v + n] != '"') {
            return -1;
        }
        for (int k = 0; k < n; k++) {
            if (p[v + k] != (byte) room.charAt(k)) {
                return -1;
            }
        }
        return at;
    }

    private static int roomFieldLength(String room) {
        return ROOM_FIELD.length + room.length() + 1;
    }

    private static boolean startsWith(byte[] p, int at, byte[] prefix) {
        if (at + prefix.length > p.length) {
            return false;
        }
        for (int k = 0; k < prefix.length; k++) {
            if (p[at + k] != prefix[k]) {
                return false;
            }
        }
        return true;
    }

    private static void checkObject(byte[] p) {
        if (p.length < 2 || p[0] != '{' || p[p.length - 1] != '}') {
            throw new IllegalArgumentException("record payload is not a JSON object");
        }
    }

    static int digits(long v) {
        int n = 1;
        while (v >= 10) {
            v /= 10;
            n++;
        }
        return n;
    }

    static void writeLong(ByteBuf out, long v) {
        if (v < 10) {
            out.writeByte('0' + (int) v);
            return;
        }
        int n = digits(v);
        int start = out.writerIndex();
        out.ensureWritable(n);
        for (int i = n - 1; i >= 0; i--) {
            out.setByte(start + i, '0' + (int) (v % 10));
            v /= 10;
        }
        out.writerIndex(start + n);
    }
}
