package io.danmaku.gateway.protocol.centrifuge;

import io.danmaku.gateway.room.BatchEncoder;
import io.danmaku.protocol.RoomRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A room batch for the unidirectional transports: one publication push per record, as Centrifugo writes pushes
 * there (the push object itself, not wrapped in a reply): {@code {"channel":"<room>","pub":{"data":{…},"offset":N}}}
 * ({@code ,"tags":{…}} after the offset for a message with tags). {@link #SSE} frames each push as a Server-Sent
 * Event, {@code data: <push>\n\n}; {@link #HTTP_STREAM} ends each with {@code \n}. The bytes are the HTTP body only:
 * the HTTP codec adds the chunk framing, so the one buffer is shared by every member of the format.
 */
public final class UniBatchEncoder implements BatchEncoder {
    public static final UniBatchEncoder SSE = new UniBatchEncoder("data: ", "\n\n");
    public static final UniBatchEncoder HTTP_STREAM = new UniBatchEncoder("", "\n");

    private static final byte[] CHANNEL = "{\"channel\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PUB_DATA = "\",\"pub\":{\"data\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PUB_OFFSET = ",\"offset\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOSE = "}}".getBytes(StandardCharsets.US_ASCII);

    private final byte[] before;
    private final byte[] after;

    private UniBatchEncoder(String before, String after) {
        this.before = before.getBytes(StandardCharsets.US_ASCII);
        this.after = after.getBytes(StandardCharsets.US_ASCII);
    }

    /** One push (compact JSON, no newline inside) framed for this transport, in a new buffer. */
    ByteBuf frame(ByteBufAllocator alloc, byte[] pushJson) {
        ByteBuf out = alloc.buffer(before.length + pushJson.length + after.length);
        return out.writeBytes(before).writeBytes(pushJson).writeBytes(after);
    }

    @Override
    public ByteBuf encode(ByteBufAllocator alloc, String room, List<RoomRecord> records) {
        int n = records.size();
        long size = 0;
        byte[][] tags = new byte[n][];
        for (int i = 0; i < n; i++) {
            RoomRecord r = records.get(i);
            tags[i] = PublicationTags.of(r);
            size += before.length + CHANNEL.length + room.length() + PUB_DATA.length + PublicationJson.dataLength(r)
                    + PUB_OFFSET.length + PublicationJson.digits(r.offset()) + tags[i].length + CLOSE.length
                    + after.length;
        }
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("batch too large for one write: " + size + " bytes");
        }
        ByteBuf out = alloc.buffer((int) size);
        try {
            for (int i = 0; i < n; i++) {
                RoomRecord r = records.get(i);
                out.writeBytes(before);
                out.writeBytes(CHANNEL);
                out.writeCharSequence(room, StandardCharsets.US_ASCII);
                out.writeBytes(PUB_DATA);
                PublicationJson.writeData(out, r);
                out.writeBytes(PUB_OFFSET);
                PublicationJson.writeLong(out, r.offset());
                out.writeBytes(tags[i]);
                out.writeBytes(CLOSE);
                out.writeBytes(after);
            }
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    @Override
    public boolean compressible() {
        return false; // never deflated: these members are not WebSocket connections
    }
}
