package io.danmaku.gateway.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.gateway.GatewayConfig;
import io.danmaku.gateway.auth.TokenVerifier;
import io.danmaku.gateway.protocol.bilibili.BilibiliHandler;
import io.danmaku.gateway.protocol.centrifuge.CentrifugeHandler;
import io.danmaku.gateway.room.FanoutMetrics;
import io.danmaku.gateway.room.RoomRegistry;
import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A connection through the real per-connection pipeline (HTTP codec, aggregator, router) in an
 * {@code EmbeddedChannel}: raw upgrade request in, raw WebSocket frames both ways.
 */
class UpgradedPipelineTest {
    static final String SECRET = "upgrade-secret-upgrade-secret-upgrade-01";

    final MemoryMessageBus bus = new MemoryMessageBus();
    final EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameEncoder(true),
            new WebSocket13FrameDecoder(false, false, 1 << 20));
    EmbeddedChannel server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.finishAndReleaseAll();
        }
        client.finishAndReleaseAll();
        bus.close();
    }

    void open(String path, GatewayConfig config) {
        server = new EmbeddedChannel();
        RoomRegistry registry = new RoomRegistry(server.eventLoop(), 0, 100, 16,
                new FanoutMetrics(new SimpleMeterRegistry()));
        GatewayContext ctx = new GatewayContext(config, registry, bus, new MemoryHotStore(),
                req -> new CompletableFuture<>(), TokenVerifier.create(SECRET, null, Clock.systemUTC()), true,
                new SimpleMeterRegistry());
        new GatewayInitializer(ctx, new HttpRouterHandler(ctx, null, null, new StaticFiles()),
                new DefaultChannelGroup(ImmediateEventExecutor.INSTANCE), new ConnectionAdmission(config), null)
                .init(server);
        server.writeInbound(Unpooled.copiedBuffer("GET " + path + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n", StandardCharsets.US_ASCII));
        server.runPendingTasks();
        ByteBuf response = server.readOutbound();
        try {
            assertThat(response.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 101");
        } finally {
            response.release();
        }
    }

    void open(String path) {
        open(path, GatewayConfig.defaults());
    }

    /** Client → server: one frame, masked as a browser sends it. */
    void send(WebSocketFrame frame) {
        client.writeOutbound(frame);
        for (Object bytes; (bytes = client.readOutbound()) != null; ) {
            server.writeInbound(bytes);
        }
        server.runPendingTasks();
    }

    /** Server → client: every frame written so far. */
    List<WebSocketFrame> received() {
        for (Object bytes; (bytes = server.readOutbound()) != null; ) {
            client.writeInbound(bytes);
        }
        List<WebSocketFrame> frames = new ArrayList<>();
        for (WebSocketFrame f; (f = client.readInbound()) != null; ) {
            frames.add(f);
        }
        return frames;
    }

    JsonNode reply() throws Exception {
        List<WebSocketFrame> frames = received();
        assertThat(frames).hasSize(1).first().isInstanceOf(TextWebSocketFrame.class);
        try {
            return Json.MAPPER.readTree(((TextWebSocketFrame) frames.get(0)).text());
        } finally {
            frames.get(0).release();
        }
    }

    int closeCode() {
        List<WebSocketFrame> frames = received();
        assertThat(frames).hasSize(1).first().isInstanceOf(CloseWebSocketFrame.class);
        try {
            return ((CloseWebSocketFrame) frames.get(0)).statusCode();
        } finally {
            frames.get(0).release();
        }
    }

    List<Class<?>> handlers() {
        return server.pipeline().toMap().values().stream().<Class<?>>map(Object::getClass).toList();
    }

    @Test
    void afterTheUpgradeAJsonConnectionHoldsOnlyTheFrameCodecAndItsSession() {
        open(HttpRouterHandler.CENTRIFUGE_PATH);
        assertThat(handlers()).containsExactly(SharedFrameEncoder.class, WebSocket13FrameDecoder.class,
                CentrifugeHandler.class);
        Object encoder = server.pipeline().first();
        server.finishAndReleaseAll();
        open(HttpRouterHandler.CENTRIFUGE_PATH);
        assertThat(server.pipeline().first()).as("one encoder for all connections").isSameAs(encoder);
    }

    @Test
    void afterTheUpgradeABilibiliConnectionHoldsOnlyTheFrameCodecAndItsSession() {
        open(HttpRouterHandler.BILIBILI_PATH);
        assertThat(handlers()).containsExactly(SharedFrameEncoder.class, WebSocket13FrameDecoder.class,
                BilibiliHandler.class);
    }

    @Test
    void theConnectionWorksAndAFragmentedCommandIsReassembled() throws Exception {
        open(HttpRouterHandler.CENTRIFUGE_PATH);
        send(new TextWebSocketFrame("{\"id\":1,\"connect\":{}}"));
        assertThat(reply().path("connect").path("version").asText()).startsWith("danmaku/");

        send(new TextWebSocketFrame(false, 0, "{\"id\":2,\"subscribe\":"));
        send(new ContinuationWebSocketFrame(false, 0, "{\"channel\":\"frag"));
        assertThat(received()).isEmpty();
        send(new ContinuationWebSocketFrame(true, 0, "mented\"}}"));
        JsonNode subscribed = reply();
        assertThat(subscribed.path("id").asLong()).isEqualTo(2);
        assertThat(subscribed.has("subscribe")).isTrue();

        send(new TextWebSocketFrame("{\"id\":3,\"subscribe\":{\"channel\":\"fragmented\"}}"));
        assertThat(reply().path("error").path("code").asInt()).isEqualTo(105); // already subscribed: it is kept
        assertThat(server.isActive()).isTrue();
    }

    @Test
    void aTextMessageThatIsNotUtf8ClosesWith1007() {
        open(HttpRouterHandler.CENTRIFUGE_PATH);
        byte[] bad = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        send(new TextWebSocketFrame(Unpooled.wrappedBuffer(bad)));
        assertThat(closeCode()).isEqualTo(1007);
    }

    @Test
    void aUtf8CharacterSplitBetweenFragmentsIsAccepted() throws Exception {
        open(HttpRouterHandler.CENTRIFUGE_PATH);
        byte[] command = "{\"id\":1,\"connect\":{},\"x\":\"é\"}".getBytes(StandardCharsets.UTF_8);
        int split = command.length - 3; // between the two bytes of é
        send(new TextWebSocketFrame(false, 0, Unpooled.wrappedBuffer(command, 0, split)));
        send(new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(command, split,
                command.length - split)));
        assertThat(reply().has("connect")).isTrue();
    }

    @Test
    void aFragmentedMessageOverTheLimitClosesWith1009() {
        open(HttpRouterHandler.CENTRIFUGE_PATH, GatewayConfig.builder().maxFramePayloadBytes(64).build());
        send(new TextWebSocketFrame(false, 0, "{\"id\":1,\"connect\":{},\"pad\":\"" + "x".repeat(30)));
        assertThat(received()).isEmpty();
        send(new ContinuationWebSocketFrame(true, 0, "x".repeat(30) + "\"}"));
        assertThat(closeCode()).isEqualTo(1009);
    }
}
