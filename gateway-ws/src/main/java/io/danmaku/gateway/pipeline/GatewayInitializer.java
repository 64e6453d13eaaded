package io.danmaku.gateway.pipeline;

import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.gateway.tls.ReloadingSslContext;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *
 * <p>Behind proxies ({@link ProxyConfig}) the client's address is not the TCP peer's. With the PROXY protocol on,
 * every connection starts with Netty's {@link HAProxyMessageDecoder} and a {@link ProxyProtocolHandler} (before
 * TLS: the header is sent in clear); a connection from a trusted proxy gets a {@link ForwardedForHandler} after
 * the aggregator. Such connections are admitted at accept by the accept rate and the gateway cap only, and counted
 * against the per-address cap once the client's address is known ({@link ProxiedConnection}). A connection
 * from anyone else costs nothing more than before.
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

    private static final Logger log = LoggerFactory.getLogger(GatewayInitializer.class);

    private final GatewayContext context;
    private final HttpRouterHandler router;
    private final ChannelGroup connections;
    private final ConnectionAdmission admission;
    private final ReloadingSslContext tls;
    private final boolean proxyProtocol;
    private final ProxyConfig.TrustedProxies trusted;
    private final ProxyConfig.ForwardedHeader forwardedHeader;

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
        ProxyConfig proxy = context.config().proxy();
        this.proxyProtocol = proxy.proxyProtocol();
        this.trusted = proxy.trusted();
        this.forwardedHeader = proxy.forwardedHeader();
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        init(ch);
    }

    /** Installs the handlers of a new connection. */
    void init(Channel ch) {
        ch.config().setRecvByteBufAllocator(READ_BUFFERS);
        InetAddress address = address(ch.remoteAddress());
        ProxiedConnection proxied = null;
        if (proxyProtocol && !trusted.isEmpty() && !trusted.contains(address)) {
            // only the proxies may send PROXY headers: anyone else could choose the address it is counted under
            context.countRefused(Refusal.PROXY_PROTOCOL.tag());
            log.debug("[{}] closed: {} is not in {}", ch.id(), address, ProxyConfig.KEY_TRUSTED_PROXIES);
            ch.close();
            return;
        }
        if (proxyProtocol || trusted.contains(address)) {
            // the client's address is learnt from a header: counted against the per-address cap then
            proxied = new ProxiedConnection(admission, trusted, forwardedHeader, address);
        }
        Refusal refusal = admission.admit(proxied == null ? address : null);
        if (refusal != null) {
            context.countRefused(refusal.tag());
            if (refusal == Refusal.PER_IP) {
                log.debug("[{}] refused: {} open connections from {} already", ch.id(), refusal.tag(), address);
            }
            if (tls != null) {
                ch.close();
                return;
            }
            ch.pipeline().addLast("refusal", new RefusalHandler(refusal, context.config().handshakeTimeout()));
            return;
        }
        if (proxied == null) {
            ch.closeFuture().addListener(f -> admission.release(address));
        } else {
            ch.closeFuture().addListener(proxied);
        }
        connections.add(ch);
        if (proxyProtocol) {
            ch.pipeline()
                    .addLast(ProxyProtocolHandler.DECODER, new HAProxyMessageDecoder())
                    .addLast(ProxyProtocolHandler.NAME, new ProxyProtocolHandler(proxied, context::countRefused,
                            this::refuseAfterProxyHeader));
        }
        if (tls != null) {
            SslHandler ssl = tls.current().newHandler(ch.alloc());
            ssl.setHandshakeTimeoutMillis(context.config().handshakeTimeout().toMillis());
            ch.pipeline().addLast(TLS, ssl);
        }
        ch.pipeline()
                .addLast("http", new HttpServerCodec(4096, 8192, 8192))
                .addLast("aggregator", new HttpObjectAggregator(MAX_HTTP_BODY_BYTES));
        if (proxied != null && !trusted.isEmpty()) {
            ch.pipeline().addLast(ForwardedForHandler.NAME, new ForwardedForHandler(proxied, context::countRefused));
        }
        ch.pipeline()
                .addLast(HandshakeTimeoutHandler.NAME, new HandshakeTimeoutHandler(
                        context.config().handshakeTimeout().toNanos(),
                        () -> context.countRefused(Refusal.HANDSHAKE_TIMEOUT.tag())))
                .addLast("router", router);
    }

    /**
     * Turns a connection whose PROXY header named a client over its per-address cap into a refused one: the HTTP
     * handlers make way for a {@link RefusalHandler} (429 at once), or, with TLS, the connection is closed.
     */
    private void refuseAfterProxyHeader(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        if (tls != null) {
            ch.close();
            return;
        }
        ChannelPipeline p = ch.pipeline();
        for (String name : new String[] {"http", "aggregator", ForwardedForHandler.NAME, HandshakeTimeoutHandler.NAME,
                "router"}) {
            if (p.get(name) != null) {
                p.remove(name);
            }
        }
        p.addLast("refusal", new RefusalHandler(Refusal.PER_IP, context.config().handshakeTimeout()));
    }

    private static InetAddress address(SocketAddress remote) {
        return remote instanceof InetSocketAddress inet ? inet.getAddress() : null;
    }
}
