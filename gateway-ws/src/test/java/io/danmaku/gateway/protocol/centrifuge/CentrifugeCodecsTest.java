package io.danmaku.gateway.protocol.centrifuge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.gateway.protocol.centrifuge.pb.Reply;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.store.PresenceMember;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Both codecs encode each reply and push of the command model: JSON as Centrifugo's JSON spells it, Protobuf as a
 * generated parser reads it back, with the same values.
 */
class CentrifugeCodecsTest {
    static final PresenceMember MEMBER = new PresenceMember("c-1", "u-1", "{\"name\":\"阿伟\"}");
    static final RoomRecord RECORD = new RoomRecord("r", 7, "e", 1,
            "{\"id\":\"m\",\"room\":\"r\",\"text\":\"hi\",\"tags\":{\"k\":\"v\"}}".getBytes(StandardCharsets.UTF_8));

    static JsonNode json(CentrifugeReply reply) throws Exception {
        WebSocketFrame f = CentrifugeJsonCodec.INSTANCE.encode(ByteBufAllocator.DEFAULT, reply);
        try {
            assertThat(f).isInstanceOf(TextWebSocketFrame.class);
            return Json.MAPPER.readTree(((TextWebSocketFrame) f).text());
        } finally {
            f.release();
        }
    }

    static Reply protobuf(CentrifugeReply reply) throws Exception {
        WebSocketFrame f = CentrifugeProtobufCodec.INSTANCE.encode(ByteBufAllocator.DEFAULT, reply);
        try {
            assertThat(f).isInstanceOf(BinaryWebSocketFrame.class);
            List<Reply> all = CentrifugeProtobufHandlerTest.parse(ByteBufUtil.getBytes(f.content()));
            assertThat(all).hasSize(1);
            return all.get(0);
        } finally {
            f.release();
        }
    }

    @Test
    void errorsKeepIdCodeMessageAndTemporary() throws Exception {
        CentrifugeReply r = new CentrifugeReply.Error(5, 109, "token expired", true);
        assertThat(json(r).toString())
                .isEqualTo("{\"id\":5,\"error\":{\"code\":109,\"message\":\"token expired\",\"temporary\":true}}");
        Reply p = protobuf(r);
        assertThat(p.getId()).isEqualTo(5);
        assertThat(p.getError().getCode()).isEqualTo(109);
        assertThat(p.getError().getMessage()).isEqualTo("token expired");
        assertThat(p.getError().getTemporary()).isTrue();
    }

    @Test
    void subscribeRepliesAndPushesCarryPositionExpiryAndPublications() throws Exception {
        var result = new CentrifugeReply.SubscribeResult("e", 7, true, true, List.of(RECORD), 60);
        JsonNode j = json(new CentrifugeReply.Subscribe(2, "r", result));
        assertThat(j.toString()).isEqualTo("{\"id\":2,\"subscribe\":{\"expires\":true,\"ttl\":60,\"recoverable\":true,"
                + "\"positioned\":true,\"epoch\":\"e\",\"offset\":7,\"was_recovering\":true,\"recovered\":true,"
                + "\"publications\":[{\"data\":{\"id\":\"m\",\"text\":\"hi\",\"tags\":{\"k\":\"v\"}},"
                + "\"offset\":7,\"tags\":{\"k\":\"v\"}}]}}");
        Reply p = protobuf(new CentrifugeReply.Subscribe(2, "r", result));
        assertThat(p.getSubscribe().getTtl()).isEqualTo(60);
        assertThat(p.getSubscribe().getExpires()).isTrue();
        assertThat(p.getSubscribe().getWasRecovering()).isTrue();
        assertThat(p.getSubscribe().getRecoverable()).isTrue();
        assertThat(p.getSubscribe().getPositioned()).isTrue();
        assertThat(p.getSubscribe().getPublications(0).getData().toStringUtf8())
                .isEqualTo("{\"id\":\"m\",\"text\":\"hi\",\"tags\":{\"k\":\"v\"}}");
        assertThat(p.getSubscribe().getPublications(0).getTagsMap()).containsEntry("k", "v");
        var plain = new CentrifugeReply.SubscribeResult("e", 3, false, false, List.of(), 0);
        assertThat(json(new CentrifugeReply.Subscribe(CentrifugeReply.Subscribe.PUSH, "news", plain)).toString())
                .isEqualTo("{\"push\":{\"channel\":\"news\",\"subscribe\":{\"recoverable\":true,"
                        + "\"positioned\":true,\"epoch\":\"e\",\"offset\":3}}}");
        Reply push = protobuf(new CentrifugeReply.Subscribe(CentrifugeReply.Subscribe.PUSH, "news", plain));
        assertThat(push.getId()).isZero();
        assertThat(push.getPush().getChannel()).isEqualTo("news");
        assertThat(push.getPush().getSubscribe().getOffset()).isEqualTo(3);
    }

