package io.danmaku.gateway.pipeline;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The whole pipeline of a connection refused at accept: answers the refusal's HTTP status at once with
 * {@code Connection: close}, ends its side of the stream, discards what the client sends, and closes when the
 * client does or after {@code linger}. Reading the client's request instead of closing at once keeps the answer
 * from being lost to a TCP reset (a socket closed with unread input sends RST, and the client's kernel may drop
 * the answer with it). No HTTP decoding: the answer does not depend on the request.
 */
final class RefusalHandler extends ChannelInboundHandlerAdapter {
    private final Refusal refusal;
    private final Duration linger;
    private ScheduledFuture<?> timer;

    RefusalHandler(Refusal refusal, Duration linger) {
        this.refusal = refusal;
        this.linger = linger;
    }

    /** The HTTP/1.1 response for {@code refusal}, headers and body. */
    static byte[] response(Refusal refusal) {
        byte[] body = (refusal.message() + "\n").getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + refusal.status() + " " + refusal.statusText() + "\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + (refusal.status() == 403 ? "" : "Retry-After: 1\r\n")
                + "Connection: close\r\n\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[headBytes.length + body.length];
        System.arraycopy(headBytes, 0, all, 0, headBytes.length);
        System.arraycopy(body, 0, all, headBytes.length, body.length);
        return all;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            answer(ctx); // refused after accept (a PROXY header's source over its cap)
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        answer(ctx);
        ctx.fireChannelActive();
    }

    private void answer(ChannelHandlerContext ctx) {
        if (timer != null) {
            return;
        }
        timer = ctx.executor().schedule(() -> {
            ctx.close();
        }, linger.toNanos(), TimeUnit.NANOSECONDS);
        ctx.writeAndFlush(Unpooled.wrappedBuffer(response(refusal))).addListener(f -> {
            if (!f.isSuccess()) {
                ctx.close();
            } else if (ctx.channel() instanceof DuplexChannel duplex) {
                duplex.shutdownOutput();
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg); // the request is not needed: the answer is already on its way
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
