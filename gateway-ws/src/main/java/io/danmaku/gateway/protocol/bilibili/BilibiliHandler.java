package io.danmaku.gateway.protocol.bilibili;

import static io.danmaku.gateway.protocol.bilibili.BilibiliPackets.HEADER_BYTES;
import static io.danmaku.gateway.protocol.bilibili.BilibiliPackets.MAX_CLIENT_PACKET_BYTES;
import static io.danmaku.gateway.protocol.bilibili.BilibiliPackets.OP_AUTH;
import static io.danmaku.gateway.protocol.bilibili.BilibiliPackets.OP_AUTH_REPLY;
import static io.danmaku.gateway.protocol.bilibili.BilibiliPackets.OP_HEARTBEAT;
import static io.danmaku.gateway.protocol.bilibili.BilibiliPackets.OP_HEARTBEAT_REPLY;
import static io.danmaku.gateway.protocol.bilibili.BilibiliPackets.VER_INT32;

import io.danmaku.gateway.auth.Identity;
import io.danmaku.gateway.auth.TokenException;
import io.danmaku.gateway.room.BatchEncoder;
import io.danmaku.gateway.room.RoomSubscription;
import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.gateway.session.WebSocketSession;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection speaking Bilibili's live protocol: auth into one room, heartbeats, and the room's batches.
 * Lives on the connection's event loop; the online count for a heartbeat reply is handed back to it.
 *
 * <p>Every client frame is a run of whole packets, each checked before it is acted on: at least a full header,
 * {@code headerLen} 16, {@code packLen} from 16 to {@link BilibiliPackets#MAX_CLIENT_PACKET_BYTES} and within
 * the frame, {@code ver} 0 or 1. The first packet must be op 7 (auth); after it only op 2 (heartbeat). Anything
 * else fails closed through {@link #protocolViolation}: a close frame (1002, or 1009 for a packet over the
 * limit, 1003 for a text frame) and a counted protocol error. A refused key, or auth into a private room
 * ({@code gateway.private-rooms}), is answered by op 8
 * {@code {"code":-101}} and closed with 1008. No auth within {@code gateway.connect.timeout} closes with 4000,
 * no heartbeat for {@link #HEARTBEAT_TIMEOUT} with 4001, a connection that stays unwritable with 4002
 * (counted, no close frame), one that missed more than the room's ring holds while unwritable with 4005.
 */
public final class BilibiliHandler extends WebSocketSession {
    static final String PROTOCOL = "bilibili";
    /** The clients beat every 30 s and expect a connection silent for 70 s to be closed. */
    public static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(70);
    /** Largest client frame (or reassembled fragmented message) on {@code /sub}. */
    public static final int MAX_CLIENT_FRAME_BYTES = MAX_CLIENT_PACKET_BYTES;

    private static final Logger log = LoggerFactory.getLogger(BilibiliHandler.class);
    private static final byte[] AUTH_OK = "{\"code\":0}".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] AUTH_TOKEN_ERROR = "{\"code\":-101}".getBytes(StandardCharsets.US_ASCII);

    private enum State { AWAITING_AUTH, JOINED }

    private State state = State.AWAITING_AUTH;
    private String room;
    private BatchEncoder encoder;
    private RoomSubscription sub;
    private ScheduledFuture<?> authTimeout;
    private ScheduledFuture<?> heartbeatTimeout;

    public BilibiliHandler(GatewayContext ctx) {
        super(ctx, PROTOCOL, BilibiliCloseCodes.SLOW, BilibiliCloseCodes.INTERNAL_ERROR, BilibiliCloseCodes.EXPIRED,
                BilibiliCloseCodes.FORCED_DISCONNECT);
    }

    // ---- lifecycle ------------------------------------------------------------------------------------------

    @Override
    protected void onOpen() {
        authTimeout = channel.eventLoop().schedule(
                () -> disconnect(BilibiliCloseCodes.AUTH_TIMEOUT, "no auth packet (op 7)"),
                config.connectTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    protected void leaveRooms() {
        if (sub != null) {
            shard.leave(sub);
            sub = null;
        }
    }

    @Override
    protected void cancelTimers() {
        if (authTimeout != null) {
            authTimeout.cancel(false);
            authTimeout = null;
        }
        if (heartbeatTimeout != null) {
            heartbeatTimeout.cancel(false);
            heartbeatTimeout = null;
        }
    }

    // ---- inbound --------------------------------------------------------------------------------------------

    @Override
    protected void onDataFrame(ChannelHandlerContext c, WebSocketFrame frame) {
        if (frame instanceof BinaryWebSocketFrame) {
            try {
                onPackets(frame.content());
            } catch (BilibiliProtocolException e) {
                protocolViolation(e);
            }
        } else {
            protocolViolation(new BilibiliProtocolException("text_frame", BilibiliCloseCodes.TEXT_FRAME,
                    "text frames are not supported: this endpoint speaks binary packets"));
        }
    }

    /** Splits a frame into packets, validating each header before acting on the packet. */
    private void onPackets(ByteBuf frame) {
        if (!frame.isReadable()) {
            throw violation("truncated_header", "empty frame (expected: packets with 16-byte headers)");
        }
        while (frame.isReadable() && !isClosed()) {
            int at = frame.readerIndex();
            int readable = frame.readableBytes();
            if (readable < HEADER_BYTES) {
                throw violation("truncated_header", "packet header: " + readable + " bytes (expected: 16)");
            }
            long packLen = frame.getUnsignedInt(at);
            int headerLen = frame.getUnsignedShort(at + 4);
            int ver = frame.getUnsignedShort(at + 6);
            long op = frame.getUnsignedInt(at + 8);
            int seq = frame.getInt(at + 12);
            if (headerLen != HEADER_BYTES) {
                throw violation("bad_header_length", "headerLen: " + headerLen + " (expected: 16)");
            }
            if (packLen < HEADER_BYTES) {
                throw violation("bad_packet_length", "packLen: " + packLen + " (expected: >= 16)");
            }
            if (packLen > MAX_CLIENT_PACKET_BYTES) {
                throw new BilibiliProtocolException("packet_too_large", BilibiliCloseCodes.TOO_BIG,
                        "packLen: " + packLen + " (expected: <= " + MAX_CLIENT_PACKET_BYTES + ")");
            }
            if (packLen > readable) {
                throw violation("truncated_packet", "packLen: " + packLen + " (expected: <= the " + readable
                        + " bytes left in the frame)");
            }
            if (ver > VER_INT32) {
                throw violation("bad_version", "ver: " + ver + " (expected: 0 or 1, an uncompressed body)");
            }
            ByteBuf body = frame.slice(at + HEADER_BYTES, (int) packLen - HEADER_BYTES);
            frame.skipBytes((int) packLen);
            onPacket(op, seq, body);
        }
    }

    private void onPacket(long op, int seq, ByteBuf body) {
        if (state == State.AWAITING_AUTH) {
            if (op != OP_AUTH) {
                throw violation("not_authenticated", "op " + op + " before auth (expected: op 7 first)");
            }
            ctx.countCommand(PROTOCOL, "auth");
            onAuth(seq, ByteBufUtil.getBytes(body));
        } else if (op == OP_HEARTBEAT) {
            ctx.countCommand(PROTOCOL, "heartbeat");
            onHeartbeat(seq);
        } else if (op == OP_AUTH) {
            throw violation("second_auth", "op 7: already joined room " + room);
        } else {
            throw violation("unknown_op", "op " + op + " (expected: 2 heartbeat)");
        }
    }

    // ---- auth / heartbeat -------------------------------------------------------------------------------------

    private void onAuth(int seq, byte[] body) {
        AuthRequest req = AuthRequest.parse(body);
        Identity who;
        if (req.key() == null) {
            if (!ctx.allowAnonymous()) {
                refuseAuth(seq, "anonymous access is disabled: auth needs a key");
                return;
            }
            who = Identity.ANONYMOUS;
        } else {
            try {
                who = ctx.tokens().verify(req.key());
            } catch (TokenException e) {
                refuseAuth(seq, e.expired() ? "token expired" : "invalid token: " + e.getMessage());
                return;
            }
        }
        if (!who.mayJoin(req.room())) {
            refuseAuth(seq, "the token does not allow room " + req.room());
            return;
        }
        if (config.privateRooms().isPrivate(req.room())) {
            // the auth packet has no place for a subscription token: private rooms are for the JSON protocol
            refuseAuth(seq, "room " + req.room() + " is private (subscription tokens need the Centrifugo protocol)");
            return;
        }
        if (authTimeout != null) {
            authTimeout.cancel(false);
            authTimeout = null;
        }
        state = State.JOINED;
        room = req.room();
        encoder = BilibiliBatchEncoder.forProtover(req.protover());
        write(BilibiliPackets.packet(channel.alloc(), VER_INT32, OP_AUTH_REPLY, seq, AUTH_OK));
        // the user is known before the join: in a sampled room its own posts find it by user
        authenticated(who);
        // no recovery here: the member receives what is published from now on
        sub = shard.join(this, room, false, 0).subscription();
        armHeartbeatTimeout();
        log.debug("[{}] joined room {} ({}, protover {})", channel.id(), room,
                who.anonymous() ? "anonymous" : "user " + who.user().id(), req.protover());
    }

    /** Op 8 with code -101 (what the clients read as a token error), then close 1008. */
    private void refuseAuth(int seq, String reason) {
        log.debug("[{}] auth refused: {}", channel.id(), reason);
        write(BilibiliPackets.packet(channel.alloc(), VER_INT32, OP_AUTH_REPLY, seq, AUTH_TOKEN_ERROR));
        disconnect(BilibiliCloseCodes.AUTH_REFUSED, "auth refused");
    }

    private void onHeartbeat(int seq) {
        armHeartbeatTimeout();
        String r = room;
        ctx.hotStore().online(r).whenComplete((count, err) -> channel.eventLoop().execute(() -> {
            if (isClosed() || state != State.JOINED) {
                return;
            }
            // the store's total lags by up to a report interval; this gateway's own count is current
            long n = err != null || count == null ? ctx.rooms().localCount(r) : ctx.rooms().currentTotal(r, count);
            // op 3 is a frame of its own: some clients only look for it as a frame's first packet
            write(BilibiliPackets.int32Packet(channel.alloc(), VER_INT32, OP_HEARTBEAT_REPLY, seq,
                    (int) Math.min(n, Integer.MAX_VALUE)));
        }));
    }

    private void armHeartbeatTimeout() {
        if (heartbeatTimeout != null) {
            heartbeatTimeout.cancel(false);
        }
        heartbeatTimeout = channel.eventLoop().schedule(
                () -> disconnect(BilibiliCloseCodes.HEARTBEAT_TIMEOUT, "no heartbeat (op 2)"),
                HEARTBEAT_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
    }

    // ---- member ----------------------------------------------------------------------------------------------

    @Override
    public BatchEncoder encoder() {
        return encoder;
    }

    /** Fell further behind than the room's ring holds: closed with 4005, the client reconnects. */
    @Override
    public void onFellBehind(RoomSubscription sub) {
        disconnect(BilibiliCloseCodes.FELL_BEHIND, "fell behind: messages were missed, reconnect");
    }

    // ---- output and closing ----------------------------------------------------------------------------------

    /** Writes one packet (owned by this call) as a binary frame of its own. */
    private void write(ByteBuf packet) {
        if (!channel.isActive()) {
            packet.release();
            return;
        }
        channel.writeAndFlush(new BinaryWebSocketFrame(packet), channel.voidPromise());
    }

    private static BilibiliProtocolException violation(String kind, String message) {
        return new BilibiliProtocolException(kind, BilibiliCloseCodes.PROTOCOL_ERROR, message);
    }

    /** The one path for a client that broke the protocol: counted, then closed with the violation's code. */
    private void protocolViolation(BilibiliProtocolException e) {
        if (isClosed()) {
            return;
        }
        ctx.countProtocolError(PROTOCOL, e.kind());
        log.debug("[{}] protocol violation ({}): {}", channel.id(), e.kind(), e.getMessage());
        disconnect(e.closeCode(), e.getMessage());
    }
}
