package io.danmaku.gateway.protocol.centrifuge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.danmaku.gateway.GatewayConfig;
import io.danmaku.gateway.auth.TokenVerifier;
import io.danmaku.gateway.protocol.centrifuge.pb.Command;
import io.danmaku.gateway.protocol.centrifuge.pb.ConnectRequest;
import io.danmaku.gateway.protocol.centrifuge.pb.HistoryRequest;
import io.danmaku.gateway.protocol.centrifuge.pb.PingRequest;
import io.danmaku.gateway.protocol.centrifuge.pb.PresenceStatsRequest;
import io.danmaku.gateway.protocol.centrifuge.pb.PublishRequest;
import io.danmaku.gateway.protocol.centrifuge.pb.Reply;
import io.danmaku.gateway.protocol.centrifuge.pb.RPCRequest;
import io.danmaku.gateway.protocol.centrifuge.pb.SubRefreshRequest;
import io.danmaku.gateway.protocol.centrifuge.pb.SubscribeRequest;
import io.danmaku.gateway.protocol.centrifuge.pb.UnsubscribeRequest;
import io.danmaku.gateway.room.FanoutDispatcher;
import io.danmaku.gateway.room.FanoutMetrics;
import io.danmaku.gateway.room.RoomRegistry;
import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.testkit.ws.TestTokens;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The command handler with the Protobuf codec, alone in an {@code EmbeddedChannel}: the same commands and answers
 * as the JSON tests, in varint-delimited {@code Command}s and {@code Reply}s; every kind of bad input gets the
 * JSON format's code.
 */
class CentrifugeProtobufHandlerTest {
    static final String SECRET = "embedded-secret-embedded-secret-0123456";

    MemoryMessageBus bus;
    MemoryHotStore store;
    EmbeddedChannel ch;
    RoomRegistry registry;
    PostResult nextResult = PostResult.rejected(RejectReason.UNAVAILABLE, "not set");

    @BeforeEach
    void setUp() {
        bus = new MemoryMessageBus();
        store = new MemoryHotStore();
        ch = new EmbeddedChannel();
        GatewayConfig config = GatewayConfig.builder().batchWindow(Duration.ZERO).postLinger(Duration.ZERO)
                .maxFramePayloadBytes(4096).build();
        registry = new RoomRegistry(ch.eventLoop(), 0, 100, 16, new FanoutMetrics(new SimpleMeterRegistry()));
        GatewayContext ctx = new GatewayContext(config, registry, bus, store,
                batch -> CompletableFuture.completedFuture(java.util.Collections.nCopies(batch.size(), nextResult)),
                TokenVerifier.create(SECRET, null, Clock.systemUTC()), true, new SimpleMeterRegistry());
        ch.pipeline().addLast(new CentrifugeHandler(ctx, CentrifugeProtobufCodec.INSTANCE));
    }

    @AfterEach
    void tearDown() {
        ch.finishAndReleaseAll();
        bus.close();
    }

    static byte[] delimited(Command... commands) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            for (Command c : commands) {
                c.writeDelimitedTo(out);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out.toByteArray();
    }

    /** Sends the commands in one binary message; returns the replies written since. */
    List<Reply> send(Command... commands) {
        return sendBytes(delimited(commands));
    }

