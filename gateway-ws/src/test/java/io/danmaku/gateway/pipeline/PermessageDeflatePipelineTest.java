package io.danmaku.gateway.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.gateway.GatewayConfig;
import io.danmaku.gateway.auth.TokenVerifier;
import io.danmaku.gateway.compression.PerMessageDeflate;
import io.danmaku.gateway.protocol.centrifuge.CentrifugeHandler;
import io.danmaku.gateway.room.FanoutDispatcher;
import io.danmaku.gateway.room.FanoutMetrics;
import io.danmaku.gateway.room.RoomRegistry;
import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** permessage-deflate through the real pipeline on an {@link EmbeddedChannel}: handshake answers and frames. */
class PermessageDeflatePipelineTest {
    final MemoryMessageBus bus = new MemoryMessageBus();
    final EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameEncoder(true),
            new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder().expectMaskedFrames(false)
                    .allowExtensions(true).maxFramePayloadLength(1 << 20).build()));
    EmbeddedChannel server;
    RoomRegistry registry;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.finishAndReleaseAll();
        }
        client.finishAndReleaseAll();
        bus.close();
    }

    /** Upgrades with {@code offer} (null: none) and returns the answer's Sec-WebSocket-Extensions, or null. */
    String open(String offer) {
        server = new EmbeddedChannel();
        registry = new RoomRegistry(server.eventLoop(), 0, 100, 16, new FanoutMetrics(new SimpleMeterRegistry()));
        GatewayConfig config = GatewayConfig.defaults();
        GatewayContext ctx = new GatewayContext(config, registry, bus, new MemoryHotStore(),
                req -> new CompletableFuture<>(), TokenVerifier.create("s".repeat(40), null, Clock.systemUTC()), true,
                new SimpleMeterRegistry());
        new GatewayInitializer(ctx, new HttpRouterHandler(ctx, null, null, new StaticFiles()),
                new DefaultChannelGroup(ImmediateEventExecutor.INSTANCE), new ConnectionAdmission(config), null)
                .init(server);
        server.writeInbound(Unpooled.copiedBuffer("GET /connection/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + (offer == null ? "" : "Sec-WebSocket-Extensions: " + offer + "\r\n") + "\r\n",
                StandardCharsets.US_ASCII));
        server.runPendingTasks();
        ByteBuf response = server.readOutbound();
        try {
            String head = response.toString(StandardCharsets.US_ASCII);
            assertThat(head).startsWith("HTTP/1.1 101");
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("sec-websocket-extensions:")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
            return null;
        } finally {
            response.release();
        }
    }

    void send(WebSocketFrame frame) {
        client.writeOutbound(frame);
        for (Object bytes; (bytes = client.readOutbound()) != null; ) {
            server.writeInbound(bytes);
        }
        server.runPendingTasks();
    }

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

    static byte[] deflate(String text) {
        byte[] in = text.getBytes(StandardCharsets.UTF_8);
        Deflater d = new Deflater(6, true);
        d.setInput(in);
        byte[] buf = new byte[in.length + 256];
        int n = d.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
        d.end();
        return Arrays.copyOf(buf, n - 4);
    }

    static String inflate(ByteBuf payload) throws Exception {
        byte[] in = new byte[payload.readableBytes() + 4];
        payload.getBytes(payload.readerIndex(), in, 0, payload.readableBytes());
        in[in.length - 2] = (byte) 0xFF;
        in[in.length - 1] = (byte) 0xFF;
        Inflater inflater = new Inflater(true);
        inflater.setInput(in);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[4096];
        for (int n; (n = inflater.inflate(chunk)) > 0; ) {
            out.write(chunk, 0, n);
        }
        inflater.end();
        return out.toString(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "-                                                      | -",
            "permessage-deflate                                     | " + PerMessageDeflate.RESPONSE,
            "permessage-deflate; client_max_window_bits             | " + PerMessageDeflate.RESPONSE,
            "permessage-deflate; server_no_context_takeover         | " + PerMessageDeflate.RESPONSE,
            "permessage-deflate; server_max_window_bits=9           | -",
            "permessage-deflate; client_max_window_bits=99          | -",
            "x-webkit-deflate-frame                                 | -",
    })
    void handshakeAnswers(String offer, String answer) {
        assertThat(open(offer)).isEqualTo(answer);
        assertThat(server.pipeline().get(CentrifugeHandler.class).permessageDeflate()).isEqualTo(answer != null);
    }

    @Test
    void aCompressedCommandIsUnderstoodAndABatchComesDeflated() throws Exception {
        open("permessage-deflate; client_max_window_bits");
        send(new TextWebSocketFrame(true, 0x4, Unpooled.wrappedBuffer(deflate(
                "{\"id\":1,\"connect\":{}}\n{\"id\":2,\"subscribe\":{\"channel\":\"r1\"}}"))));
        StringBuilder replies = new StringBuilder();
        for (WebSocketFrame f : received()) {
            assertThat(f.rsv()).as("replies go out plain").isZero();
            replies.append(((TextWebSocketFrame) f).text()).append('\n');
            f.release();
        }
        assertThat(replies.toString()).contains("\"id\":1,\"connect\"").contains("\"id\":2,\"subscribe\"");

        List<RoomRecord> batch = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            batch.add(new RoomRecord("r1", i, bus.epoch("r1"), i, ("{\"id\":\"m" + i + "\",\"room\":\"r1\",\"time\":" + i
                    + ",\"text\":\"message number " + i + "\"}").getBytes(StandardCharsets.UTF_8)));
        }
        new FanoutDispatcher(registry).onRecords(batch);
        server.runPendingTasks();
        List<WebSocketFrame> frames = received();
        assertThat(frames).hasSize(1);
        WebSocketFrame f = frames.get(0);
        try {
            assertThat(f.rsv()).as("RSV1").isEqualTo(0x4);
            String text = inflate(f.content());
            assertThat(text.split("\n")).hasSize(5);
            assertThat(text).startsWith("{\"push\":{\"channel\":\"r1\",\"pub\":{\"data\":{\"id\":\"m1\",\"time\":1,"
                    + "\"text\":\"message number 1\"},\"offset\":1}}}\n");
        } finally {
            f.release();
        }
    }

    @Test
    void compressedFramesWithoutTheExtensionAreAProtocolError() {
        assertThat(open(null)).isNull();
        send(new TextWebSocketFrame(true, 0x4, Unpooled.wrappedBuffer(deflate("{\"id\":1,\"connect\":{}}"))));
        List<WebSocketFrame> frames = received();
        assertThat(frames).hasSize(1).first().isInstanceOf(CloseWebSocketFrame.class);
        assertThat(((CloseWebSocketFrame) frames.get(0)).statusCode()).isEqualTo(1002);
        frames.forEach(WebSocketFrame::release);
    }

    @Test
    void aMessageInflatingPastTheLimitClosesWith1009() {
        open("permessage-deflate");
        byte[] bomb = deflate("{\"id\":1,\"connect\":{\"data\":\"" + "a".repeat(200_000) + "\"}}");
        assertThat(ByteBufUtil.hexDump(bomb).length() / 2).isLessThan(GatewayConfig.DEFAULT_MAX_FRAME_PAYLOAD_BYTES);
        send(new TextWebSocketFrame(true, 0x4, Unpooled.wrappedBuffer(bomb)));
        List<WebSocketFrame> frames = received();
        assertThat(frames).hasSize(1).first().isInstanceOf(CloseWebSocketFrame.class);
        assertThat(((CloseWebSocketFrame) frames.get(0)).statusCode()).isEqualTo(1009);
        frames.forEach(WebSocketFrame::release);
    }
}
