package io.danmaku.gateway.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.danmaku.gateway.protocol.centrifuge.CentrifugeHandler;
import io.danmaku.testkit.ws.TestTokens;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.nio.charset.StandardCharsets;

/**
 * The Centrifugo JSON command parser: a connect with a valid token, then arbitrary text frames into
 * {@link CentrifugeHandler} alone in an {@code EmbeddedChannel}.
 *
 * <p>Input layout: the text frames, separated by a zero byte (a frame may hold several commands on lines of
 * their own, as the protocol allows). Frames need not be valid UTF-8 or JSON.
 */
class CentrifugeHandlerFuzzTest {
    private static final byte[] CONNECT = ("{\"id\":1,\"connect\":{\"token\":\""
            + TestTokens.hs256(FuzzConnection.SECRET, "10086", "Alice") + "\",\"name\":\"js\"}}")
            .getBytes(StandardCharsets.UTF_8);

    @FuzzTest
    void commandsAfterConnect(byte[] input) {
        try (FuzzConnection c = new FuzzConnection()) {
            c.channel.pipeline().addLast(new CentrifugeHandler(c.ctx));
            send(c, CONNECT);
            for (byte[] frame : FuzzConnection.split(input, (byte) 0)) {
                if (!c.channel.isActive()) {
                    break;
                }
                send(c, frame);
            }
        }
    }

    private static void send(FuzzConnection c, byte[] frame) {
        ByteBuf content = c.alloc.buffer(frame.length).writeBytes(frame);
        c.channel.writeInbound(new TextWebSocketFrame(content));
        c.drain();
    }
}
