package io.danmaku.gateway.protocol.bilibili;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.gateway.protocol.bilibili.BilibiliClientCodec.Packet;
import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.json.RoomMessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Frames of each form, taken apart the way the open clients do. */
class BilibiliBatchEncoderTest {
    static final String EPOCH = "e-7";
    static final long TIME = 1_764_196_800_123L;

    static RoomRecord record(long offset, RoomMessage m) {
        return new RoomRecord(m.room(), offset, EPOCH, m.timeMillis(), RoomMessageCodec.encode(m));
    }

    static RoomMessage danmaku(String id, UserRef user, String text, int color, int mode) {
        return RoomMessage.danmaku(id, "23058", TIME, user, text, color, mode, null);
    }

    static RoomMessage gift() {
        ObjectNode fields = Json.MAPPER.createObjectNode();
        fields.put("giftName", "rocket");
        fields.put("num", 2);
        fields.putObject("user").put("id", "10086").put("name", "Alice");
        return RoomMessage.event("g1", "23058", TIME, "SEND_GIFT", fields);
    }

    static List<RoomRecord> sample() {
        return List.of(
                record(41, danmaku("m1", new UserRef("10086", "阿伟"), "上车", 0xFF0000, 5)),
                record(42, gift()),
                record(44, danmaku("m2", new UserRef("alice@example", "Alice"), "second \"quoted\"", 0xFFFFFF, 1)));
    }

    static byte[] payload(BilibiliBatchEncoder enc, ByteBufAllocator alloc, List<RoomRecord> records) {
        ByteBuf frame = enc.encode(alloc, "23058", records);
        try {
            return BilibiliClientCodec.binaryFramePayload(frame);
        } finally {
            frame.release();
        }
    }

    static byte[] payload(BilibiliBatchEncoder enc, List<RoomRecord> records) {
        return payload(enc, UnpooledByteBufAllocator.DEFAULT, records);
    }

    @Test
    void plainFrameIsOneVer0Op5PacketPerRecordBackToBack() {
        List<Packet> packets = BilibiliClientCodec.split(payload(BilibiliBatchEncoder.PLAIN, sample()));
        assertThat(packets).hasSize(3);
        for (Packet p : packets) {
            assertThat(p.ver()).isZero();
            assertThat(p.op()).isEqualTo(5);
            assertThat(p.headerLen()).isEqualTo(16);
            assertThat(p.seq()).isZero();
            assertThat(p.packLen()).isEqualTo(16 + p.body().length);
        }
        assertThat(packets).extracting(Packet::cmd).containsExactly("DANMU_MSG", "SEND_GIFT", "DANMU_MSG");
    }

    @Test
    void aRetractionIsOneRecallDanmuMsgPerDeletedMessageNamingItAsItsDanmuMsgDid() {
        RoomRecord m1 = record(41, danmaku("01HX0000000000000000000001", new UserRef("10086", "阿伟"), "spam", 0xFF0000, 1));
        RoomRecord retraction = record(45, io.danmaku.protocol.Retraction.event("01HX0000000000000000000009", "23058",
                TIME, List.of("01HX0000000000000000000001", "01HX0000000000000000000002")));
        List<Packet> packets = BilibiliClientCodec.split(payload(BilibiliBatchEncoder.PLAIN, List.of(m1, retraction)));

        assertThat(packets).extracting(Packet::cmd).containsExactly("DANMU_MSG", "RECALL_DANMU_MSG", "RECALL_DANMU_MSG");
        long rnd = packets.get(0).json().get("info").get(0).get(5).asLong();
        JsonNode recall = packets.get(1).json().get("data");
        assertThat(recall.get("recall_type").asInt()).isZero();
        assertThat(recall.get("target_id").asLong()).as("the DANMU_MSG's info[0][5]").isEqualTo(rnd);
        assertThat(recall.get("target_id_str").asText()).isEqualTo("01HX0000000000000000000001");
        assertThat(recall.get("danmaku").get("offset").asLong()).isEqualTo(45);
        assertThat(recall.get("danmaku").get("cmd").asText()).isEqualTo("DELETE");
        assertThat(packets.get(2).json().get("data").get("target_id_str").asText())
                .isEqualTo("01HX0000000000000000000002");
        for (Packet p : packets) {
            assertThat(p.packLen()).isEqualTo(16 + p.body().length);
            assertThat(p.op()).isEqualTo(5);
        }
    }