    List<Reply> sendBytes(byte[] bytes) {
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(bytes)));
        ch.runPendingTasks();
        List<Reply> replies = new ArrayList<>();
        Object out;
        while ((out = ch.readOutbound()) != null) {
            assertThat(out).isInstanceOf(BinaryWebSocketFrame.class);
            BinaryWebSocketFrame f = (BinaryWebSocketFrame) out;
            try {
                replies.addAll(parse(ByteBufUtil.getBytes(f.content())));
            } finally {
                f.release();
            }
        }
        return replies;
    }

    static List<Reply> parse(byte[] bytes) {
        List<Reply> out = new ArrayList<>();
        ByteArrayInputStream in = new ByteArrayInputStream(bytes);
        try {
            Reply r;
            while ((r = Reply.parseDelimitedFrom(in)) != null) {
                out.add(r);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out;
    }

    Reply one(Command c) {
        List<Reply> r = send(c);
        assertThat(r).hasSize(1);
        return r.get(0);
    }

    static Command connect(int id, String token) {
        return Command.newBuilder().setId(id).setConnect(ConnectRequest.newBuilder().setToken(token)).build();
    }

    static Command subscribe(int id, String channel) {
        return Command.newBuilder().setId(id).setSubscribe(SubscribeRequest.newBuilder().setChannel(channel))
                .build();
    }

    static Command publish(int id, String channel, String json) {
        return Command.newBuilder().setId(id).setPublish(PublishRequest.newBuilder().setChannel(channel)
                .setData(ByteString.copyFromUtf8(json))).build();
    }

    CloseWebSocketFrame readClose() {
        Object out = ch.readOutbound();
        assertThat(out).isInstanceOf(CloseWebSocketFrame.class);
        return (CloseWebSocketFrame) out;
    }

    void assertClosedWith(int code, String reasonPart) {
        CloseWebSocketFrame close = readClose();
        try {
            assertThat(close.statusCode()).isEqualTo(code);
            assertThat(close.reasonText()).contains(reasonPart);
        } finally {
            close.release();
        }
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void connectRepliesWithClientIdPingAndPong() {
        Reply r = one(connect(1, TestTokens.hs256(SECRET, "u1", "U")));
        assertThat(r.getId()).isEqualTo(1);
        assertThat(r.getConnect().getClient()).isNotEmpty();
        assertThat(r.getConnect().getPing()).isEqualTo(25);
        assertThat(r.getConnect().getPong()).isTrue();
    }

    @Test
    void severalCommandsInOneMessageAreAnsweredInOrder() {
        List<Reply> r = send(connect(1, ""), subscribe(2, "r1"),
                Command.newBuilder().setId(3).setPing(PingRequest.getDefaultInstance()).build(),
                Command.newBuilder().setId(4).setPresenceStats(PresenceStatsRequest.newBuilder().setChannel("r1"))
                        .build());
        // the subscribe reply waits for the hot store's position: replies are matched by id, not by order
        assertThat(r).extracting(Reply::getId).containsExactlyInAnyOrder(1, 2, 3, 4);
        assertThat(r.get(0).hasConnect()).isTrue();
        Reply sub = r.stream().filter(x -> x.getId() == 2).findFirst().orElseThrow();
        assertThat(sub.getSubscribe().getEpoch()).isEqualTo(bus.epoch("r1"));
        assertThat(sub.getSubscribe().getRecoverable()).isTrue();
        assertThat(r.stream().filter(x -> x.getId() == 3).findFirst().orElseThrow().hasPing()).isTrue();
        assertThat(r.stream().filter(x -> x.getId() == 4).findFirst().orElseThrow().getPresenceStats()
                .getNumClients()).isEqualTo(1);
    }

    @Test
    void roomBatchArrivesAsOneBinaryFrameOfPublicationPushesWithTheLeanJsonData() throws Exception {
        send(connect(1, ""), subscribe(2, "r1"));
        RoomRecord a = new RoomRecord("r1", 1, bus.epoch("r1"), 1,
                "{\"id\":\"m1\",\"room\":\"r1\",\"text\":\"a\"}".getBytes(StandardCharsets.UTF_8));
        RoomRecord b = new RoomRecord("r1", 300, bus.epoch("r1"), 2,
                "{\"id\":\"m2\",\"room\":\"r1\",\"text\":\"b\",\"tags\":{\"k\":\"v\"}}".getBytes(StandardCharsets.UTF_8));
        new FanoutDispatcher(registry).onRecords(List.of(a, b));
        ch.runPendingTasks();
        ByteBuf raw = ch.readOutbound();
        EmbeddedChannel client = new EmbeddedChannel(new WebSocket08FrameDecoder(false, false, 65536));
        client.writeInbound(raw);
        BinaryWebSocketFrame frame = client.readInbound();
        List<Reply> pushes = parse(ByteBufUtil.getBytes(frame.content()));
        frame.release();
        assertFalse(client.finish());
        assertThat(pushes).hasSize(2);
        assertThat(pushes.get(0).getId()).isZero();
        assertThat(pushes.get(0).getPush().getChannel()).isEqualTo("r1");
        assertThat(pushes.get(0).getPush().getPub().getData().toStringUtf8()).isEqualTo("{\"id\":\"m1\",\"text\":\"a\"}");
        assertThat(pushes.get(0).getPush().getPub().getOffset()).isEqualTo(1);
        assertThat(pushes.get(1).getPush().getPub().getOffset()).isEqualTo(300);
        assertThat(pushes.get(1).getPush().getPub().getTagsMap()).containsExactlyEntriesOf(java.util.Map.of("k", "v"));
        assertThat((Object) ch.readOutbound()).isNull();
    }

    @Test
    void publishHistoryAndUnsubscribe() {
        send(connect(1, TestTokens.hs256(SECRET, "u1", "U")), subscribe(2, "r2"));
        nextResult = PostResult.rejected(RejectReason.RATE_LIMITED, "user rate limit");
        Reply refused = one(publish(3, "r2", "{\"text\":\"hi\"}"));
        assertThat(refused.getError().getCode()).isEqualTo(111);
        assertThat(refused.getError().getTemporary()).isTrue();
        Reply notJson = one(publish(4, "r2", "not json"));
        assertThat(notJson.getError().getCode()).isEqualTo(107);
        assertThat(notJson.getError().getMessage()).contains("publish.data");
        store.appendHistory("r2", List.of(new RoomRecord("r2", 5, bus.epoch("r2"), 1,
                "{\"id\":\"m5\",\"room\":\"r2\",\"text\":\"old\"}".getBytes(StandardCharsets.UTF_8)))).join();
        Reply history = one(Command.newBuilder().setId(5).setHistory(HistoryRequest.newBuilder().setChannel("r2")
                .setLimit(10)).build());
        assertThat(history.getHistory().getEpoch()).isEqualTo(bus.epoch("r2"));
        assertThat(history.getHistory().getPublicationsList()).extracting(p -> p.getData().toStringUtf8())
                .containsExactly("{\"id\":\"m5\",\"text\":\"old\"}");
        Reply unsub = one(Command.newBuilder().setId(6).setUnsubscribe(UnsubscribeRequest.newBuilder()
                .setChannel("r2")).build());
        assertThat(unsub.hasUnsubscribe()).isTrue();
        assertThat(registry.localCount("r2")).isZero();
    }

    @Test
    void emptyCommandIsThePongAndGetsNoReply() {
        send(connect(1, ""));
        assertThat(sendBytes(new byte[] {0})).isEmpty();
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void unknownMethodIsError104OnceConnectedAndRpcToo() throws IOException {
        send(connect(1, ""));
        // a Command with id 7 and an unknown field 40 (varint 1)
        ByteArrayOutputStream cmd = new ByteArrayOutputStream();
        CodedOutputStream cos = CodedOutputStream.newInstance(cmd);
        cos.writeUInt32(1, 7);
        cos.writeUInt32(40, 1);
        cos.flush();
        ByteArrayOutputStream msg = new ByteArrayOutputStream();
        CodedOutputStream m = CodedOutputStream.newInstance(msg);
        m.writeUInt32NoTag(cmd.size());
        m.writeRawBytes(cmd.toByteArray());
        m.flush();
        Reply r = sendBytes(msg.toByteArray()).get(0);
        assertThat(r.getId()).isEqualTo(7);
        assertThat(r.getError().getCode()).isEqualTo(104);
        Reply rpc = one(Command.newBuilder().setId(8).setRpc(RPCRequest.newBuilder().setMethod("x")).build());
        assertThat(rpc.getError().getCode()).isEqualTo(104);
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void commandBeforeConnectCloses3501() {
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(delimited(subscribe(1, "r")))));
        assertClosedWith(3501, "connect first");
    }

    @Test
    void lengthPrefixLongerThanFiveBytesCloses3501() {
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {
            (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 1})));
        assertClosedWith(3501, "malformed length prefix");
    }

    @Test
    void lengthPrefixCutOffCloses3501() {
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {(byte) 0x81})));
        assertClosedWith(3501, "malformed length prefix");
    }

    @Test
    void lengthBeyondTheMessageCloses3501() {
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {10, 8, 1})));
        assertClosedWith(3501, "length prefix 10");
    }

    @Test
    void bytesThatAreNoCommandClose3501AfterTheCommandsBeforeThemRan() {
        byte[] good = delimited(connect(1, ""));
        byte[] bad = {3, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}; // field 31, wire type 7: invalid
        byte[] both = new byte[good.length + bad.length];
        System.arraycopy(good, 0, both, 0, good.length);
        System.arraycopy(bad, 0, both, good.length, bad.length);
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(both)));
        BinaryWebSocketFrame connected = ch.readOutbound();
        assertThat(parse(ByteBufUtil.getBytes(connected.content())).get(0).hasConnect()).isTrue();
        connected.release();
        assertClosedWith(3501, "malformed Protobuf Command");
    }

    @Test
    void textFrameCloses1003() {
        ch.writeInbound(new TextWebSocketFrame("{\"id\":1,\"connect\":{}}"));
        assertClosedWith(1003, "centrifuge-protobuf");
    }

    @Test
    void messageOverTheLimitCloses1009() {
        send(connect(1, ""));
        ch.writeInbound(new BinaryWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[3000])));
        ch.writeInbound(new io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame(true, 0,
                Unpooled.wrappedBuffer(new byte[3000])));
        assertClosedWith(1009, "too big");
    }

    @Test
    void subRefreshOfARoomNotSubscribedIs103AndOfAPublicRoomDoesNotExpire() {
        send(connect(1, TestTokens.hs256(SECRET, "u1", "U")), subscribe(2, "pub"));
        Reply notSubscribed = one(Command.newBuilder().setId(3).setSubRefresh(SubRefreshRequest.newBuilder()
                .setChannel("other").setToken("x")).build());
        assertThat(notSubscribed.getError().getCode()).isEqualTo(103);
        Reply open = one(Command.newBuilder().setId(4).setSubRefresh(SubRefreshRequest.newBuilder()
                .setChannel("pub")).build());
        assertThat(open.hasSubRefresh()).isTrue();
        assertThat(open.getSubRefresh().getExpires()).isFalse();
    }

    @Test
    void serverPingIsAZeroLengthReply() {
        CentrifugeCodec codec = CentrifugeProtobufCodec.INSTANCE;
        BinaryWebSocketFrame ping = (BinaryWebSocketFrame) codec.ping();
        try {
            assertThat(ByteBufUtil.getBytes(ping.content())).containsExactly(0);
            List<Reply> r = parse(ByteBufUtil.getBytes(ping.content()));
            assertThat(r).containsExactly(Reply.getDefaultInstance());
        } finally {
            ping.release();
        }
    }
}
