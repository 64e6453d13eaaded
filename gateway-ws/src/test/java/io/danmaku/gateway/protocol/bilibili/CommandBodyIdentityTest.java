package io.danmaku.gateway.protocol.bilibili;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.gateway.protocol.bilibili.BilibiliClientCodec.Packet;
import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.json.RoomMessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The packet built once per record and shared by every form and event loop is, byte for byte, the body the
 * encoders wrote per record before ({@link LegacyCommandJson}), for every shape of message; and the cache hands
 * each record its own packet, never another record's.
 */
class CommandBodyIdentityTest {
    static final String ROOM = "23058";
    static final String EPOCH = "e-7";
    static final long TIME = 1_764_196_800_123L;

    /** Characters that need care: quotes, escapes, controls, separators, CJK, a surrogate pair (emoji). */
    static final String AWKWARD = "say \"hi\" \\ back/slash\ttab\nnl\r\u0000\u0001\u001f\u007f\u2028\u2029 弹幕 "
            + "😀 é";

    static RoomRecord record(long offset, RoomMessage m) {
        return new RoomRecord(ROOM, offset, EPOCH, TIME - 5, RoomMessageCodec.encode(m));
    }

    static RoomRecord raw(long offset, String payload) {
        return raw(offset, payload.getBytes(StandardCharsets.UTF_8));
    }

    static RoomRecord raw(long offset, byte[] payload) {
        return new RoomRecord(ROOM, offset, EPOCH, TIME - 5, payload);
    }

    static RoomMessage danmaku(String id, UserRef user, String text, int color, int mode) {
        return RoomMessage.danmaku(id, ROOM, TIME, user, text, color, mode, null);
    }