    @Test
    void presenceJoinAndLeaveCarryClientInfoWithConnInfoAsJson() throws Exception {
        assertThat(json(new CentrifugeReply.Presence(3, List.of(MEMBER))).toString()).isEqualTo(
                "{\"id\":3,\"presence\":{\"presence\":{\"c-1\":{\"client\":\"c-1\",\"user\":\"u-1\","
                        + "\"conn_info\":{\"name\":\"阿伟\"}}}}}");
        assertThat(protobuf(new CentrifugeReply.Presence(3, List.of(MEMBER))).getPresence().getPresenceMap()
                .get("c-1").getConnInfo().toStringUtf8()).isEqualTo("{\"name\":\"阿伟\"}");
        assertThat(json(new CentrifugeReply.JoinPush("r", MEMBER)).path("push").path("join").path("info")
                .path("user").asText()).isEqualTo("u-1");
        assertThat(protobuf(new CentrifugeReply.JoinPush("r", MEMBER)).getPush().getJoin().getInfo().getClient())
                .isEqualTo("c-1");
        assertThat(json(new CentrifugeReply.LeavePush("r", MEMBER)).path("push").path("channel").asText())
                .isEqualTo("r");
        assertThat(protobuf(new CentrifugeReply.LeavePush("r", MEMBER)).getPush().getLeave().getInfo().getUser())
                .isEqualTo("u-1");
    }

    @Test
    void connectionLevelPushesHaveNoChannel() throws Exception {
        assertThat(json(new CentrifugeReply.UnsubscribePush("r", 2501, "subscription expired")).toString())
                .isEqualTo("{\"push\":{\"channel\":\"r\",\"unsubscribe\":{\"code\":2501,"
                        + "\"reason\":\"subscription expired\"}}}");
        assertThat(protobuf(new CentrifugeReply.UnsubscribePush("r", 2501, "x")).getPush().getUnsubscribe()
                .getCode()).isEqualTo(2501);
        byte[] data = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        assertThat(json(new CentrifugeReply.MessagePush(data)).toString())
                .isEqualTo("{\"push\":{\"message\":{\"data\":{\"a\":1}}}}");
        assertThat(protobuf(new CentrifugeReply.MessagePush(data)).getPush().getMessage().getData().toStringUtf8())
                .isEqualTo("{\"a\":1}");
        assertThat(json(new CentrifugeReply.DisconnectPush(3001, "shutdown", true)).toString())
                .isEqualTo("{\"push\":{\"disconnect\":{\"code\":3001,\"reason\":\"shutdown\",\"reconnect\":true}}}");
        assertThat(protobuf(new CentrifugeReply.DisconnectPush(3001, "shutdown", true)).getPush().getDisconnect()
                .getReconnect()).isTrue();
        assertThat(json(new CentrifugeReply.RefreshPush(true, 30)).toString())
                .isEqualTo("{\"push\":{\"refresh\":{\"expires\":true,\"ttl\":30}}}");
        assertThat(protobuf(new CentrifugeReply.RefreshPush(true, 30)).getPush().getRefresh().getTtl()).isEqualTo(30);
    }

    @Test
    void emptyResultsAreEmptyObjects() throws Exception {
        assertThat(json(new CentrifugeReply.Publish(4)).toString()).isEqualTo("{\"id\":4,\"publish\":{}}");
        assertThat(json(new CentrifugeReply.Ping(9)).toString()).isEqualTo("{\"id\":9,\"ping\":{}}");
        assertThat(json(new CentrifugeReply.SubRefresh(8, false, 0)).toString())
                .isEqualTo("{\"id\":8,\"sub_refresh\":{}}");
        assertThat(protobuf(new CentrifugeReply.Publish(4)).hasPublish()).isTrue();
        assertThat(protobuf(new CentrifugeReply.Ping(9)).hasPing()).isTrue();
        assertThat(protobuf(new CentrifugeReply.Unsubscribe(6)).hasUnsubscribe()).isTrue();
    }

    @Test
    void jsonPingCommandIsAnsweredAndProtobufBatchParsesBackWithTheJsonBatchesData() throws Exception {
        var batch = CentrifugeProtobufBatchEncoder.INSTANCE.encode(ByteBufAllocator.DEFAULT, "r", List.of(RECORD));
        try {
            byte[] frame = ByteBufUtil.getBytes(batch);
            assertThat(frame[0] & 0xFF).isEqualTo(0x82); // FIN + binary
            int header = (frame[1] & 0x7F) < 126 ? 2 : 4;
            byte[] payload = java.util.Arrays.copyOfRange(frame, header, frame.length);
            Reply r = CentrifugeProtobufHandlerTest.parse(payload).get(0);
            assertThat(r.getPush().getPub().getData().toStringUtf8())
                    .isEqualTo(PublicationJson.dataString(RECORD));
            assertThat(r).isEqualTo(Reply.newBuilder().setPush(io.danmaku.gateway.protocol.centrifuge.pb.Push
                    .newBuilder().setChannel("r").setPub(CentrifugeProtobufCodec.publication(RECORD))).build());
        } finally {
            batch.release();
        }
    }
}