    @Test
    void zlibFrameIsOneVer2PacketWrappingExactlyThePlainPackets() {
        byte[] plain = payload(BilibiliBatchEncoder.PLAIN, sample());
        List<Packet> outer = BilibiliClientCodec.split(payload(BilibiliBatchEncoder.ZLIB, sample()));
        assertThat(outer).hasSize(1);
        assertThat(outer.get(0).ver()).isEqualTo(2);
        assertThat(outer.get(0).op()).isEqualTo(5);
        assertThat(BilibiliClientCodec.inflate(outer.get(0).body())).isEqualTo(plain);
    }

    @Test
    void brotliFrameIsOneVer3PacketWrappingExactlyThePlainPackets() {
        assertThat(BodyCompression.brotliAvailable()).as("brotli4j's native library loads here").isTrue();
        byte[] plain = payload(BilibiliBatchEncoder.PLAIN, sample());
        List<Packet> outer = BilibiliClientCodec.split(payload(BilibiliBatchEncoder.BROTLI, sample()));
        assertThat(outer).hasSize(1);
        assertThat(outer.get(0).ver()).isEqualTo(3);
        assertThat(outer.get(0).op()).isEqualTo(5);
        assertThat(BilibiliClientCodec.unbrotli(outer.get(0).body())).isEqualTo(plain);
    }

    @Test
    void pooledDirectBuffersEncodeTheSameBytes() {
        ByteBufAllocator pooled = new PooledByteBufAllocator(true);
        for (BilibiliBatchEncoder enc : List.of(BilibiliBatchEncoder.PLAIN, BilibiliBatchEncoder.ZLIB,
                BilibiliBatchEncoder.BROTLI)) {
            assertThat(BilibiliClientCodec.decode(payload(enc, pooled, sample())))
                    .extracting(p -> new String(p.body(), StandardCharsets.UTF_8))
                    .containsExactlyElementsOf(BilibiliClientCodec.decode(payload(enc, sample())).stream()
                            .map(p -> new String(p.body(), StandardCharsets.UTF_8)).toList());
        }
    }

