package io.danmaku.gateway.pipeline;

import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;

/**
 * The server's WebSocket frame encoder (unmasked frames), one instance for every connection: it keeps no
 * per-connection state, so an upgraded connection need not hold an encoder of its own.
 */
@ChannelHandler.Sharable
final class SharedFrameEncoder extends WebSocket13FrameEncoder {
    static final SharedFrameEncoder INSTANCE = new SharedFrameEncoder();

    private SharedFrameEncoder() {
        super(false);
    }
}
