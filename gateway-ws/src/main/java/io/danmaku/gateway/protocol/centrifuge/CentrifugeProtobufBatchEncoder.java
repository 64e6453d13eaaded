package io.danmaku.gateway.protocol.centrifuge;

import io.danmaku.gateway.room.BatchEncoder;
import io.danmaku.gateway.room.WebSocketFrames;
import io.danmaku.protocol.RoomRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One binary frame holding a publication push per record, each a varint-length-delimited {@code Reply}
 * ({@code Reply.push = Push{channel, pub = Publication{data, offset, tags}}} of client.proto), {@code data} the
 * same lean danmaku JSON the JSON format sends ({@link PublicationJson}). Written field by field, without building
 * messages: sizes first, then the bytes into one exactly sized buffer, WebSocket header included. Encoded once per
 * batch for every Protobuf member of a room ({@code LoopRoom}); what a generated parser reads back is checked by
 * the tests.
 */
public final class CentrifugeProtobufBatchEncoder implements BatchEncoder {
    public static final CentrifugeProtobufBatchEncoder INSTANCE = new CentrifugeProtobufBatchEncoder();

    // field keys: (number << 3) | wire type (0 varint, 2 length-delimited)
    private static final int REPLY_PUSH = 4 << 3 | 2;
    private static final int PUSH_CHANNEL = 2 << 3 | 2;
    private static final int PUSH_PUB = 4 << 3 | 2;
    private static final int PUB_DATA = 4 << 3 | 2;
    private static final int PUB_OFFSET = 6 << 3;
    private static final int PUB_TAGS = 7 << 3 | 2;
    private static final int ENTRY_KEY = 1 << 3 | 2;
    private static final int ENTRY_VALUE = 2 << 3 | 2;

    private CentrifugeProtobufBatchEncoder() {
    }

    @Override
    public ByteBuf encode(ByteBufAllocator alloc, String room, List<RoomRecord> records) {
        int n = records.size();
        int channel = room.length(); // room ids are ASCII
        int pushChannel = 1 + varintSize(channel) + channel;
        int[] pubSizes = new int[n];
        int[] replySizes = new int[n];
        List<Map<String, String>> tags = new ArrayList<>(n);
        long payload = 0;
        for (int i = 0; i < n; i++) {
            RoomRecord r = records.get(i);
            int data = PublicationJson.dataLength(r);
            long pub = 1 + varintSize(data) + data;
            if (r.offset() != 0) {
                pub += 1 + varintSize(r.offset());
            }
            tags.add(PublicationTags.map(r));
            for (Map.Entry<String, String> e : tags.get(i).entrySet()) {
                int entry = entrySize(e);
                pub += 1 + varintSize(entry) + entry;
            }
            long push = pushChannel + 1 + varintSize(pub) + pub;
            long reply = 1 + varintSize(push) + push;
            if (reply > Integer.MAX_VALUE / 2) {
                throw new IllegalArgumentException("publication too large for one frame: " + reply + " bytes");
            }
            pubSizes[i] = (int) pub;
            replySizes[i] = (int) reply;
            payload += varintSize(reply) + reply;
        }
        ByteBuf out = WebSocketFrames.allocate(alloc, WebSocketFrames.BINARY_FIN, payload);
        try {
            for (int i = 0; i < n; i++) {
                RoomRecord r = records.get(i);
                int pub = pubSizes[i];
                int push = pushChannel + 1 + varintSize(pub) + pub;
                writeVarint(out, replySizes[i]);
                out.writeByte(REPLY_PUSH);
                writeVarint(out, push);
                out.writeByte(PUSH_CHANNEL);
                writeVarint(out, channel);
                out.writeCharSequence(room, StandardCharsets.US_ASCII);
                out.writeByte(PUSH_PUB);
                writeVarint(out, pub);
                out.writeByte(PUB_DATA);
                writeVarint(out, PublicationJson.dataLength(r));
                PublicationJson.writeData(out, r);
                if (r.offset() != 0) {
                    out.writeByte(PUB_OFFSET);
                    writeVarint(out, r.offset());
                }
                for (Map.Entry<String, String> e : tags.get(i).entrySet()) {
                    out.writeByte(PUB_TAGS);
                    writeVarint(out, entrySize(e));
                    writeString(out, ENTRY_KEY, e.getKey());
                    writeString(out, ENTRY_VALUE, e.getValue());
                }
            }
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    /** A map entry's message size: key (field 1) and value (field 2), both strings. */
    private static int entrySize(Map.Entry<String, String> e) {
        int k = ByteBufUtil.utf8Bytes(e.getKey());
        int v = ByteBufUtil.utf8Bytes(e.getValue());
        return 1 + varintSize(k) + k + 1 + varintSize(v) + v;
    }

    private static void writeString(ByteBuf out, int key, String s) {
        out.writeByte(key);
        writeVarint(out, ByteBufUtil.utf8Bytes(s));
        out.writeCharSequence(s, StandardCharsets.UTF_8);
    }

    static int varintSize(long v) {
        int n = 1;
        while ((v & ~0x7FL) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    static void writeVarint(ByteBuf out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.writeByte((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.writeByte((int) v);
    }
}
