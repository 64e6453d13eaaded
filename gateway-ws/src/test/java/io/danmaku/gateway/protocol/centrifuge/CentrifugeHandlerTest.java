package io.danmaku.gateway.protocol.centrifuge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.gateway.GatewayConfig;
import io.danmaku.gateway.auth.TokenVerifier;
import io.danmaku.gateway.room.FanoutDispatcher;
import io.danmaku.gateway.room.FanoutMetrics;
import io.danmaku.gateway.room.RoomRegistry;
import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.testkit.ws.TestTokens;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The session handler alone in an {@code EmbeddedChannel}: write inbound, read outbound, release, finish. */
class CentrifugeHandlerTest {
    static final String SECRET = "embedded-secret-embedded-secret-0123456";

    MemoryMessageBus bus;
    MemoryHotStore store;
    EmbeddedChannel ch;
    RoomRegistry registry;
    PostResult nextResult;

    @BeforeEach
    void setUp() {
        bus = new MemoryMessageBus();
        store = new MemoryHotStore();
        ch = new EmbeddedChannel();
        GatewayConfig config = GatewayConfig.builder().batchWindow(Duration.ZERO).postLinger(Duration.ZERO).build();
        registry = new RoomRegistry(ch.eventLoop(), 0, 100, 16, new FanoutMetrics(new SimpleMeterRegistry()));
        GatewayContext ctx = new GatewayContext(config, registry, bus, store,
                batch -> CompletableFuture.completedFuture(java.util.Collections.nCopies(batch.size(), nextResult)),
                TokenVerifier.create(SECRET, null, Clock.systemUTC()), true, new SimpleMeterRegistry());
        ch.pipeline().addLast(new CentrifugeHandler(ctx));
    }

    @AfterEach
    void tearDown() {
        ch.finishAndReleaseAll();
        bus.close();
    }

    JsonNode send(String json) {
        ch.writeInbound(new TextWebSocketFrame(json));
        ch.runPendingTasks();
        return readReply();
    }

    JsonNode readReply() {
        Object out = ch.readOutbound();
        assertThat(out).isInstanceOf(TextWebSocketFrame.class);
        TextWebSocketFrame f = (TextWebSocketFrame) out;
        try {
            return Json.MAPPER.readTree(f.text());
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            f.release();
        }
    }

    CloseWebSocketFrame readClose() {
        Object out = ch.readOutbound();
        assertThat(out).isInstanceOf(CloseWebSocketFrame.class);
        return (CloseWebSocketFrame) out;
    }