    @Test
    void largeBatchesUseTheLongFrameLengthFormsAndSurviveCompression() {
        for (int count : new int[] {1, 40, 400}) {
            List<RoomRecord> records = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                records.add(record(i, danmaku("m" + i, new UserRef("u" + i, "User " + i), "message number " + i
                        + " " + "弹".repeat(i % 50), 0xFFFFFF, 1)));
            }
            for (BilibiliBatchEncoder enc : List.of(BilibiliBatchEncoder.PLAIN, BilibiliBatchEncoder.ZLIB,
                    BilibiliBatchEncoder.BROTLI)) {
                List<Packet> packets = BilibiliClientCodec.decode(payload(enc, records));
                assertThat(packets).hasSize(count);
                assertThat(packets.get(count - 1).json().path("info").path(1).asText())
                        .startsWith("message number " + (count - 1));
            }
        }
    }

    // ---- the DANMU_MSG layout -------------------------------------------------------------------------------------

    @Test
    void danmuMsgCarriesTextUserColorModeAndTimeWhereTheClientsReadThem() {
        JsonNode msg = BilibiliClientCodec.split(payload(BilibiliBatchEncoder.PLAIN, sample())).get(0).json();
        JsonNode info = msg.path("info");
        assertThat(msg.path("cmd").asText()).isEqualTo("DANMU_MSG");
        assertThat(info.path(1).asText()).isEqualTo("上车");
        assertThat(info.path(2).path(0).isIntegralNumber()).isTrue();
        assertThat(info.path(2).path(0).asLong()).isEqualTo(10086);
        assertThat(info.path(2).path(1).asText()).isEqualTo("阿伟");
        assertThat(info.path(0).path(1).asInt()).as("mode").isEqualTo(5);
        assertThat(info.path(0).path(2).asInt()).as("font size").isEqualTo(25);
        assertThat(info.path(0).path(3).asInt()).as("color").isEqualTo(0xFF0000);
        assertThat(info.path(0).path(4).asLong()).as("time ms").isEqualTo(TIME);
        assertThat(info.path(9).path("ts").asLong()).as("time s").isEqualTo(TIME / 1000);
        assertThat(info.path(0).path(7).asText()).as("crc32 of the uid text").isEqualTo(
                CommandJson.crc32Hex("10086"));
        JsonNode extra;
        try {
            extra = Json.MAPPER.readTree(info.path(0).path(15).path("extra").asText());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertThat(extra.path("content").asText()).isEqualTo("上车");
        assertThat(extra.path("id_str").asText()).isEqualTo("m1");
        assertThat(info.path(0).path(15).path("user").path("base").path("name").asText()).isEqualTo("阿伟");

        JsonNode stamped = msg.path("danmaku");
        assertThat(stamped.path("id").asText()).isEqualTo("m1");
        assertThat(stamped.path("room").asText()).isEqualTo("23058");
        assertThat(stamped.path("user").path("id").asText()).isEqualTo("10086");
        assertThat(stamped.path("text").asText()).isEqualTo("上车");
        assertThat(stamped.path("offset").asLong()).isEqualTo(41);
        assertThat(stamped.path("epoch").asText()).isEqualTo(EPOCH);
    }

    /**
     * Every position the open clients' DANMU_MSG parsers index, with the type they expect: a missing one
     * raises there and the danmaku is lost.
     */
    @Test
    void everyPositionTheOpenClientsIndexIsPresentWithItsType() {
        JsonNode info = BilibiliClientCodec.split(payload(BilibiliBatchEncoder.PLAIN, sample())).get(0).json()
                .path("info");
        assertThat(info.isArray()).isTrue();
        assertThat(info.size()).isGreaterThanOrEqualTo(17);
        JsonNode i0 = info.path(0);
        assertThat(i0.size()).isGreaterThanOrEqualTo(16);
        for (int k : new int[] {1, 2, 3, 4, 5, 9, 10, 12}) {
            assertThat(i0.get(k).isNumber()).as("info[0][%d] is a number", k).isTrue();
        }
        assertThat(i0.get(7).isTextual()).isTrue();
        assertThat(i0.get(13).isTextual() || i0.get(13).isObject()).isTrue();
        assertThat(i0.get(14).isTextual() || i0.get(14).isObject()).isTrue();
        assertThat(i0.get(15).isObject()).isTrue();
        assertThat(info.get(1).isTextual()).isTrue();
        JsonNode user = info.get(2);
        assertThat(user.size()).isGreaterThanOrEqualTo(8);
        assertThat(user.get(0).isNumber()).isTrue();
        assertThat(user.get(1).isTextual()).isTrue();
        for (int k = 2; k <= 6; k++) {
            assertThat(user.get(k).isNumber()).as("info[2][%d] is a number", k).isTrue();
        }
        assertThat(user.get(7).isTextual()).isTrue();
        assertThat(info.get(3).isArray()).as("medal: empty or 6 long").isTrue();
        assertThat(info.get(3).size()).isIn(0, 6);
        JsonNode level = info.get(4);
        assertThat(level.get(0).isNumber() && level.get(2).isNumber() && level.get(3).isTextual()).isTrue();
        assertThat(info.get(5).isArray()).isTrue();
        assertThat(info.get(5).size()).isIn(0, 2);
        assertThat(info.get(7).isNumber()).as("privilege type").isTrue();
        assertThat(info.get(9).path("ts").isNumber()).isTrue();
        assertThat(info.get(16).get(0).isNumber()).as("wealth level").isTrue();
    }

    @Test
    void userIdsThatAreSafeIntegersAreWrittenAsThemselvesOthersAsAStableHash() {
        assertThat(CommandJson.uid("0")).isZero();
        assertThat(CommandJson.uid("10086")).isEqualTo(10086);
        assertThat(CommandJson.uid("9007199254740991")).isEqualTo(9007199254740991L);
        for (String other : List.of("alice@example", "007", "9007199254740992", "-5", "12345678901234567890", "")) {
            long uid = CommandJson.uid(other);
            assertThat(uid).as(other).isEqualTo(CommandJson.hash53(other)).isBetween(0L, CommandJson.MAX_SAFE_INTEGER);
        }
        assertThat(CommandJson.hash53("alice@example")).isNotEqualTo(CommandJson.hash53("alice@exampld"));

        JsonNode info = BilibiliClientCodec.split(payload(BilibiliBatchEncoder.PLAIN, sample())).get(2).json()
                .path("info");
        assertThat(info.path(2).path(0).asLong()).isEqualTo(CommandJson.hash53("alice@example"));
        assertThat(info.path(1).asText()).isEqualTo("second \"quoted\"");
    }

    @Test
    void danmakuWithoutUserIsUidZeroAndNoName() {
        RoomMessage anon = new RoomMessage("m9", "23058", TIME, null, "hi", 0xFFFFFF, 1, null, null);
        JsonNode info = BilibiliClientCodec.split(payload(BilibiliBatchEncoder.PLAIN, List.of(record(1, anon))))
                .get(0).json().path("info");
        assertThat(info.path(2).path(0).asLong()).isZero();
        assertThat(info.path(2).path(1).asText()).isEmpty();
    }

    @Test
    void customEventIsItsOwnCmdWithTheStampedFieldsAsData() {
        JsonNode msg = BilibiliClientCodec.split(payload(BilibiliBatchEncoder.PLAIN, sample())).get(1).json();
        assertThat(msg.path("cmd").asText()).isEqualTo("SEND_GIFT");
        JsonNode data = msg.path("data");
        assertThat(data.path("giftName").asText()).isEqualTo("rocket");
        assertThat(data.path("num").asInt()).isEqualTo(2);
        assertThat(data.path("user").path("name").asText()).isEqualTo("Alice");
        assertThat(data.path("id").asText()).isEqualTo("g1");
        assertThat(data.path("time").asLong()).isEqualTo(TIME);
        assertThat(data.path("offset").asLong()).isEqualTo(42);
        assertThat(data.path("epoch").asText()).isEqualTo(EPOCH);
        assertThat(msg.has("info")).isFalse();
    }

    @Test
    void unreadableRecordBecomesItsOwnCmdInsteadOfBreakingTheBatch() {
        RoomRecord broken = new RoomRecord("23058", 3, EPOCH, TIME, "not json".getBytes(StandardCharsets.UTF_8));
        List<Packet> packets = BilibiliClientCodec.split(payload(BilibiliBatchEncoder.PLAIN,
                List.of(broken, sample().get(0))));
        assertThat(packets).extracting(Packet::cmd).containsExactly(CommandJson.UNREADABLE, "DANMU_MSG");
        assertThat(packets.get(0).json().path("data").path("offset").asLong()).isEqualTo(3);
    }

    @Test
    void protoverPicksTheFormAndBrotliFallsBackToZlib() {
        assertThat(BilibiliBatchEncoder.forProtover(0, true)).isSameAs(BilibiliBatchEncoder.PLAIN);
        assertThat(BilibiliBatchEncoder.forProtover(1, true)).isSameAs(BilibiliBatchEncoder.PLAIN);
        assertThat(BilibiliBatchEncoder.forProtover(2, true)).isSameAs(BilibiliBatchEncoder.ZLIB);
        assertThat(BilibiliBatchEncoder.forProtover(3, true)).isSameAs(BilibiliBatchEncoder.BROTLI);
        assertThat(BilibiliBatchEncoder.forProtover(3, false)).isSameAs(BilibiliBatchEncoder.ZLIB);
        assertThat(BilibiliBatchEncoder.BROTLI.ver()).isEqualTo(3);
    }
}
