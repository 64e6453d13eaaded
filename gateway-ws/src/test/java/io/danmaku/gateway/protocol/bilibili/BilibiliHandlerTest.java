package io.danmaku.gateway.protocol.bilibili;

import static io.danmaku.gateway.protocol.bilibili.BilibiliClientCodec.auth;
import static io.danmaku.gateway.protocol.bilibili.BilibiliClientCodec.concat;
import static io.danmaku.gateway.protocol.bilibili.BilibiliClientCodec.heartbeat;
import static io.danmaku.gateway.protocol.bilibili.BilibiliClientCodec.packet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Named.named;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.gateway.GatewayConfig;
import io.danmaku.gateway.auth.PrivateRooms;
import io.danmaku.gateway.auth.TokenVerifier;
import io.danmaku.gateway.protocol.bilibili.BilibiliClientCodec.Packet;
import io.danmaku.gateway.room.FanoutDispatcher;
import io.danmaku.gateway.room.FanoutMetrics;
import io.danmaku.gateway.room.RoomRegistry;
import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.json.RoomMessageCodec;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.danmaku.testkit.ws.TestTokens;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The session handler alone in an {@code EmbeddedChannel}: write inbound, read outbound, release, finish. */
class BilibiliHandlerTest {
    static final String SECRET = "embedded-secret-embedded-secret-0123456";
    static final String TOKEN = TestTokens.hs256(SECRET, "10086", "Alice");
    static final String AUTH = "{\"uid\":0,\"roomid\":123,\"protover\":1,\"platform\":\"web\",\"type\":2,"
            + "\"key\":\"" + TOKEN + "\",\"buvid\":\"XY-1\",\"clientver\":\"1.6.3\"}";

    MemoryMessageBus bus;
    SimpleMeterRegistry meters;
    RoomRegistry registry;
    EmbeddedChannel ch;

    @BeforeEach
    void setUp() {
        bus = new MemoryMessageBus();
        open(true);
    }

    void open(boolean allowAnonymous) {
        open(allowAnonymous, PrivateRooms.NONE);
    }

    void open(boolean allowAnonymous, PrivateRooms privateRooms) {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
        meters = new SimpleMeterRegistry();
        ch = new EmbeddedChannel();
        GatewayConfig config = GatewayConfig.builder().batchWindow(Duration.ZERO).privateRooms(privateRooms).build();
        registry = new RoomRegistry(ch.eventLoop(), 0, 100, 16, new FanoutMetrics(meters));
        GatewayContext ctx = new GatewayContext(config, registry, bus, new MemoryHotStore(),
                req -> CompletableFuture.failedFuture(new AssertionError("posting is not part of /sub")),
                TokenVerifier.create(SECRET, null, Clock.systemUTC()), allowAnonymous, meters);
        ch.pipeline().addLast(new BilibiliHandler(ctx));
    }

    @AfterEach
    void tearDown() {
        ch.finishAndReleaseAll();
        bus.close();
    }

