package io.danmaku.gateway.pipeline;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes an HTTP connection that has not sent a whole request (request line, headers and body) within the
 * handshake timeout of being accepted, or of its last answer on a kept-alive connection. A deadline, not an idle
 * timer: a client trickling a byte a second (slowloris) is cut as surely as one that sends nothing. Sits after
 * the aggregator, so it sees whole requests; the router removes it when the connection becomes a WebSocket,
 * whose own connect timeout then runs. One per connection (it holds the timer), not shared.
 */
final class HandshakeTimeoutHandler extends ChannelDuplexHandler {
    /** Its name in the pipeline, for the router to remove it at the upgrade. */
    static final String NAME = "handshake-timeout";

    private final long timeoutNanos;
    private final Runnable onTimeout;
    private ScheduledFuture<?> timer;

    /** @param onTimeout counts the cut connection (runs on the connection's loop) */
    HandshakeTimeoutHandler(long timeoutNanos, Runnable onTimeout) {
        this.timeoutNanos = timeoutNanos;
        this.onTimeout = onTimeout;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            arm(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpRequest) {
            disarm();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse) {
            // an answer went out: a kept-alive connection has another timeout for its next request
            promise = promise.unvoid();
            promise.addListener(f -> {
                if (f.isSuccess() && ctx.channel().isActive() && !ctx.isRemoved()) {
                    arm(ctx);
                }
            });
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        disarm();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        disarm();
    }

    private void arm(ChannelHandlerContext ctx) {
        if (timer != null) {
            return;
        }
        timer = ctx.executor().schedule(() -> {
            timer = null;
            if (ctx.channel().isActive()) {
                onTimeout.run();
                ctx.close();
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void disarm() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
