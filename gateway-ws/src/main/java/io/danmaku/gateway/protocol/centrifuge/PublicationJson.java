package io.danmaku.gateway.protocol.centrifuge;

import io.danmaku.protocol.RoomRecord;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * The publication {@code data} of a record: the stamped message JSON with {@code "offset"} and
 * {@code "epoch"} appended inside the object, spliced into the bytes without re-serialising. Room ids and
 * epochs are plain ASCII without characters that need JSON escaping (room ids by their pattern, epochs by
 * construction).
 */
final class PublicationJson {
    private static final byte[] OFFSET = ",\"offset\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EPOCH = ",\"epoch\":\"".getBytes(StandardCharsets.US_ASCII);

    private PublicationJson() {
    }

    /** Bytes {@link #writeData} writes for {@code r}. */
    static int dataLength(RoomRecord r, int offsetDigits) {
        byte[] p = r.payload();
        int end = closingBrace(p);
        // payload up to '}' (exclusive) + [","] offset field + epoch field + "\"}"
        int commaAdjust = isEmptyObject(p, end) ? -1 : 0;
        return end + OFFSET.length + commaAdjust + offsetDigits + EPOCH.length + r.epoch().length() + 2;
    }

    static void writeData(ByteBuf out, RoomRecord r) {
        byte[] p = r.payload();
        int end = closingBrace(p);
        out.writeBytes(p, 0, end);
        if (isEmptyObject(p, end)) {
            out.writeBytes(OFFSET, 1, OFFSET.length - 1);
        } else {
            out.writeBytes(OFFSET);
        }
        writeLong(out, r.offset());
        out.writeBytes(EPOCH);
        out.writeCharSequence(r.epoch(), StandardCharsets.US_ASCII);
        out.writeByte('"');
        out.writeByte('}');
    }

    static String dataString(RoomRecord r) {
        ByteBuf buf = io.netty.buffer.Unpooled.buffer(dataLength(r, digits(r.offset())));
        try {
            writeData(buf, r);
            return buf.toString(StandardCharsets.UTF_8);
        } finally {
            buf.release();
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

    private static int closingBrace(byte[] p) {
        int i = p.length - 1;
        while (i >= 0 && p[i] != '}') {
            i--;
        }
        if (i <= 0 || p[0] != '{') {
            throw new IllegalArgumentException("record payload is not a JSON object");
        }
        return i;
    }

    private static boolean isEmptyObject(byte[] p, int end) {
        for (int i = 1; i < end; i++) {
            byte b = p[i];
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                return false;
            }
        }
        return true;
    }
}