    void send(byte[] frame) {
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(frame)));
        ch.runPendingTasks();
    }

    /** The next outbound message: a binary frame holding exactly one packet. */
    Packet reply() {
        Object out = ch.readOutbound();
        assertThat(out).isInstanceOf(BinaryWebSocketFrame.class);
        BinaryWebSocketFrame f = (BinaryWebSocketFrame) out;
        try {
            List<Packet> packets = BilibiliClientCodec.split(ByteBufUtil.getBytes(f.content()));
            assertThat(packets).hasSize(1);
            return packets.get(0);
        } finally {
            f.release();
        }
    }

    int closeCode() {
        Object out = ch.readOutbound();
        assertThat(out).isInstanceOf(CloseWebSocketFrame.class);
        CloseWebSocketFrame close = (CloseWebSocketFrame) out;
        try {
            return close.statusCode();
        } finally {
            close.release();
        }
    }

    /** A room batch as the fan-out engine writes it: one complete WebSocket frame, decoded to packets. */
    List<Packet> batch() {
        Object out = ch.readOutbound();
        assertThat(out).isInstanceOf(ByteBuf.class);
        ByteBuf raw = (ByteBuf) out;
        try {
            return BilibiliClientCodec.decode(BilibiliClientCodec.binaryFramePayload(raw));
        } finally {
            raw.release();
        }
    }

    double errors(String kind) {
        Counter c = meters.find("danmaku.gateway.protocol.errors").tags("protocol", "bilibili", "kind", kind)
                .counter();
        return c == null ? 0 : c.count();
    }

    double disconnects(int code) {
        Counter c = meters.find("danmaku.gateway.disconnects")
                .tags("protocol", "bilibili", "code", Integer.toString(code)).counter();
        return c == null ? 0 : c.count();
    }

    void authOk(String body) {
        send(auth(body));
        Packet p = reply();
        assertThat(p.op()).isEqualTo(8);
        assertThat(p.json().path("code").asInt()).isZero();
    }

    void finish() {
        Object left = ch.readOutbound();
        assertThat(left).as("nothing more written").isNull();
        assertFalse(ch.finish());
    }

    static RoomRecord record(String room, long offset, RoomMessage m) {
        return new RoomRecord(room, offset, "e1", m.timeMillis(), RoomMessageCodec.encode(m));
    }

    // ---- auth -------------------------------------------------------------------------------------------------

    @Test
    void authWithTokenIsAnsweredByOp8CodeZeroWithTheClientsSeqAndJoinsTheRoom() {
        byte[] body = AUTH.getBytes(StandardCharsets.UTF_8);
        send(packet(16 + body.length, 16, 1, 7, 42, body));
        Packet p = reply();
        assertThat(p.op()).isEqualTo(8);
        assertThat(p.ver()).isEqualTo(1);
        assertThat(p.seq()).isEqualTo(42);
        assertThat(p.headerLen()).isEqualTo(16);
        assertThat(p.packLen()).isEqualTo(16 + p.body().length);
        assertThat(new String(p.body(), StandardCharsets.UTF_8)).isEqualTo("{\"code\":0}");
        assertThat(registry.localCount("123")).isEqualTo(1);
        assertThat(ch.isOpen()).isTrue();
        finish();
    }

    @Test
    void roomidAsADigitStringNamesTheSameRoom() {
        authOk("{\"roomid\":\"00123\",\"key\":\"" + TOKEN + "\"}");
        assertThat(registry.localCount("123")).isEqualTo(1);
        finish();
    }

    @Test
    void noKeyJoinsAnonymouslyWhenAllowed() {
        authOk("{\"uid\":0,\"roomid\":5,\"protover\":3}");
        assertThat(registry.localCount("5")).isEqualTo(1);
        finish();
    }

    @Test
    void emptyKeyIsAnonymousToo() {
        authOk("{\"roomid\":5,\"key\":\"\"}");
        finish();
    }

    @Test
    void badSignatureIsAnsweredByMinus101ThenClosed1008() {
        String forged = TestTokens.hs256("another-secret-another-secret-another-0", "10086", "Alice");
        assertAuthRefused("{\"roomid\":123,\"key\":\"" + forged + "\"}");
    }

    @Test
    void malformedTokenIsAnsweredByMinus101() {
        assertAuthRefused("{\"roomid\":123,\"key\":\"not-a-jwt\"}");
    }

    @Test
    void expiredTokenIsAnsweredByMinus101() {
        String expired = TestTokens.hs256(SECRET, "10086", "Alice", Instant.now().minusSeconds(60), null);
        assertAuthRefused("{\"roomid\":123,\"key\":\"" + expired + "\"}");
    }

    @Test
    void tokenLimitedToOtherRoomsIsAnsweredByMinus101() {
        String limited = TestTokens.hs256(SECRET, "10086", "Alice", Instant.now().plusSeconds(60), List.of("7"));
        assertAuthRefused("{\"roomid\":123,\"key\":\"" + limited + "\"}");
    }

    @Test
    void noKeyIsAnsweredByMinus101WhenAnonymousAccessIsDisabled() {
        open(false);
        assertAuthRefused("{\"roomid\":123,\"protover\":3}");
    }

    @Test
    void tokenStillWorksWhenAnonymousAccessIsDisabled() {
        open(false);
        authOk(AUTH);
        finish();
    }

    @Test
    void authIntoAPrivateRoomIsAnsweredByMinus101EvenWithAValidKey() {
        open(true, PrivateRooms.of(List.of("12*")));
        assertAuthRefused(AUTH);
    }

    @Test
    void authIntoAPrivateRoomIsRefusedEvenWhenTheKeysRoomsClaimListsIt() {
        open(true, PrivateRooms.of(List.of("123")));
        String key = TestTokens.hs256(SECRET, "10086", "Alice", Instant.now().plusSeconds(3600), List.of("123"));
        assertAuthRefused("{\"roomid\":123,\"protover\":3,\"key\":\"" + key + "\"}");
    }

    @Test
    void anonymousAuthIntoAPrivateRoomIsRefused() {
        open(true, PrivateRooms.of(List.of("12*")));
        assertAuthRefused("{\"roomid\":123,\"protover\":3}");
    }

    @Test
    void roomsOutsideThePrivatePatternsStayOpen() {
        open(true, PrivateRooms.of(List.of("9*", "private.*")));
        authOk(AUTH);
        finish();
    }

    private void assertAuthRefused(String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        send(packet(16 + b.length, 16, 1, 7, 9, b));
        Packet p = reply();
        assertThat(p.op()).isEqualTo(8);
        assertThat(p.seq()).isEqualTo(9);
        assertThat(p.json().path("code").asInt()).isEqualTo(-101);
        assertThat(closeCode()).isEqualTo(1008);
        assertThat(ch.isOpen()).isFalse();
        assertThat(registry.localCount("123")).isZero();
        assertThat(disconnects(1008)).isEqualTo(1);
        finish();
    }

    // ---- heartbeat ---------------------------------------------------------------------------------------------

    @Test
    void heartbeatIsAnsweredByOp3Ver1WithTheRoomsOnlineCountAsAFrameOfItsOwn() {
        authOk(AUTH);
        byte[] hb = packet(16 + 15, 16, 1, 2, 77, "[object Object]".getBytes(StandardCharsets.US_ASCII));
        send(hb);
        Packet p = reply();
        assertThat(p.op()).isEqualTo(3);
        assertThat(p.ver()).isEqualTo(1);
        assertThat(p.seq()).isEqualTo(77);
        assertThat(p.packLen()).isEqualTo(20);
        assertThat(p.int32()).isEqualTo(1);
        finish();
    }

    @Test
    void emptyHeartbeatBodyIsFine() {
        authOk(AUTH);
        send(packet(2, ""));
        assertThat(reply().int32()).isEqualTo(1);
        finish();
    }

    @Test
    void severalPacketsInOneFrameAreEachActedOn() {
        send(concat(auth(AUTH), heartbeat(), heartbeat()));
        assertThat(reply().op()).isEqualTo(8);
        assertThat(reply().op()).isEqualTo(3);
        assertThat(reply().op()).isEqualTo(3);
        finish();
    }

    @Test
    void noAuthWithinTheConnectTimeoutCloses4000() {
        ch.advanceTimeBy(GatewayConfig.DEFAULT_CONNECT_TIMEOUT.toMillis() - 100, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isTrue();
        ch.advanceTimeBy(200, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(closeCode()).isEqualTo(4000);
        assertThat(ch.isOpen()).isFalse();
        finish();
    }

    @Test
    void aConnectionSilentFor70SecondsIsClosed4001AndEachHeartbeatRestartsTheClock() {
        authOk(AUTH);
        ch.advanceTimeBy(69, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isTrue();
        send(heartbeat());
        assertThat(reply().op()).isEqualTo(3);
        ch.advanceTimeBy(69, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isTrue();
        ch.advanceTimeBy(2, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(closeCode()).isEqualTo(4001);
        assertThat(ch.isOpen()).isFalse();
        assertThat(registry.localCount("123")).isZero();
        finish();
    }

    // ---- room batches ------------------------------------------------------------------------------------------

    @Test
    void roomBatchArrivesAsDanmuMsgPacketsInOrder() {
        authOk(AUTH);
        RoomMessage a = RoomMessage.danmaku("m1", "123", 1_700_000_000_123L, new UserRef("10086", "Alice"), "first",
                0xFF0000, 5, null);
        RoomMessage b = RoomMessage.danmaku("m2", "123", 1_700_000_000_456L, new UserRef("10087", "Bob"), "second",
                0xFFFFFF, 1, null);
        new FanoutDispatcher(registry).onRecords(List.of(record("123", 7, a), record("123", 8, b)));
        ch.runPendingTasks();
        List<Packet> packets = batch();
        assertThat(packets).extracting(Packet::op).containsExactly(5, 5);
        assertThat(packets).extracting(Packet::ver).containsExactly(0, 0);
        JsonNode first = packets.get(0).json();
        assertThat(first.path("cmd").asText()).isEqualTo("DANMU_MSG");
        assertThat(first.path("info").path(1).asText()).isEqualTo("first");
        assertThat(first.path("info").path(2).path(0).asLong()).isEqualTo(10086);
        assertThat(first.path("info").path(2).path(1).asText()).isEqualTo("Alice");
        assertThat(first.path("info").path(0).path(3).asInt()).isEqualTo(0xFF0000);
        assertThat(first.path("info").path(0).path(1).asInt()).isEqualTo(5);
        assertThat(first.path("danmaku").path("offset").asLong()).isEqualTo(7);
        assertThat(packets.get(1).json().path("info").path(1).asText()).isEqualTo("second");
        finish();
    }

    @Test
    void protover3SessionsGetBrotliFramesAndNoProtoverMeansUncompressed() {
        authOk("{\"roomid\":9,\"protover\":3}");
        new FanoutDispatcher(registry).onRecords(List.of(record("9", 1, RoomMessage.danmaku("m1", "9", 1,
                new UserRef("u", "U"), "hi", 0xFFFFFF, 1, null))));
        ch.runPendingTasks();
        Object out = ch.readOutbound();
        ByteBuf raw = (ByteBuf) out;
        List<Packet> outer = BilibiliClientCodec.split(BilibiliClientCodec.binaryFramePayload(raw));
        raw.release();
        assertThat(outer).hasSize(1);
        assertThat(outer.get(0).ver()).isEqualTo(BodyCompression.brotliAvailable() ? 3 : 2);
        finish();

        open(true);
        authOk("{\"roomid\":9}");
        new FanoutDispatcher(registry).onRecords(List.of(record("9", 2, RoomMessage.danmaku("m2", "9", 1,
                new UserRef("u", "U"), "hi", 0xFFFFFF, 1, null))));
        ch.runPendingTasks();
        assertThat(batch()).extracting(Packet::ver).containsExactly(0);
        finish();
    }

    // ---- frames other than binary ------------------------------------------------------------------------------

    @Test
    void pingIsAnsweredByPongWithTheSameData() {
        ch.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));
        PongWebSocketFrame pong = ch.readOutbound();
        assertThat(ByteBufUtil.getBytes(pong.content())).containsExactly(1, 2, 3);
        pong.release();
        finish();
    }

    @Test
    void clientCloseIsEchoedAndTheRoomLeft() {
        authOk(AUTH);
        ch.writeInbound(new CloseWebSocketFrame(1000, "bye"));
        assertThat(closeCode()).isEqualTo(1000);
        assertThat(ch.isOpen()).isFalse();
        assertThat(registry.localCount("123")).isZero();
        finish();
    }

    // ---- malformed input: each closes the connection and is counted ---------------------------------------------

    static Stream<Arguments> malformed() {
        byte[] okBody = AUTH.getBytes(StandardCharsets.UTF_8);
        return Stream.of(
                bad("headerLen 12 instead of 16", false, packet(16 + 2, 12, 1, 7, 1, "{}".getBytes()),
                        "bad_header_length", 1002),
                bad("headerLen 0", false, packet(16, 0, 1, 2, 1, new byte[0]), "bad_header_length", 1002),
                bad("packLen below the header size", false, packet(10, 16, 1, 7, 1, new byte[0]),
                        "bad_packet_length", 1002),
                bad("packLen 0", false, packet(0, 16, 1, 7, 1, new byte[0]), "bad_packet_length", 1002),
                bad("packLen over the 16 KiB limit", false, packet(16 * 1024 + 1, 16, 1, 7, 1, new byte[8]),
                        "packet_too_large", 1009),
                bad("packLen 0xFFFFFFFF (unsigned)", false, packet(-1, 16, 1, 7, 1, new byte[8]),
                        "packet_too_large", 1009),
                bad("packLen larger than the frame", false, packet(100, 16, 1, 7, 1, "{}".getBytes()),
                        "truncated_packet", 1002),
                bad("frame shorter than a header", false, new byte[10], "truncated_header", 1002),
                bad("empty frame", false, new byte[0], "truncated_header", 1002),
                bad("trailing garbage after a valid auth packet", false, concat(auth(AUTH), new byte[] {0, 0, 1}),
                        "truncated_header", 1002),
                bad("compressed client packet (ver 2)", false, packet(16 + okBody.length, 16, 2, 7, 1, okBody),
                        "bad_version", 1002),
                bad("heartbeat before auth", false, heartbeat(), "not_authenticated", 1002),
                bad("op 5 before auth", false, packet(5, "{}"), "not_authenticated", 1002),
                bad("unknown op before auth", false, packet(1234, "{}"), "not_authenticated", 1002),
                bad("unknown op after auth", true, packet(4, "{\"msg\":\"hi\"}"), "unknown_op", 1002),
                bad("op 8 from the client", true, packet(8, "{}"), "unknown_op", 1002),
                bad("second auth", true, auth(AUTH), "second_auth", 1002),
                bad("auth body not JSON", false, auth("{roomid:"), "auth_malformed", 1002),
                bad("auth body truncated JSON", false, auth("{\"roomid\":1"), "auth_malformed", 1002),
                bad("auth body an array", false, auth("[123]"), "auth_not_object", 1002),
                bad("auth body a number", false, auth("123"), "auth_not_object", 1002),
                bad("auth body empty", false, auth(""), "auth_not_object", 1002),
                bad("roomid missing", false, auth("{\"protover\":3}"), "auth_bad_roomid", 1002),
                bad("roomid null", false, auth("{\"roomid\":null}"), "auth_bad_roomid", 1002),
                bad("roomid negative", false, auth("{\"roomid\":-1}"), "auth_bad_roomid", 1002),
                bad("roomid fractional", false, auth("{\"roomid\":1.5}"), "auth_bad_roomid", 1002),
                bad("roomid beyond 64 bits", false, auth("{\"roomid\":99999999999999999999}"), "auth_bad_roomid",
                        1002),
                bad("roomid not digits", false, auth("{\"roomid\":\"12a\"}"), "auth_bad_roomid", 1002),
                bad("roomid empty string", false, auth("{\"roomid\":\"\"}"), "auth_bad_roomid", 1002),
                bad("roomid boolean", false, auth("{\"roomid\":true}"), "auth_bad_roomid", 1002),
                bad("protover 4", false, auth("{\"roomid\":1,\"protover\":4}"), "auth_bad_protover", 1002),
                bad("protover negative", false, auth("{\"roomid\":1,\"protover\":-1}"), "auth_bad_protover", 1002),
                bad("protover as a string", false, auth("{\"roomid\":1,\"protover\":\"3\"}"), "auth_bad_protover",
                        1002),
                bad("key not a string", false, auth("{\"roomid\":1,\"key\":123}"), "auth_bad_key", 1002));
    }

    static Arguments bad(String name, boolean authFirst, byte[] frame, String kind, int code) {
        return Arguments.of(named(name, frame), authFirst, kind, code);
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void malformedInputClosesAndIsCounted(byte[] frame, boolean authFirst, String kind, int code) {
        if (authFirst) {
            authOk(AUTH);
        }
        send(frame);
        List<Object> out = new ArrayList<>();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            out.add(o);
        }
        try {
            assertThat(out).isNotEmpty();
            assertThat(out.get(out.size() - 1)).isInstanceOf(CloseWebSocketFrame.class);
            assertThat(((CloseWebSocketFrame) out.get(out.size() - 1)).statusCode()).isEqualTo(code);
        } finally {
            out.forEach(ReferenceCountUtil::release);
        }
        assertThat(ch.isOpen()).isFalse();
        assertThat(errors(kind)).isEqualTo(1);
        assertThat(disconnects(code)).isEqualTo(1);
        assertThat(registry.localCount("123")).isZero();
        finish();
    }

    @Test
    void textFrameCloses1003AndIsCounted() {
        ch.writeInbound(new TextWebSocketFrame("{\"roomid\":1}"));
        assertThat(closeCode()).isEqualTo(1003);
        assertThat(errors("text_frame")).isEqualTo(1);
        assertThat(ch.isOpen()).isFalse();
        finish();
    }

    @Test
    void packetsAfterAViolationInTheSameFrameAreNotActedOn() {
        send(concat(packet(20, 12, 1, 7, 1, new byte[4]), auth(AUTH)));
        assertThat(closeCode()).isEqualTo(1002);
        assertThat(registry.localCount("123")).isZero();
        finish();
    }

    @Test
    void longCloseReasonsAreCutToFitAControlFrame() {
        String reason = io.danmaku.gateway.session.WebSocketSession.closeReason("é".repeat(100));
        assertThat(reason.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(123);
        assertThat(reason).startsWith("éé").endsWith("...");
    }
}
