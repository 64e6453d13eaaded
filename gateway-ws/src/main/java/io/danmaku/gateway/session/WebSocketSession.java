package io.danmaku.gateway.session;

import io.danmaku.gateway.GatewayConfig;
import io.danmaku.gateway.room.LoopShard;
import io.danmaku.gateway.room.Member;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every protocol's connection handler shares: the lifecycle (connection counted once, rooms left and timers
 * cancelled once, whichever of inactive or removed comes first), WebSocket control frames, the slow-consumer rule,
 * and the one path by which the server closes a connection (close frame with code and reason, counted). The
 * protocol subclass handles its data frames and its own state; everything runs on the connection's event loop.
 */
public abstract class WebSocketSession extends SimpleChannelInboundHandler<WebSocketFrame> implements Member {
    private static final Logger log = LoggerFactory.getLogger(WebSocketSession.class);
    /** A close frame's reason must fit in 123 bytes. */
    private static final int MAX_CLOSE_REASON_BYTES = 123;

    protected final GatewayContext ctx;
    protected final GatewayConfig config;
    private final String protocol;
    private final int slowCode;
    private final int internalErrorCode;
    protected Channel channel;
    protected LoopShard shard;
    private boolean closed;
    private boolean cleanedUp;
    private long unwritableSinceNanos;

    /**
     * @param protocol the metric tag of this protocol
     * @param slowCode the close code counted when a slow connection is dropped
     * @param internalErrorCode the close code for an unexpected server error
     */
    protected WebSocketSession(GatewayContext ctx, String protocol, int slowCode, int internalErrorCode) {
        super(WebSocketFrame.class, true);
        this.ctx = ctx;
        this.config = ctx.config();
        this.protocol = protocol;
        this.slowCode = slowCode;
        this.internalErrorCode = internalErrorCode;
    }

    /** The session starts: schedule its first timer. Called once the channel and the shard are known. */
    protected abstract void onOpen();

    /** A data frame (text or binary) arrived on an open session; the frame is released afterwards. */
    protected abstract void onDataFrame(ChannelHandlerContext c, WebSocketFrame frame);

    /** Cancels the protocol's timers; called once when the session closes. */
    protected abstract void cancelTimers();

    /** Leaves every room; called once when the connection is gone. */
    protected abstract void leaveRooms();

    protected final boolean isClosed() {
        return closed;
    }

    // ---- lifecycle ------------------------------------------------------------------------------------------

    @Override
    public final void handlerAdded(ChannelHandlerContext c) {
        channel = c.channel();
        shard = ctx.rooms().shard(channel.eventLoop());
        ctx.connections().incrementAndGet();
        onOpen();
    }

    @Override
    public final void channelInactive(ChannelHandlerContext c) throws Exception {
        cleanup();
        super.channelInactive(c);
    }

    @Override
    public final void handlerRemoved(ChannelHandlerContext c) {
        cleanup();
    }

    private void cleanup() {
        if (cleanedUp) {
            return;
        }
        cleanedUp = true;
        markClosed();
        leaveRooms();
        ctx.connections().decrementAndGet();
    }

    private void markClosed() {
        if (!closed) {
            closed = true;
            cancelTimers();
        }
    }

    @Override
    public final void channelWritabilityChanged(ChannelHandlerContext c) throws Exception {
        if (c.channel().isWritable()) {
            unwritableSinceNanos = 0;
        }
        super.channelWritabilityChanged(c);
    }

    @Override
    public final void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            ctx.countProtocolError(protocol, "frame_too_large");
            disconnect(WebSocketCloseStatus.MESSAGE_TOO_BIG.code(), "message too big");
        } else if (cause instanceof CorruptedWebSocketFrameException e) {
            // the frame decoder already sent its close frame (1002/1007/1009); just account for it
            ctx.countProtocolError(protocol, "corrupted_frame");
            closeNow(e.closeStatus() != null ? e.closeStatus().code() : WebSocketCloseStatus.PROTOCOL_ERROR.code());
        } else if (cause instanceof IOException) {
            log.debug("[{}] connection error: {}", c.channel().id(), cause.toString());
            c.close();
        } else {
            log.warn("[{}] unexpected error, closing", c.channel().id(), cause);
            ctx.countProtocolError(protocol, "internal");
            disconnect(internalErrorCode, "internal error");
        }
    }

    // ---- inbound --------------------------------------------------------------------------------------------

    @Override
    protected final void channelRead0(ChannelHandlerContext c, WebSocketFrame frame) {
        if (closed) {
            return;
        }
        if (frame instanceof PingWebSocketFrame) {
            c.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
        } else if (frame instanceof PongWebSocketFrame) {
            // liveness is each protocol's own heartbeat
        } else if (frame instanceof CloseWebSocketFrame close) {
            int code = close.statusCode() == -1 ? WebSocketCloseStatus.NORMAL_CLOSURE.code() : close.statusCode();
            markClosed();
            c.writeAndFlush(new CloseWebSocketFrame(code, "")).addListener(ChannelFutureListener.CLOSE);
        } else {
            onDataFrame(c, frame);
        }
    }

    // ---- slow consumers --------------------------------------------------------------------------------------

    @Override
    public final Channel channel() {
        return channel;
    }

    @Override
    public final void onSkippedBatch(long nowNanos) {
        if (closed) {
            return; // already closing; the room forgets it when the channel becomes inactive
        }
        if (unwritableSinceNanos == 0) {
            unwritableSinceNanos = nowNanos;
        } else if (nowNanos - unwritableSinceNanos > config.slowClientTimeout().toNanos()) {
            log.info("[{}] closing slow connection: unwritable for {} ms", channel.id(),
                    TimeUnit.NANOSECONDS.toMillis(nowNanos - unwritableSinceNanos));
            ctx.countDisconnect(protocol, slowCode);
            markClosed();
            channel.close(); // its buffer is full: a close frame would never get through
        }
    }

    // ---- closing ---------------------------------------------------------------------------------------------

    /** Closes with a WebSocket close frame carrying {@code code} and {@code reason}, counted; idempotent. */
    public final void disconnect(int code, String reason) {
        if (closed || channel == null) {
            return;
        }
        markClosed();
        ctx.countDisconnect(protocol, code);
        if (channel.isActive()) {
            channel.writeAndFlush(new CloseWebSocketFrame(code, closeReason(reason)))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Closes at once, without a close frame (one was sent already, or cannot be), counted under {@code code}. */
    protected final void closeNow(int code) {
        if (!closed) {
            markClosed();
            ctx.countDisconnect(protocol, code);
        }
        channel.close();
    }

    /** A close frame's reason, shortened on a character boundary to fit its 123 bytes. */
    public static String closeReason(String reason) {
        byte[] b = reason.getBytes(StandardCharsets.UTF_8);
        if (b.length <= MAX_CLOSE_REASON_BYTES) {
            return reason;
        }
        int end = MAX_CLOSE_REASON_BYTES - 3;
        while (end > 0 && (b[end] & 0xC0) == 0x80) {
            end--;
        }
        return new String(b, 0, end, StandardCharsets.UTF_8) + "...";
    }
}
