package io.danmaku.gateway.pipeline;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;

/** Per connection: HTTP/1.1 codec, a bounded aggregator, the router. */
public final class GatewayInitializer extends ChannelInitializer<SocketChannel> {
    /** Largest HTTP request body (server API requests, demo token requests). */
    public static final int MAX_HTTP_BODY_BYTES = 64 * 1024;

    private final HttpRouterHandler router;
    private final ChannelGroup connections;

    /** @param connections every accepted channel is added (for draining) */
    public GatewayInitializer(HttpRouterHandler router, ChannelGroup connections) {
        this.router = router;
        this.connections = connections;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        connections.add(ch);
        ch.pipeline()
                .addLast("http", new HttpServerCodec(4096, 8192, 8192))
                .addLast("aggregator", new HttpObjectAggregator(MAX_HTTP_BODY_BYTES))
                .addLast("router", router);
    }
}
