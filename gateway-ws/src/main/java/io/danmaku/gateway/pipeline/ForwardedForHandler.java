package io.danmaku.gateway.pipeline;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On a connection from a trusted proxy ({@code gateway.trusted-proxies}), reads the client's address from each
 * request's forwarding header ({@link ForwardedFor}) and counts the connection under it against the per-address
 * cap before the request goes on; a client over its cap is answered HTTP 429 with {@code Connection: close}, as
 * a direct client would be at accept. A kept-alive proxy connection whose next request is another client's is
 * counted under that one from then on. Leaves the pipeline at the WebSocket upgrade (the client of an upgraded
 * connection does not change), and at once on a connection whose peer is not a trusted proxy (counted already).
 * One per connection.
 */
final class ForwardedForHandler extends ChannelInboundHandlerAdapter {
    static final String NAME = "forwarded-for";
    private static final Logger log = LoggerFactory.getLogger(ForwardedForHandler.class);

    private final ProxiedConnection connection;
    private final Consumer<String> countRefused;

    ForwardedForHandler(ProxiedConnection connection, Consumer<String> countRefused) {
        this.connection = connection;
        this.countRefused = countRefused;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!connection.peerTrusted()) {
            ctx.pipeline().remove(this);
            ctx.fireChannelRead(msg);
            return;
        }
        InetAddress client = ForwardedFor.client(connection.peer(), request.headers(), connection.trusted(),
                connection.header());
        if (connection.count(client) != null) {
            request.release();
            countRefused.accept(Refusal.PER_IP.tag());
            log.debug("[{}] refused: {} open connections from {} already (through proxy {})", ctx.channel().id(),
                    Refusal.PER_IP.tag(), client.getHostAddress(), connection.peer().getHostAddress());
            ctx.writeAndFlush(response(Refusal.PER_IP)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.fireChannelRead(msg);
        if (ctx.pipeline().get(HttpRouterHandler.SESSION) != null) {
            ctx.pipeline().remove(this); // upgraded: WebSocket frames from here on
        }
    }

    /** The refusal's answer through the HTTP codec, closing the connection. */
    static FullHttpResponse response(Refusal refusal) {
        byte[] body = (refusal.message() + "\n").getBytes(StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(refusal.status(), refusal.statusText()), Unpooled.wrappedBuffer(body));
        res.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.RETRY_AFTER, "1")
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return res;
    }
}
