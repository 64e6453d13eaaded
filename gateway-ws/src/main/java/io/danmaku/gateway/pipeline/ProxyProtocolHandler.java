package io.danmaku.gateway.pipeline;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import java.net.InetAddress;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits behind Netty's {@link HAProxyMessageDecoder} (PROXY protocol v1 and v2, {@code gateway.proxy-protocol}):
 * takes the header's source address as the connection's peer and counts it against the per-address cap, unless
 * it is a trusted proxy whose forwarding header will name the client ({@link ForwardedForHandler} counts then).
 * A {@code LOCAL} header (a proxy's own health check) or an {@code UNKNOWN} protocol keeps the TCP peer, as the
 * specification says. Then it leaves the pipeline; the bytes after the header go on to TLS or HTTP.
 *
 * <p>A connection whose first bytes are not a valid header is closed by the decoder at once (no answer: the
 * peer does not speak the protocol), counted as refused {@code proxy-protocol}. One per connection.
 */
final class ProxyProtocolHandler extends ChannelInboundHandlerAdapter {
    static final String DECODER = "proxy-protocol-decoder";
    static final String NAME = "proxy-protocol";
    private static final Logger log = LoggerFactory.getLogger(ProxyProtocolHandler.class);

    private final ProxiedConnection connection;
    private final Consumer<String> countRefused;
    /** Called with the per-address refusal of the header's source: answers it (or closes) in place of HTTP. */
    private final Consumer<ChannelHandlerContext> refusePerAddress;
    private boolean failed;

    ProxyProtocolHandler(ProxiedConnection connection, Consumer<String> countRefused,
                         Consumer<ChannelHandlerContext> refusePerAddress) {
        this.connection = connection;
        this.countRefused = countRefused;
        this.refusePerAddress = refusePerAddress;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HAProxyMessage header)) {
            ctx.fireChannelRead(msg);
            return;
        }
        InetAddress source = null;
        try {
            if (header.command() == HAProxyCommand.PROXY && header.sourceAddress() != null) {
                source = ProxyConfig.literal(header.sourceAddress());
            }
        } finally {
            header.release();
        }
        if (source != null) {
            connection.peer(source);
        }
        ctx.pipeline().remove(this);
        if (connection.peerTrusted()) {
            return; // a proxy in front of the proxy: its forwarding header names the client
        }
        if (connection.count(connection.peer()) != null) {
            countRefused.accept(Refusal.PER_IP.tag());
            log.debug("[{}] refused: {} open connections from {} already", ctx.channel().id(), Refusal.PER_IP.tag(),
                    connection.peer().getHostAddress());
            refusePerAddress.accept(ctx);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof HAProxyProtocolException) {
            if (failed) {
                return; // the decoder may report the rest of the same bytes again as it closes
            }
            failed = true;
            countRefused.accept(Refusal.PROXY_PROTOCOL.tag());
            log.debug("[{}] closed: no valid PROXY protocol header from {}: {}", ctx.channel().id(),
                    ctx.channel().remoteAddress(), cause.getMessage());
            ctx.close();
            return;
        }
        ctx.fireExceptionCaught(cause);
    }
}
