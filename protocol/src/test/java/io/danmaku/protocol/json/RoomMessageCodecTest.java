package io.danmaku.protocol.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.DanmakuException;
import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.UserRef;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RoomMessageCodecTest {

    @Test
    void aDanmakuSurvivesARoundTrip() throws Exception {
        ObjectNode extra = Json.MAPPER.createObjectNode();
        extra.putObject("medal").put("name", "粉丝团").put("level", 12);
        RoomMessage m = RoomMessage.danmaku("m-1", "room-1", 1_700_000_000_123L, new UserRef("42", "小明"),
                "前方高能 🎉", 0xFF0000, RoomMessage.MODE_TOP, extra);

        byte[] json = RoomMessageCodec.encode(m);
        RoomMessage back = RoomMessageCodec.decode(json);

        assertThat(back).isEqualTo(m);
        assertThat(back.isDanmaku()).isTrue();
        JsonNode tree = Json.MAPPER.readTree(json);
        assertThat(tree.get("id").asText()).isEqualTo("m-1");
        assertThat(tree.get("room").asText()).isEqualTo("room-1");
        assertThat(tree.get("time").asLong()).isEqualTo(1_700_000_000_123L);
        assertThat(tree.get("user").get("name").asText()).isEqualTo("小明");
        assertThat(tree.get("text").asText()).isEqualTo("前方高能 🎉");
        assertThat(tree.get("color").asInt()).isEqualTo(0xFF0000);
        assertThat(tree.get("mode").asInt()).isEqualTo(5);
        assertThat(tree.get("medal").get("level").asInt()).isEqualTo(12);
        assertThat(new String(json, StandardCharsets.UTF_8)).doesNotContain("\n", " \"");
    }

    @Test
    void aDanmakuWithoutUserOrExtrasSurvivesARoundTrip() {
        RoomMessage m = RoomMessage.danmaku("m-2", "r", 5, null, "hi", RoomMessage.DEFAULT_COLOR,
                RoomMessage.DEFAULT_MODE, null);
        RoomMessage back = RoomMessageCodec.decode(RoomMessageCodec.encode(m));
        assertThat(back).isEqualTo(m);
        assertThat(back.user()).isNull();
    }

    @Test
    void aCustomEventKeepsItsOwnUserTextAndUnknownFields() throws Exception {
        ObjectNode fields = Json.MAPPER.createObjectNode();
        fields.put("giftName", "辣条");
        fields.put("num", 3);
        fields.putObject("user").put("uid", 7).put("uname", "backend-shape");
        fields.put("text", "thanks!");
        RoomMessage gift = RoomMessage.event("e-1", "room-1", 99, "GIFT", fields);

        byte[] json = RoomMessageCodec.encode(gift);
        JsonNode tree = Json.MAPPER.readTree(json);
        assertThat(tree.get("cmd").asText()).isEqualTo("GIFT");
        assertThat(tree.get("user").get("uid").asInt()).isEqualTo(7);
        assertThat(tree.get("text").asText()).isEqualTo("thanks!");
        assertThat(tree.has("color")).isFalse();

        RoomMessage back = RoomMessageCodec.decode(json);
        assertThat(back.isDanmaku()).isFalse();
        assertThat(back.cmd()).isEqualTo("GIFT");
        assertThat(back.user()).isNull();
        assertThat(back.text()).isNull();
        assertThat(back.extra()).isEqualTo(fields);
        assertThat(Json.MAPPER.readTree(RoomMessageCodec.encode(back))).isEqualTo(tree);
    }

    @Test
    void unknownFieldsSurviveDecodeAndEncode() throws Exception {
        String in = """
                {"id":"x","room":"r","time":1,"user":{"id":"u","name":"n"},"text":"t","color":1,"mode":4,\
                "future":{"a":[1,2,3]},"flag":true}""";
        RoomMessage m = RoomMessageCodec.decode(in.getBytes(StandardCharsets.UTF_8));
        assertThat(m.extra().get("flag").asBoolean()).isTrue();

        JsonNode out = Json.MAPPER.readTree(RoomMessageCodec.encode(m));
        assertThat(out).isEqualTo(Json.MAPPER.readTree(in));
    }

    @Test
    void defaultColourModeAndAMissingUserAreLeftOutAndComeBackOnDecode() {
        RoomMessage m = RoomMessage.danmaku("x", "r", 1, null, "t", RoomMessage.DEFAULT_COLOR,
                RoomMessage.DEFAULT_MODE, null);
        assertThat(new String(RoomMessageCodec.encode(m), StandardCharsets.UTF_8))
                .isEqualTo("{\"id\":\"x\",\"room\":\"r\",\"time\":1,\"text\":\"t\"}");
        RoomMessage back = RoomMessageCodec.decode(RoomMessageCodec.encode(m));
        assertThat(back.color()).isEqualTo(RoomMessage.DEFAULT_COLOR);
        assertThat(back.mode()).isEqualTo(RoomMessage.DEFAULT_MODE);
        assertThat(back.user()).isNull();
        RoomMessage named = RoomMessage.danmaku("x", "r", 1, new io.danmaku.protocol.UserRef("u", null), "t", 2, 5,
                null);
        assertThat(new String(RoomMessageCodec.encode(named), StandardCharsets.UTF_8))
                .isEqualTo("{\"id\":\"x\",\"room\":\"r\",\"time\":1,\"user\":{\"id\":\"u\",\"name\":\"u\"},\"text\":\"t\","
                        + "\"color\":2,\"mode\":5}");
    }

    @Test
    void invalidInputIsRejectedAsNotRetriable() {
        for (String bad : new String[] {"{", "not json", "[1,2]", "42", "{\"room\":\"r\"}", "{\"id\":\"x\"}",
                "{\"id\":\"x\",\"id\":\"y\",\"room\":\"r\"}", ""}) {
            assertThatThrownBy(() -> RoomMessageCodec.decode(bad.getBytes(StandardCharsets.UTF_8)))
                    .as(bad)
                    .isInstanceOfSatisfying(DanmakuException.class, e -> assertThat(e.retriable()).isFalse())
                    .hasMessageStartingWith("room message:");
        }
    }

    @Test
    void thePriorityFlagSurvivesARoundTripAndIsWrittenOnlyWhenSet() throws Exception {
        RoomMessage flagged = RoomMessage.danmaku("m-p", "r", 5, new UserRef("mod", "Mod"), "rules: be nice",
                RoomMessage.DEFAULT_COLOR, RoomMessage.DEFAULT_MODE, null).withPriority();
        byte[] json = RoomMessageCodec.encode(flagged);
        assertThat(Json.MAPPER.readTree(json).get("priority").asBoolean()).isTrue();
        assertThat(RoomMessageCodec.decode(json)).isEqualTo(flagged);

        RoomMessage plain = RoomMessage.danmaku("m-q", "r", 5, new UserRef("u", null), "hi",
                RoomMessage.DEFAULT_COLOR, RoomMessage.DEFAULT_MODE, null);
        assertThat(new String(RoomMessageCodec.encode(plain), StandardCharsets.UTF_8)).doesNotContain("priority");
    }

    @Test
    void aRecordWrittenBeforeThePriorityFlagReadsAsOrdinaryChat() {
        byte[] old = "{\"id\":\"m-1\",\"room\":\"r\",\"time\":7,\"user\":{\"id\":\"42\"},\"text\":\"hi\"}"
                .getBytes(StandardCharsets.UTF_8);
        RoomMessage m = RoomMessageCodec.decode(old);
        assertThat(m.priority()).isFalse();
        assertThat(m.isPriority()).isFalse();
        assertThat(RoomMessageCodec.classify(old)).isEqualTo(new MessageClass(false, "42", 7));

        // a non-boolean "priority" of an old record is its own field, kept, not the flag
        byte[] odd = "{\"id\":\"m-2\",\"room\":\"r\",\"time\":7,\"user\":{\"id\":\"42\"},\"text\":\"hi\",\"priority\":\"high\"}"
                .getBytes(StandardCharsets.UTF_8);
        RoomMessage m2 = RoomMessageCodec.decode(odd);
        assertThat(m2.priority()).isFalse();
        assertThat(m2.extra().get("priority").asText()).isEqualTo("high");
        assertThat(RoomMessageCodec.classify(odd).priority()).isFalse();
    }

    @Test
    void priorityMeansAnEventASystemMessageOrTheFlag() {
        UserRef user = new UserRef("42", "Ann");
        RoomMessage chat = RoomMessage.danmaku("a", "r", 1, user, "hi", 0xFFFFFF, 1, null);
        RoomMessage system = RoomMessage.danmaku("b", "r", 1, null, "stream starts", 0xFFFFFF, 1, null);
        RoomMessage flagged = chat.withPriority();
        ObjectNode gift = Json.MAPPER.createObjectNode().put("giftName", "rose");
        gift.putObject("user").put("id", "42");
        RoomMessage event = RoomMessage.event("c", "r", 1, "GIFT", gift);

        assertThat(chat.isPriority()).isFalse();
        assertThat(system.isPriority()).isTrue();
        assertThat(flagged.isPriority()).isTrue();
        assertThat(event.isPriority()).isTrue();
        // the streaming classification agrees with the decoded message's rule, and names the author of chat only
        for (RoomMessage m : new RoomMessage[] {chat, system, flagged, event}) {
            MessageClass c = RoomMessageCodec.classify(RoomMessageCodec.encode(m));
            assertThat(c.priority()).as(m.id()).isEqualTo(m.isPriority());
            assertThat(c.author()).as(m.id()).isEqualTo(m.isDanmaku() && m.user() != null ? m.user().id() : null);
            assertThat(c.timeMillis()).as(m.id()).isEqualTo(1);
        }
    }

    @Test
    void aPayloadThatCannotBeReadIsClassifiedAsPriority() {
        for (String bad : new String[] {"", "[1,2]", "{\"id\":", "not json", "{\"user\":{\"id\":\"42\"}"}) {
            assertThat(RoomMessageCodec.classify(bad.getBytes(StandardCharsets.UTF_8))).as(bad)
                    .isEqualTo(MessageClass.UNREADABLE);
        }
    }

    @Test
    void theQuickScanAndJacksonClassifyAlike() {
        String[] payloads = {
            "{\"id\":\"a\",\"room\":\"r\",\"time\":1764196800123,\"user\":{\"id\":\"u1\",\"name\":\"N\"},\"text\":\"hi\"}",
            "{\"id\":\"a\",\"room\":\"r\",\"time\":5,\"cmd\":\"GIFT\",\"user\":{\"id\":\"u1\"},\"combo\":[1,{\"x\":[true,false,null]}]}",
            "{\"id\":\"a\",\"room\":\"r\",\"time\":5,\"cmd\":null,\"user\":{\"id\":\"u1\"},\"priority\":true}",
            "{\"id\":\"a\",\"time\":-5,\"user\":{\"id\":\"\"},\"text\":\"system\"}",
            "{\"user\":{\"id\":\"\u5c0f\u660e\"},\"time\":1.5}",
            "{\"user\":{\"id\":42},\"time\":\"soon\"}",
            "{\"user\":{\"id\":null,\"name\":\"x\"},\"priority\":\"high\",\"text\":\"a \\\"quoted\\\" \\\\ text\"}",
            "{\"user\":\"u1\",\"text\":\"x\",\"extra\":{\"deep\":{\"er\":[[[]]]}},\"n\":-1.25e+3}",
            "{\"cm\\u0064\":\"GIFT\"}",
            " { \"user\" : { \"id\" : \"u 1\" } , \"time\" : 7 } ",
            "{}",
            "{\"user\":{\"id\":\"u1\"},\"text\":tru}",
            "{\"user\":{\"id\":\"u1\"},\"extra\":[1,}",
            "{\"user\":{\"id\":\"u1\"}",
            "[" .repeat(200) + "]".repeat(200),
            "{\"a\":" + "[".repeat(100) + "]".repeat(100) + ",\"user\":{\"id\":\"u1\"}}",
            "{\"time\":99999999999999999999}",
        };
        for (String json : payloads) {
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            assertThat(RoomMessageCodec.classify(bytes)).as(json).isEqualTo(RoomMessageCodec.classifyWithParser(bytes));
        }
        // the plain shapes are answered without Jackson
        assertThat(MessageScanner.classify(payloads[0].getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new MessageClass(false, "u1", 1764196800123L));
        assertThat(MessageScanner.classify(payloads[1].getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new MessageClass(true, null, 5));
    }
}
