package io.danmaku.gateway.session;

import io.danmaku.gateway.GatewayConfig;
import io.danmaku.gateway.auth.Identity;
import io.danmaku.gateway.compression.MessageInflater;
import io.danmaku.gateway.room.LoopShard;
import io.danmaku.gateway.room.Member;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.store.ControlMessage;
import io.danmaku.protocol.store.DisconnectRequest;
import io.danmaku.protocol.store.PresenceMember;
import io.danmaku.protocol.store.RefreshRequest;
import io.danmaku.protocol.store.SubscribeRequest;
import io.danmaku.protocol.store.UnsubscribeRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
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
 *
 * <p>A message sent in fragments is reassembled here (bounded by {@link #messageLimit(int)}), so the protocol
 * sees whole messages; the pipeline needs no aggregator of its own. The buffer exists only while a fragmented
 * message is arriving: an idle connection holds no per-connection handler besides this one and Netty's frame
 * codec.
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
    private final int expiredCode;
    private final int forcedCode;
    protected Channel channel;
    protected LoopShard shard;
    private boolean closed;
    private boolean cleanedUp;
    private long unwritableSinceNanos;
    private int messageLimit;
    /** The fragments of a message still arriving; null between messages. */
    private CompositeByteBuf fragments;
    private boolean fragmentsText;
    /** The message arriving in fragments was sent compressed (RSV1 on its first frame). */
    private boolean fragmentsCompressed;
    /** The handshake negotiated permessage-deflate: batches may come deflated, messages may arrive so. */
    private boolean permessageDeflate;
    /** The user this connection is registered under in {@link UserConnections}; null while none. */
    private String userId;
    /** The connection's info in presence and join/leave (raw JSON), or null. */
    private String connInfo;
    /** This connection's presence entry, made once it is known (after connect or auth). */
    private PresenceMember presence;
    /** When the token's {@code exp} plus the leeway passes (epoch ms), checked at each tick; 0 = not checked. */
    private long expiresAtMillis;
    /** This session's place in its loop's {@link PingWheel}; -1 when not ticked. */
    int wheelSlot = -1;
    int wheelIndex = -1;

    /**
     * @param protocol the metric tag of this protocol
     * @param slowCode the close code counted when a slow connection is dropped
     * @param internalErrorCode the close code for an unexpected server error
     * @param expiredCode the close code once the token expired ({@code gateway.token.expiry=close})
     * @param forcedCode the close code of a disconnect request (the server API's {@code disconnect})
     */
    protected WebSocketSession(GatewayContext ctx, String protocol, int slowCode, int internalErrorCode,
                               int expiredCode, int forcedCode) {
        super(WebSocketFrame.class, true);
        this.ctx = ctx;
        this.config = ctx.config();
        this.protocol = protocol;
        this.slowCode = slowCode;
        this.internalErrorCode = internalErrorCode;
        this.expiredCode = expiredCode;
        this.forcedCode = forcedCode;
        this.messageLimit = config.maxFramePayloadBytes();
    }

    /**
     * Largest message (the sum of its fragments) this session accepts; bigger closes with 1009. Default: the
     * gateway's frame limit. Set before the connection receives data.
     */
    public final WebSocketSession messageLimit(int bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("messageLimit: " + bytes + " (expected: >= 1)");
        }
        this.messageLimit = bytes;
        return this;
    }

    /**
     * The handshake negotiated {@code permessage-deflate} (with no context takeover either way): data messages
     * with RSV1 are inflated before the protocol sees them, and room batches may be sent deflated. Set before the
     * connection receives data.
     */
    public final WebSocketSession permessageDeflate(boolean on) {
        this.permessageDeflate = on;
        return this;
    }

    @Override
    public final boolean permessageDeflate() {
        return permessageDeflate;
    }

    @Override
    public final String userId() {
        return userId;
    }

    /** The session starts: schedule its first timer. Called once the channel and the shard are known. */
    protected abstract void onOpen();

    /** A data frame (text or binary) arrived on an open session; the frame is released afterwards. */
    protected abstract void onDataFrame(ChannelHandlerContext c, WebSocketFrame frame);

    /** Cancels the protocol's timers; called once when the session closes. */
    protected abstract void cancelTimers();

    /** Leaves every room; called once when the connection is gone. */
    protected abstract void leaveRooms();

    /**
     * Called once per ping interval after {@link #startTicks()} until the session closes or
     * {@link #stopTicks()}: the protocol's ping and liveness check. Does nothing by default.
     */
    protected void onTick(long nowNanos) {
    }

    /**
     * Ticks this session every ping interval from now on (from its event loop's shared {@link PingWheel}, so an
     * idle connection holds no timer of its own); stops by itself when the session closes. Idempotent.
     */
    protected final void startTicks() {
        if (!closed) {
            ctx.pingWheel(channel.eventLoop()).add(this);
        }
    }

    /** Stops the ticks; idempotent. */
    protected final void stopTicks() {
        if (wheelSlot >= 0) {
            ctx.pingWheel(channel.eventLoop()).remove(this);
        }
    }

    final void tick(long nowNanos) {
        if (closed) {
            return;
        }
        if (expiresAtMillis != 0 && System.currentTimeMillis() >= expiresAtMillis) {
            disconnect(expiredCode, "connection expired");
            return;
        }
        onTick(nowNanos);
    }

    /**
     * The connection is authenticated as {@code who} (at connect, and again at each token refresh): a user's
     * connection is registered for disconnect requests, and with {@code gateway.token.expiry=close} its token's
     * expiry is checked at every tick from now on (the protocol keeps its ticks going, or they start here).
     */
    protected final void authenticated(Identity who) {
        if (closed) {
            return;
        }
        if (who.anonymous()) {
            if (who.info() != null) {
                connInfo = who.info();
                presence = null;
            }
            return;
        }
        if (userId == null) {
            userId = who.user().id();
            connInfo = who.info() != null ? who.info() : nameInfo(who.user().name());
            presence = null;
            ctx.users().add(userId, this);
        }
        if (config.closeOnTokenExpiry() && who.expiresAt() != null) {
            expiresAtMillis = Math.max(1, who.expiresAt().plus(ctx.tokens().leeway()).toEpochMilli());
            startTicks();
        } else {
            expiresAtMillis = 0;
        }
    }

    /** The client id a disconnect request may name to pick this connection, or null when it has none. */
    protected String clientId() {
        return null;
    }

    /**
     * Acts on a control message from the server API if it concerns this connection; on its event loop. A
     * disconnect closes it (the protocol picks the code, {@link #forcedCloseCode}); a refresh sets or removes its
     * expiry, or closes it as expired; subscribe and unsubscribe go to the protocol
     * ({@link #serverSubscribe}, {@link #serverUnsubscribe}).
     */
    final void onControl(ControlMessage request) {
        if (closed || userId == null || !request.matches(userId, request.clientId() == null ? null : clientId())) {
            return;
        }
        if (request instanceof DisconnectRequest d) {
            log.info("[{}] disconnected by request (user {})", channel.id(), userId);
            disconnect(forcedCloseCode(d), d.reason() == null ? "force disconnect" : d.reason());
        } else if (request instanceof RefreshRequest r) {
            if (r.expired()) {
                disconnect(expiredCode, "connection expired");
            } else if (r.expireAtSeconds() == 0) {
                expiresAtMillis = 0;
            } else {
                expiresAtMillis = Math.max(1, r.expireAtSeconds() * 1000);
                startTicks();
            }
        } else if (request instanceof SubscribeRequest r) {
            serverSubscribe(r.room());
        } else if (request instanceof UnsubscribeRequest r) {
            serverUnsubscribe(r.room());
        }
    }

    /** The close code of a disconnect request for this protocol: its own forced-disconnect code by default. */
    protected int forcedCloseCode(DisconnectRequest request) {
        return forcedCode;
    }

    /** Subscribes this connection to {@code room} on the server's initiative; ignored by default. */
    protected void serverSubscribe(String room) {
    }

    /** Unsubscribes this connection from {@code room} on the server's initiative; ignored by default. */
    protected void serverUnsubscribe(String room) {
    }

    /** {@code {"name":…}} for a display name, null for none. */
    private static String nameInfo(String name) {
        return name == null || name.isEmpty() ? null : Json.MAPPER.createObjectNode().put("name", name).toString();
    }

    /**
     * This connection in its rooms' presence: its client id (or, for a protocol without one, its channel id), its
     * user ({@code ""} while anonymous) and its info: the connect proxy's {@code info}, else {@code {"name":…}}
     * when the user has a display name.
     */
    @Override
    public final PresenceMember presence() {
        if (presence == null) {
            String client = clientId();
            presence = new PresenceMember(client != null ? client : channel.id().asLongText(),
                    userId == null ? "" : userId, connInfo);
        }
        return presence;
    }

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
        dropFragments();
        markClosed();
        if (userId != null) {
            ctx.users().remove(userId, this);
        }
        leaveRooms();
        ctx.connections().decrementAndGet();
    }

    private void markClosed() {
        if (!closed) {
            closed = true;
            stopTicks();
            cancelTimers();
        }
    }

    @Override
    public final void channelWritabilityChanged(ChannelHandlerContext c) throws Exception {
        if (c.channel().isWritable()) {
            unwritableSinceNanos = 0;
            if (!closed && shard != null) {
                // batches skipped meanwhile are caught up (or the client told) now; as a task of its own, so it
                // never runs inside a room's flush that happens to be writing to this connection
                c.channel().eventLoop().execute(() -> {
                    if (!closed) {
                        shard.writable(this);
                    }
                });
            }
        }
        super.channelWritabilityChanged(c);
    }

    @Override
    public final void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            tooBig();
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
        int rsv = frame.rsv();
        if (rsv != 0 && !rsvAllowed(frame, rsv)) {
            ctx.countProtocolError(protocol, "bad_rsv");
            disconnect(WebSocketCloseStatus.PROTOCOL_ERROR.code(), "reserved bits set");
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
        } else if (frame instanceof ContinuationWebSocketFrame) {
            onContinuation(c, frame);
        } else if (!frame.isFinalFragment()) {
            // the frame decoder guarantees a first fragment never arrives inside another fragmented message
            if (frame.content().readableBytes() > messageLimit) {
                tooBig();
                return;
            }
            fragments = c.alloc().compositeBuffer();
            fragments.addComponent(true, frame.content().retain());
            fragmentsText = frame instanceof TextWebSocketFrame;
            fragmentsCompressed = rsv != 0;
        } else if (rsv != 0) {
            onCompressedMessage(c, frame.content(), frame instanceof TextWebSocketFrame);
        } else {
            onDataFrame(c, frame);
        }
    }

    /**
     * RSV1 marks the first frame of a compressed message, and only under permessage-deflate; RSV2 and RSV3 mean
     * nothing here (the frame decoder lets them through only when the extension was negotiated).
     */
    private boolean rsvAllowed(WebSocketFrame frame, int rsv) {
        return permessageDeflate && rsv == 0x4
                && (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame);
    }

    /** Inflates a whole compressed message (bounded by the message limit) and hands it on; does not release. */
    private void onCompressedMessage(ChannelHandlerContext c, ByteBuf compressed, boolean text) {
        ByteBuf inflated;
        try {
            inflated = shard.inflater().inflate(compressed, messageLimit, c.alloc());
        } catch (MessageInflater.TooBigException e) {
            tooBig();
            return;
        } catch (MessageInflater.CorruptException e) {
            ctx.countProtocolError(protocol, "bad_deflate");
            disconnect(WebSocketCloseStatus.INVALID_PAYLOAD_DATA.code(), "invalid compressed data");
            return;
        }
        WebSocketFrame message = text ? new TextWebSocketFrame(true, 0, inflated)
                : new BinaryWebSocketFrame(true, 0, inflated);
        try {
            onDataFrame(c, message);
        } finally {
            message.release();
        }
    }

    private void onContinuation(ChannelHandlerContext c, WebSocketFrame frame) {
        if (fragments == null) {
            return; // the rest of a message already refused as too big
        }
        if ((long) fragments.readableBytes() + frame.content().readableBytes() > messageLimit) {
            dropFragments();
            tooBig();
            return;
        }
        fragments.addComponent(true, frame.content().retain());
        if (!frame.isFinalFragment()) {
            return;
        }
        CompositeByteBuf whole = fragments;
        fragments = null;
        if (fragmentsCompressed) {
            try {
                onCompressedMessage(c, whole, fragmentsText);
            } finally {
                whole.release();
            }
            return;
        }
        WebSocketFrame message = fragmentsText ? new TextWebSocketFrame(true, 0, whole)
                : new BinaryWebSocketFrame(true, 0, whole);
        try {
            onDataFrame(c, message);
        } finally {
            message.release();
        }
    }

    private void tooBig() {
        ctx.countProtocolError(protocol, "frame_too_large");
        disconnect(WebSocketCloseStatus.MESSAGE_TOO_BIG.code(), "message too big");
    }

    private void dropFragments() {
        if (fragments != null) {
            fragments.release();
            fragments = null;
        }
    }

    // ---- slow consumers --------------------------------------------------------------------------------------

    @Override
    public final Channel channel() {
        return channel;
    }

    @Override
    public final String protocol() {
        return protocol;
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
            writeClose(code, reason);
        }
    }

    /**
     * Tells the client why the server closes ({@code code}, {@code reason}) and closes once that is written: a
     * WebSocket close frame by default; a transport without close frames (the unidirectional HTTP streams) writes
     * its own goodbye. Called once, on an active channel.
     */
    protected void writeClose(int code, String reason) {
        channel.writeAndFlush(new CloseWebSocketFrame(code, closeReason(reason)))
                .addListener(ChannelFutureListener.CLOSE);
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
