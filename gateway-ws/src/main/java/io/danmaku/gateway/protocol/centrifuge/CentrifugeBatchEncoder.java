package io.danmaku.gateway.protocol.centrifuge;

import io.danmaku.gateway.room.BatchEncoder;
import io.danmaku.gateway.room.WebSocketFrames;
import io.danmaku.protocol.RoomRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One text frame holding a publication push per record, newline-separated:
 * {@code {"push":{"channel":"<room>","pub":{"data":{...},"offset":N}}}}, {@code data} as
 * {@link PublicationJson} writes it (room, offset and epoch are not repeated inside), with {@code ,"tags":{…}} after
 * the offset for a message with tags ({@link PublicationTags}). The size is computed first so the frame is written
 * into one exactly sized buffer, header included.
 */
public final class CentrifugeBatchEncoder implements BatchEncoder {
    public static final CentrifugeBatchEncoder INSTANCE = new CentrifugeBatchEncoder();

    private static final byte[] PUSH_CHANNEL = "{\"push\":{\"channel\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PUB_DATA = "\",\"pub\":{\"data\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PUB_OFFSET = ",\"offset\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOSE = "}}}".getBytes(StandardCharsets.US_ASCII);

    private CentrifugeBatchEncoder() {
    }

    @Override
    public ByteBuf encode(ByteBufAllocator alloc, String room, List<RoomRecord> records) {
        int n = records.size();
        long payload = n - 1L; // newlines
        byte[][] tags = new byte[n][];
        for (int i = 0; i < n; i++) {
            RoomRecord r = records.get(i);
            int digits = PublicationJson.digits(r.offset());
            tags[i] = PublicationTags.of(r);
            payload += PUSH_CHANNEL.length + room.length() + PUB_DATA.length
                    + PublicationJson.dataLength(r) + PUB_OFFSET.length + digits + tags[i].length + CLOSE.length;
        }
        ByteBuf out = WebSocketFrames.allocate(alloc, WebSocketFrames.TEXT_FIN, payload);
        try {
            for (int i = 0; i < n; i++) {
                RoomRecord r = records.get(i);
                if (i > 0) {
                    out.writeByte('\n');
                }
                out.writeBytes(PUSH_CHANNEL);
                out.writeCharSequence(room, StandardCharsets.US_ASCII);
                out.writeBytes(PUB_DATA);
                PublicationJson.writeData(out, r);
                out.writeBytes(PUB_OFFSET);
                PublicationJson.writeLong(out, r.offset());
                out.writeBytes(tags[i]);
                out.writeBytes(CLOSE);
            }
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }
}
