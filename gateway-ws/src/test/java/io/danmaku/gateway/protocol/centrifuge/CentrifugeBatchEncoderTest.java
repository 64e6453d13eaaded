package io.danmaku.gateway.protocol.centrifuge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.json.RoomMessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The shared batch frame decodes, with a standard WebSocket decoder, into one push per record. */
class CentrifugeBatchEncoderTest {

    static RoomRecord record(String room, long offset, String text) {
        RoomMessage m = RoomMessage.danmaku("id" + offset, room, 1_700_000_000_000L + offset,
                new UserRef("u1", "名字"), text, 0x00FF00, 5, null);
        return new RoomRecord(room, offset, "mem-abc", m.timeMillis(), RoomMessageCodec.encode(m));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 40, 2000}) // payload lengths under 126, under 64 KiB, and over 64 KiB
    void decodesIntoOnePushPerRecord(int count) throws Exception {
        List<RoomRecord> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            records.add(record("room-1", 10 + i * 3L, "弹幕 \"quoted\" " + i));
        }
        ByteBuf frame = CentrifugeBatchEncoder.INSTANCE.encode(ByteBufAllocator.DEFAULT, "room-1", records);
        EmbeddedChannel client = new EmbeddedChannel(new WebSocket08FrameDecoder(false, false, 1 << 24));
        client.writeInbound(frame);
        TextWebSocketFrame text = client.readInbound();
        String[] lines = text.content().toString(StandardCharsets.UTF_8).split("\n");
        text.release();
        assertThat(lines).hasSize(count);
        for (int i = 0; i < count; i++) {
            JsonNode push = Json.MAPPER.readTree(lines[i]).path("push");
            assertThat(push.path("channel").asText()).isEqualTo("room-1");
            JsonNode pub = push.path("pub");
            long offset = 10 + i * 3L;
            assertThat(pub.path("offset").asLong()).isEqualTo(offset);
            JsonNode data = pub.path("data");
            assertThat(data.path("text").asText()).isEqualTo("弹幕 \"quoted\" " + i);
            assertThat(data.path("user").path("name").asText()).isEqualTo("名字");
            assertThat(data.path("mode").asInt()).isEqualTo(5);
            assertThat(data.path("id").asText()).isEqualTo("id" + offset);
            // what the subscription and the envelope already say is not repeated inside data
            assertThat(data.has("room")).as("room in data: %s", data).isFalse();
            assertThat(data.has("offset")).as("offset in data: %s", data).isFalse();
            assertThat(data.has("epoch")).as("epoch in data: %s", data).isFalse();
        }
        assertFalse(client.finish());
    }

    @org.junit.jupiter.api.Test
    void payloadsOfAnotherShapeAreWrittenUnchanged() throws Exception {
        for (String payload : new String[] {"{}", "{\"room\":\"r\",\"id\":\"a\"}", "{\"id\":\"a\\\"\",\"room\":\"r\"}",
                "{\"id\":\"a\",\"room\":\"rr\"}", "{\"id\":\"a\",\"room\":\"r"}) {
            String json = payload.endsWith("}") ? payload : payload + "}";
            RoomRecord r = new RoomRecord("r", 7, "e", 1, json.getBytes(StandardCharsets.UTF_8));
            assertThat(PublicationJson.dataString(r)).isEqualTo(json);
        }
    }

    @org.junit.jupiter.api.Test
    void theRoomFieldIsCutOutOfTheStampedMessage() throws Exception {
        RoomRecord r = new RoomRecord("r1", 7, "e", 1,
                "{\"id\":\"01J\",\"room\":\"r1\",\"time\":5,\"text\":\"x\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(PublicationJson.dataString(r)).isEqualTo("{\"id\":\"01J\",\"time\":5,\"text\":\"x\"}");
        assertThat(PublicationJson.dataLength(r)).isEqualTo(PublicationJson.dataString(r).length());
    }
}