    static byte[] legacyBody(RoomRecord r) {
        ByteBuf buf = Unpooled.buffer();
        try {
            LegacyCommandJson.write(buf, r);
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    static byte[] legacyPacket(RoomRecord r) {
        byte[] body = legacyBody(r);
        return ByteBuffer.allocate(16 + body.length).putInt(16 + body.length).putShort((short) 16)
                .putShort((short) 0).putInt(5).putInt(0).put(body).array();
    }

    /** One record of every shape the encoders meet. */
    static List<RoomRecord> everyShape() {
        List<RoomRecord> out = new ArrayList<>();
        long o = 1;
        // danmaku posts
        out.add(record(o++, danmaku("m1", new UserRef("10086", "阿伟"), "上车", 0xFF0000, 5)));
        out.add(record(o++, danmaku("m2", new UserRef("alice@example", "Alice"), AWKWARD, 0xFFFFFF, 1)));
        out.add(record(o++, danmaku("m3", new UserRef("007", "Bond \"007\""), "😀😀 emoji only 🎉", 0, 4)));
        out.add(record(o++, danmaku("m4", new UserRef("9007199254740992", "big"), "", 0x123456, 1)));
        out.add(record(o++, danmaku("id \"quoted\" 弹 😀", new UserRef("u\u0001", "ctl\u0002name"), "x", 1, 1)));
        out.add(record(o++, danmaku("m6", null, "anonymous " + AWKWARD, 0xFFFFFF, 1)));
        out.add(record(o++, danmaku("m7", new UserRef("42", null), "name defaults to the id", 0xFFFFFF, 1)));
        out.add(record(o++, RoomMessage.danmaku("m8", ROOM, 0, new UserRef("1", "one"), "no server time", -1,
                Integer.MAX_VALUE, null)));
        ObjectNode extra = Json.MAPPER.createObjectNode();
        extra.put("reply_to", "m1");
        extra.putArray("tags").add(1).add(2.5).add(true).addNull().add(AWKWARD);
        extra.putObject("nested").put("k", "v").putObject("deeper").put("n", Long.MIN_VALUE);
        extra.put("big", new java.math.BigInteger("123456789012345678901234567890"));
        extra.put("dec", new java.math.BigDecimal("1.50"));
        extra.put("offset", 999);
        extra.put("weird \"key\" 😀", "v");
        out.add(record(o++, RoomMessage.danmaku("m9", ROOM, TIME, new UserRef("5", "five"), "with extras", 255, 1,
                extra)));
        // payloads as other producers may write them: fields absent, odd types, explicit nulls
        out.add(raw(o++, "{\"id\":\"r1\",\"room\":\"23058\",\"text\":\"no colour, mode, time or user\"}"));
        out.add(raw(o++, "{\"id\":\"r2\",\"room\":\"23058\",\"time\":\"17\",\"color\":\"255\",\"mode\":4.0,"
                + "\"text\":null,\"user\":{\"id\":\"77\"}}"));
        out.add(raw(o++, "{\"id\":\"r3\",\"room\":\"23058\",\"time\":5,\"user\":{\"id\":\"\"},\"text\":\"empty uid\","
                + "\"epoch\":\"theirs\",\"offset\":\"theirs\",\"zzz\":[]}"));
        out.add(raw(o++, "{\"user\":{\"id\":\"8\",\"name\":\"first\"},\"text\":\"fields out of order\","
                + "\"mode\":5,\"room\":\"23058\",\"id\":\"r4\",\"time\":9}"));
        // custom events, kept as sent
        ObjectNode gift = Json.MAPPER.createObjectNode();
        gift.put("giftName", "rocket 🚀");
        gift.put("num", 2);
        gift.putObject("user").put("id", "10086").put("name", "Alice").put("level", 3);
        gift.put("text", AWKWARD);
        gift.put("color", "red");
        gift.put("mode", 9);
        out.add(record(o++, RoomMessage.event("g1", ROOM, TIME, "SEND_GIFT", gift)));
        out.add(record(o++, RoomMessage.event("g2", ROOM, TIME, "NOTICE \"x\" 公告", null)));
        out.add(raw(o++, "{\"id\":\"g3\",\"room\":\"23058\",\"time\":1,\"cmd\":\"POS\",\"offset\":7,\"a\":1,"
                + "\"epoch\":null,\"b\":{\"c\":[1,{\"d\":null}]},\"f\":1.0e10}"));
        // unreadable payloads
        out.add(raw(o++, "not json"));
        out.add(raw(o++, "[1,2]"));
        out.add(raw(o++, "{\"room\":\"23058\",\"text\":\"no id\"}"));
        out.add(raw(o++, "{\"id\":\"d\",\"id\":\"duplicate\",\"room\":\"23058\"}"));
        out.add(raw(o++, new byte[] {'{', '"', 'i', 'd', '"', ':', '"', (byte) 0xC3, '"', '}'}));
        out.add(new RoomRecord("房间 \"1\"", o++, "epoch 😀", TIME, "{".getBytes(StandardCharsets.UTF_8)));
        // a large one (more than the cache keeps)
        out.add(record(o++, danmaku("big", new UserRef("9", "nine"), ("长文本 " + AWKWARD).repeat(400), 1, 1)));
        return out;
    }

    @Test
    void everyShapeIsByteIdenticalToTheBodyWrittenPerRecordBefore() {
        for (RoomRecord r : everyShape()) {
            assertThat(CommandJson.packet(r)).as(r.toString()).isEqualTo(legacyPacket(r));
        }
    }

    @Test
    void randomTextsUsersAndEventsAreByteIdentical() {
        Random random = new Random(20251127);
        String alphabet = AWKWARD + "abcXYZ0129 上车前方高能,.:{}[]";
        for (int i = 0; i < 500; i++) {
            String text = randomString(random, alphabet, random.nextInt(60));
            String userId = random.nextInt(3) == 0 ? Long.toString(random.nextLong() >>> random.nextInt(64))
                    : randomString(random, alphabet, 1 + random.nextInt(10));
            UserRef user = random.nextInt(5) == 0 ? null
                    : new UserRef(userId, random.nextBoolean() ? null : randomString(random, alphabet, 8));
            RoomMessage m;
            if (random.nextInt(4) == 0) {
                ObjectNode fields = Json.MAPPER.createObjectNode();
                fields.put(randomString(random, alphabet, 5), text);
                fields.put("n", random.nextLong());
                m = RoomMessage.event("e" + i, ROOM, random.nextInt(3) == 0 ? 0 : TIME + i,
                        randomString(random, alphabet, 6), fields);
            } else {
                m = RoomMessage.danmaku(randomString(random, alphabet, 12), ROOM,
                        random.nextInt(3) == 0 ? 0 : TIME + i, user, text, random.nextInt(), random.nextInt(6),
                        null);
            }
            RoomRecord r = new RoomRecord(ROOM, random.nextLong() >>> 1, EPOCH, TIME, RoomMessageCodec.encode(m));
            assertThat(CommandJson.packet(r)).as(r.toString()).isEqualTo(legacyPacket(r));
        }
    }

    @Test
    void everyFormCarriesTheOldBodiesInOrder() {
        List<RoomRecord> records = everyShape();
        List<byte[]> expected = records.stream().map(CommandBodyIdentityTest::legacyBody).toList();
        for (BilibiliBatchEncoder enc : List.of(BilibiliBatchEncoder.PLAIN, BilibiliBatchEncoder.ZLIB,
                BilibiliBatchEncoder.BROTLI)) {
            for (int round = 0; round < 2; round++) { // built, then shared
                List<Packet> packets = BilibiliClientCodec.decode(
                        BilibiliBatchEncoderTest.payload(enc, records));
                assertThat(packets).as(enc.toString()).hasSameSizeAs(records);
                for (int i = 0; i < packets.size(); i++) {
                    assertThat(packets.get(i).ver()).isZero();
                    assertThat(packets.get(i).body()).as(enc + " " + records.get(i)).isEqualTo(expected.get(i));
                }
            }
        }
    }

    /**
     * Records that agree on room, offset and epoch (a new epoch, a test, a replay) or share a slot: each gets
     * its own body, whatever order they are asked in.
     */
    @Test
    void aRecordNeverGetsAnotherRecordsPacket() {
        CommandPacketCache cache = new CommandPacketCache(1, 64 * 1024);
        RoomRecord a = record(41, danmaku("a", new UserRef("1", "one"), "first", 1, 1));
        RoomRecord b = record(41, danmaku("b", new UserRef("2", "two"), "second", 2, 1));
        RoomRecord c = new RoomRecord(ROOM, 41, "another-epoch", TIME, a.payload());
        RoomRecord d = new RoomRecord("other-room", 41, EPOCH, TIME, a.payload());
        RoomRecord aAgain = new RoomRecord(a.room(), a.offset(), a.epoch(), a.timeMillis(), a.payload());
        for (RoomRecord r : List.of(a, b, a, c, d, aAgain, b, aAgain, a, d)) {
            assertThat(cache.packet(r)).as(r.toString()).isEqualTo(legacyPacket(r));
        }

        CommandPacketCache big = new CommandPacketCache(1024, 64 * 1024);
        List<RoomRecord> many = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            // offsets repeat across rooms and epochs, so slots are shared
            String room = "room-" + (i % 7);
            many.add(new RoomRecord(room, i % 500, "ep" + (i % 3), TIME, RoomMessageCodec.encode(
                    RoomMessage.danmaku("m" + i, room, TIME, new UserRef("u" + i, "n" + i), "text " + i, i, 1,
                            null))));
        }
        for (int pass = 0; pass < 2; pass++) {
            for (int i = pass; i < many.size(); i += 2) {
                RoomRecord r = many.get(i);
                assertThat(big.packet(r)).as(r.toString()).isEqualTo(legacyPacket(r));
            }
        }
    }

    @Test
    void eachRecordIsBuiltOnceForAllFormsAndBothEventLoops() throws Exception {
        CommandPacketCache cache = new CommandPacketCache(1024, 64 * 1024);
        List<BilibiliBatchEncoder> forms = List.of(new BilibiliBatchEncoder(BilibiliPackets.VER_JSON, cache),
                new BilibiliBatchEncoder(BilibiliPackets.VER_ZLIB, cache),
                new BilibiliBatchEncoder(BilibiliPackets.VER_BROTLI, cache));
        List<RoomRecord> batch = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            batch.add(record(100 + i, danmaku("m" + i, new UserRef("u" + i, "n" + i), "hello " + i, 1, 1)));
        }
        // first loop, all forms
        List<byte[]> first = new ArrayList<>();
        for (BilibiliBatchEncoder enc : forms) {
            first.add(BilibiliBatchEncoderTest.payload(enc, batch));
        }
        assertThat(cache.builds()).isEqualTo(batch.size());
        // second loop, on its own thread
        List<byte[]> second = CompletableFuture.supplyAsync(() -> {
            List<byte[]> out = new ArrayList<>();
            for (BilibiliBatchEncoder enc : forms) {
                out.add(BilibiliBatchEncoderTest.payload(enc, batch));
            }
            return out;
        }).get();
        assertThat(cache.builds()).isEqualTo(batch.size());
        for (int f = 0; f < forms.size(); f++) {
            assertThat(second.get(f)).as(forms.get(f).toString()).isEqualTo(first.get(f));
        }
        // and what they carry is what was written before
        List<Packet> plain = BilibiliClientCodec.split(first.get(0));
        for (int i = 0; i < batch.size(); i++) {
            assertThat(plain.get(i).body()).isEqualTo(legacyBody(batch.get(i)));
        }
    }

