package io.danmaku.gateway.protocol.centrifuge;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.json.RoomMessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The exact bytes of a room batch on the two unidirectional transports. */
class UniBatchEncoderTest {
    static RoomRecord record(long offset, String text) {
        RoomMessage m = RoomMessage.danmaku("m" + offset, "r1", 5, new UserRef("u1", "U"), text, 0xFFFFFF, 1, null);
        return new RoomRecord("r1", offset, "e", 5, RoomMessageCodec.encode(m));
    }

    static String encode(UniBatchEncoder enc, List<RoomRecord> records) {
        ByteBuf out = enc.encode(ByteBufAllocator.DEFAULT, "r1", records);
        try {
            assertThat(out.writerIndex()).as("exactly sized").isEqualTo(out.capacity());
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            out.release();
        }
    }

    @Test
    void sseWritesOneEventPerPublicationAndTheStreamOneLine() {
        List<RoomRecord> batch = List.of(record(7, "a"), record(9, "b\nc"));
        String data7 = PublicationJson.dataString(batch.get(0));
        String data9 = PublicationJson.dataString(batch.get(1));
        String push7 = "{\"channel\":\"r1\",\"pub\":{\"data\":" + data7 + ",\"offset\":7}}";
        String push9 = "{\"channel\":\"r1\",\"pub\":{\"data\":" + data9 + ",\"offset\":9}}";
        assertThat(encode(UniBatchEncoder.SSE, batch)).isEqualTo("data: " + push7 + "\n\ndata: " + push9 + "\n\n");
        assertThat(encode(UniBatchEncoder.HTTP_STREAM, batch)).isEqualTo(push7 + "\n" + push9 + "\n");
        // a newline in the text stays escaped: it cannot end an event or a line early
        assertThat(data9).contains("b\\nc");
    }

    @Test
    void aSinglePushIsFramedTheSameWay() {
        byte[] json = "{}".getBytes(StandardCharsets.US_ASCII);
        ByteBuf sse = UniBatchEncoder.SSE.frame(ByteBufAllocator.DEFAULT, json);
        ByteBuf line = UniBatchEncoder.HTTP_STREAM.frame(ByteBufAllocator.DEFAULT, json);
        try {
            assertThat(sse.toString(StandardCharsets.US_ASCII)).isEqualTo("data: {}\n\n");
            assertThat(line.toString(StandardCharsets.US_ASCII)).isEqualTo("{}\n");
        } finally {
            sse.release();
            line.release();
        }
    }
}
