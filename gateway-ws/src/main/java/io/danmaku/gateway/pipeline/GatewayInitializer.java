package io.danmaku.gateway.pipeline;

import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.gateway.tls.ReloadingSslContext;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Per connection: first admission ({@link ConnectionAdmission}: accept rate, gateway cap, per-address cap); a
 * refused connection gets only a {@link RefusalHandler}. An admitted one gets the HTTP/1.1 codec, a bounded
 * aggregator, the handshake deadline and the router. A WebSocket upgrade replaces all four (see
 * {@link HttpRouterHandler}).
 *
 * <p>With TLS on, an admitted connection gets an {@link SslHandler} first, from the context current at accept
 * (so a reloaded certificate applies to new connections only); the handshake deadline covers the TLS handshake
 * too. A refused connection is closed at once, without a TLS handshake: under a flood, handshakes are the cost the
 * refusal is there to avoid, and a client cannot read a plaintext answer on a TLS port anyway.
 */
public final class GatewayInitializer extends ChannelInitializer<SocketChannel> {
    /** The name of the {@link SslHandler} in the pipeline of a TLS connection. */
    public static final String TLS = "tls";
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

    private final GatewayContext context;
    private final HttpRouterHandler router;
    private final ChannelGroup connections;
    private final ConnectionAdmission admission;
    private final ReloadingSslContext tls;

    /**
     * @param connections every admitted channel is added (for draining)
     * @param tls the server TLS context, or null for plain HTTP
     */
    public GatewayInitializer(GatewayContext context, HttpRouterHandler router, ChannelGroup connections,
                              ConnectionAdmission admission, ReloadingSslContext tls) {
        this.context = context;
        this.router = router;
        this.connections = connections;
        this.admission = admission;
        this.tls = tls;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        init(ch);
    }

    /** Installs the handlers of a new connection. */
    void init(Channel ch) {
        ch.config().setRecvByteBufAllocator(READ_BUFFERS);
        InetAddress address = address(ch.remoteAddress());
        Refusal refusal = admission.admit(address);
        if (refusal != null) {
            context.countRefused(refusal.tag());
            if (tls != null) {
                ch.close();
                return;
            }
            ch.pipeline().addLast("refusal", new RefusalHandler(refusal, context.config().handshakeTimeout()));
            return;
        }
        ch.closeFuture().addListener(f -> admission.release(address));
        connections.add(ch);
        if (tls != null) {
            SslHandler ssl = tls.current().newHandler(ch.alloc());
            ssl.setHandshakeTimeoutMillis(context.config().handshakeTimeout().toMillis());
            ch.pipeline().addLast(TLS, ssl);
        }
        ch.pipeline()
                .addLast("http", new HttpServerCodec(4096, 8192, 8192))
                .addLast("aggregator", new HttpObjectAggregator(MAX_HTTP_BODY_BYTES))
                .addLast(HandshakeTimeoutHandler.NAME, new HandshakeTimeoutHandler(
                        context.config().handshakeTimeout().toNanos(),
                        () -> context.countRefused(Refusal.HANDSHAKE_TIMEOUT.tag())))
                .addLast("router", router);
    }

    private static InetAddress address(SocketAddress remote) {
        return remote instanceof InetSocketAddress inet ? inet.getAddress() : null;
    }
}