    @Test
    void packetsLargerThanTheLimitAreBuiltEachTimeAndNotKept() {
        CommandPacketCache cache = new CommandPacketCache(16, 2048);
        RoomRecord small = record(1, danmaku("s", new UserRef("1", "one"), "short", 1, 1));
        RoomRecord large = record(2, danmaku("l", new UserRef("1", "one"), "长".repeat(2000), 1, 1));
        for (int i = 0; i < 3; i++) {
            assertThat(cache.packet(small)).isEqualTo(legacyPacket(small));
            assertThat(cache.packet(large)).isEqualTo(legacyPacket(large));
        }
        assertThat(cache.builds()).as("small once, large every time").isEqualTo(1 + 3);
    }

    @Test
    void encodingWithUnpooledHeapBuffersGivesTheSameFrames() {
        List<RoomRecord> records = everyShape();
        for (BilibiliBatchEncoder enc : List.of(BilibiliBatchEncoder.PLAIN, BilibiliBatchEncoder.ZLIB,
                BilibiliBatchEncoder.BROTLI)) {
            UnpooledByteBufAllocator heap = new UnpooledByteBufAllocator(false);
            assertThat(BilibiliClientCodec.decode(BilibiliBatchEncoderTest.payload(enc, heap, records)))
                    .extracting(p -> new String(p.body(), StandardCharsets.UTF_8))
                    .containsExactlyElementsOf(records.stream()
                            .map(r -> new String(legacyBody(r), StandardCharsets.UTF_8)).toList());
        }
    }

    private static String randomString(Random random, String alphabet, int length) {
        int[] points = alphabet.codePoints().toArray();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < length; i++) {
            b.appendCodePoint(points[random.nextInt(points.length)]);
        }
        return b.toString();
    }
}
