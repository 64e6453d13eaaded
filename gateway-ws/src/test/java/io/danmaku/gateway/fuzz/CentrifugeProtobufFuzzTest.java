package io.danmaku.gateway.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.danmaku.gateway.protocol.centrifuge.CentrifugeHandler;
import io.danmaku.gateway.protocol.centrifuge.CentrifugeProtobufCodec;
import io.danmaku.gateway.protocol.centrifuge.pb.Command;
import io.danmaku.gateway.protocol.centrifuge.pb.ConnectRequest;
import io.danmaku.testkit.ws.TestTokens;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * The Centrifugo Protobuf command decoder: a connect with a valid token, then the input as one binary message
 * (meant to be a run of varint-delimited {@code Command}s, but any bytes) into {@link CentrifugeHandler} with the
 * Protobuf codec, alone in an {@code EmbeddedChannel}.
 */
class CentrifugeProtobufFuzzTest {
    private static final byte[] CONNECT = connect();

    private static byte[] connect() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            Command.newBuilder().setId(1).setConnect(ConnectRequest.newBuilder()
                    .setToken(TestTokens.hs256(FuzzConnection.SECRET, "10086", "Alice")).setName("java")).build()
                    .writeDelimitedTo(out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    @FuzzTest
    void commandsAfterConnect(byte[] input) {
        try (FuzzConnection c = new FuzzConnection()) {
            c.channel.pipeline().addLast(new CentrifugeHandler(c.ctx, CentrifugeProtobufCodec.INSTANCE));
            send(c, CONNECT);
            if (c.channel.isActive()) {
                send(c, input);
            }
        }
    }

    private static void send(FuzzConnection c, byte[] message) {
        ByteBuf content = c.alloc.buffer(message.length).writeBytes(message);
        c.channel.writeInbound(new BinaryWebSocketFrame(content));
        c.drain();
    }
}
