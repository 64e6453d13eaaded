package io.danmaku.bench.jmh;

import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.json.RoomMessageCodec;
import java.util.ArrayList;
import java.util.List;

/** Realistic room batches for the benchmarks: danmaku posts as logic stamps them, with mixed-script text. */
final class Batches {
    static final String ROOM = "7777";
    static final String EPOCH = "mem-1a2b3c4d";
    private static final String[] TEXTS = {"上车", "233333", "前方高能", "awesome play!!", "这波操作可以", "lol",
            "弹幕护体", "good game, well played"};

    private Batches() {
    }

    /** The same records with offsets {@code firstOffset..} (payloads shared, not re-encoded). */
    static List<RoomRecord> renumber(List<RoomRecord> template, long firstOffset) {
        List<RoomRecord> out = new ArrayList<>(template.size());
        for (int i = 0; i < template.size(); i++) {
            RoomRecord r = template.get(i);
            out.add(new RoomRecord(r.room(), firstOffset + i, r.epoch(), r.timeMillis(), r.payload()));
        }
        return out;
    }

    /**
     * The same records with offsets {@code firstOffset..} and server times {@code firstTime..} (one ms apart): each
     * payload copied with its 13-digit {@code "time"} rewritten in place.
     */
    static List<RoomRecord> restamp(List<RoomRecord> template, long firstOffset, long firstTime) {
        byte[] field = "\"time\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        List<RoomRecord> out = new ArrayList<>(template.size());
        for (int i = 0; i < template.size(); i++) {
            RoomRecord r = template.get(i);
            byte[] p = r.payload().clone();
            int at = indexOf(p, field) + field.length;
            long time = firstTime + i;
            for (int k = 12; k >= 0; k--) {
                p[at + k] = (byte) ('0' + time % 10);
                time /= 10;
            }
            out.add(new RoomRecord(r.room(), firstOffset + i, r.epoch(), firstTime + i, p));
        }
        return out;
    }

    private static int indexOf(byte[] p, byte[] field) {
        outer:
        for (int i = 0; i + field.length <= p.length; i++) {
            for (int k = 0; k < field.length; k++) {
                if (p[i + k] != field[k]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalArgumentException("no time field");
    }

    /** {@code size} records of room {@link #ROOM} with offsets {@code firstOffset..}. */
    static List<RoomRecord> batch(int size, long firstOffset) {
        List<RoomRecord> out = new ArrayList<>(size);
        long now = 1_764_196_800_123L;
        for (int i = 0; i < size; i++) {
            long offset = firstOffset + i;
            RoomMessage m = RoomMessage.danmaku("01JD8K3M2N9QX" + Long.toString(offset, 36), ROOM, now + i,
                    new UserRef("u" + (1000 + i), "viewer" + i), TEXTS[i % TEXTS.length], 0xFFFFFF, 1, null);
            out.add(new RoomRecord(ROOM, offset, EPOCH, now + i, RoomMessageCodec.encode(m)));
        }
        return out;
    }
}