    @Test
    void connectRepliesWithClientIdPingAndPong() {
        JsonNode r = send("{\"id\":1,\"connect\":{\"token\":\"" + TestTokens.hs256(SECRET, "u1", "U") + "\"}}");
        assertThat(r.path("id").asInt()).isEqualTo(1);
        assertThat(r.path("connect").path("client").asText()).isNotEmpty();
        assertThat(r.path("connect").path("ping").asInt()).isEqualTo(25);
        assertThat(r.path("connect").path("pong").asBoolean()).isTrue();
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void roomBatchArrivesAsOneRawFrameAfterSubscribe() {
        send("{\"id\":1,\"connect\":{}}");
        JsonNode sub = send("{\"id\":2,\"subscribe\":{\"channel\":\"r1\"}}");
        assertThat(sub.path("subscribe").path("epoch").asText()).isEqualTo(bus.epoch("r1"));
        RoomRecord a = new RoomRecord("r1", 1, bus.epoch("r1"), 1, "{\"text\":\"a\"}".getBytes(StandardCharsets.UTF_8));
        RoomRecord b = new RoomRecord("r1", 2, bus.epoch("r1"), 2, "{\"text\":\"b\"}".getBytes(StandardCharsets.UTF_8));
        new FanoutDispatcher(registry).onRecords(List.of(a, b));
        ch.runPendingTasks();
        ByteBuf raw = ch.readOutbound();
        EmbeddedChannel client = new EmbeddedChannel(new WebSocket08FrameDecoder(false, false, 65536));
        client.writeInbound(raw);
        TextWebSocketFrame frame = client.readInbound();
        assertThat(frame.text()).isEqualTo(
                "{\"push\":{\"channel\":\"r1\",\"pub\":{\"data\":{\"text\":\"a\"},\"offset\":1}}}\n"
                        + "{\"push\":{\"channel\":\"r1\",\"pub\":{\"data\":{\"text\":\"b\"},\"offset\":2}}}");
        frame.release();
        assertFalse(client.finish());
        assertThat((Object) ch.readOutbound()).isNull();
    }

    @Test
    void afterUnsubscribeNothingIsDelivered() {
        send("{\"id\":1,\"connect\":{}}");
        send("{\"id\":2,\"subscribe\":{\"channel\":\"r2\"}}");
        assertThat(send("{\"id\":3,\"unsubscribe\":{\"channel\":\"r2\"}}").has("unsubscribe")).isTrue();
        new FanoutDispatcher(registry).onRecords(List.of(
                new RoomRecord("r2", 1, bus.epoch("r2"), 1, "{}".getBytes(StandardCharsets.UTF_8))));
        ch.runPendingTasks();
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(registry.localCount("r2")).isZero();
    }

    @Test
    void rejectedPostMapsToErrorCodeWithReasonAndTemporaryFlag() {
        send("{\"id\":1,\"connect\":{\"token\":\"" + TestTokens.hs256(SECRET, "u1", "U") + "\"}}");
        nextResult = PostResult.rejected(RejectReason.RATE_LIMITED, "user rate limit, retry in 800 ms");
        JsonNode r = send("{\"id\":2,\"publish\":{\"channel\":\"r\",\"data\":{\"text\":\"hi\"}}}");
        assertThat(r.path("error").path("code").asInt()).isEqualTo(111);
        assertThat(r.path("error").path("message").asText()).startsWith("rate_limited: ");
        assertThat(r.path("error").path("temporary").asBoolean()).isTrue();
        nextResult = PostResult.rejected(RejectReason.TOO_LONG, "text: 101 code points (expected: 1..100)");
        JsonNode tooLong = send("{\"id\":3,\"publish\":{\"channel\":\"r\",\"data\":{\"text\":\"hi\"}}}");
        assertThat(tooLong.path("error").path("code").asInt()).isEqualTo(107);
        assertThat(tooLong.path("error").has("temporary")).isFalse();
        nextResult = PostResult.rejected(RejectReason.MUTED, "muted in this room");
        assertThat(send("{\"id\":4,\"publish\":{\"channel\":\"r\",\"data\":{\"text\":\"hi\"}}}")
                .path("error").path("code").asInt()).isEqualTo(103);
        nextResult = PostResult.rejected(RejectReason.UNAVAILABLE, "bus down");
        assertThat(send("{\"id\":5,\"publish\":{\"channel\":\"r\",\"data\":{\"text\":\"hi\"}}}")
                .path("error").path("code").asInt()).isEqualTo(108);
    }

    @Test
    void malformedJsonSendsClose3501AndCloses() {
        ch.writeInbound(new TextWebSocketFrame("{nope"));
        CloseWebSocketFrame close = readClose();
        assertThat(close.statusCode()).isEqualTo(3501);
        close.release();
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void binaryFrameSendsClose1003() {
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1})));
        CloseWebSocketFrame close = readClose();
        assertThat(close.statusCode()).isEqualTo(1003);
        close.release();
    }

    @Test
    void pingFrameIsAnsweredWithPongCarryingTheSameBytes() {
        ch.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {7, 8})));
        PongWebSocketFrame pong = ch.readOutbound();
        assertThat(pong.content().readableBytes()).isEqualTo(2);
        pong.release();
    }

    @Test
    void clientCloseIsEchoedAndRoomsAreLeft() {
        send("{\"id\":1,\"connect\":{}}");
        send("{\"id\":2,\"subscribe\":{\"channel\":\"r3\"}}");
        assertThat(registry.localCount("r3")).isEqualTo(1);
        ch.writeInbound(new CloseWebSocketFrame(1000, "bye"));
        CloseWebSocketFrame echo = readClose();
        assertThat(echo.statusCode()).isEqualTo(1000);
        echo.release();
        ch.runPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(registry.localCount("r3")).isZero();
    }
}
