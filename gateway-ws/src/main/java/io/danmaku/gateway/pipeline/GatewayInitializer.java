package io.danmaku.gateway.pipeline;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * Per connection: HTTP/1.1 codec, a bounded aggregator, the router. A WebSocket upgrade replaces all three (see
 * {@link HttpRouterHandler}).
 */
public final class GatewayInitializer extends ChannelInitializer<SocketChannel> {
    /** Largest HTTP request body (server API requests, demo token requests). */
    public static final int MAX_HTTP_BODY_BYTES = 64 * 1024;
    /**
     * Read buffer size. Clients of a fan-out gateway send little (commands, pongs, heartbeats, API requests of a
     * few hundred bytes); one fixed-size allocator shared by every connection replaces Netty's default, which
     * keeps an adaptive allocator and size estimator per connection (~80 bytes of heap per idle connection).
     * Bigger requests are simply read in several reads.
     */
    static final int READ_BUFFER_BYTES = 2048;
    /** Reads per readiness event before other connections get their turn: Netty's default for TCP. */
    static final int READS_PER_EVENT = 16;
    private static final RecvByteBufAllocator READ_BUFFERS = new FixedRecvByteBufAllocator(READ_BUFFER_BYTES)
            .maxMessagesPerRead(READS_PER_EVENT);

    private final HttpRouterHandler router;
    private final ChannelGroup connections;

    /** @param connections every accepted channel is added (for draining) */
    public GatewayInitializer(HttpRouterHandler router, ChannelGroup connections) {
        this.router = router;
        this.connections = connections;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        init(ch);
    }

    /** Installs the handlers of a new connection. */
    void init(Channel ch) {
        connections.add(ch);
        ch.config().setRecvByteBufAllocator(READ_BUFFERS);
        ch.pipeline()
                .addLast("http", new HttpServerCodec(4096, 8192, 8192))
                .addLast("aggregator", new HttpObjectAggregator(MAX_HTTP_BODY_BYTES))
                .addLast("router", router);
    }
}
