package io.danmaku.gateway.protocol.centrifuge;

import static io.danmaku.gateway.protocol.centrifuge.CentrifugeCodes.DISCONNECT_EXPIRED;
import static io.danmaku.gateway.protocol.centrifuge.CentrifugeCodes.DISCONNECT_FORCE_NO_RECONNECT;
import static io.danmaku.gateway.protocol.centrifuge.CentrifugeCodes.DISCONNECT_INVALID_TOKEN;
import static io.danmaku.gateway.protocol.centrifuge.CentrifugeCodes.DISCONNECT_SLOW;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.danmaku.gateway.auth.Identity;
import io.danmaku.gateway.auth.TokenException;
import io.danmaku.gateway.backend.BackendCalls;
import io.danmaku.gateway.backend.ConnectCall;
import io.danmaku.gateway.backend.ConnectResult;
import io.danmaku.gateway.backend.ProxyAnswer;
import io.danmaku.gateway.room.BatchEncoder;
import io.danmaku.gateway.room.RoomSubscription;
import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.gateway.session.WebSocketSession;
import io.danmaku.protocol.store.JoinLeaveEvent;
import io.danmaku.protocol.store.PresenceMember;
import io.danmaku.protocol.RoomId;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.store.DisconnectRequest;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection of a unidirectional transport ({@code uni_sse}, {@code uni_http_stream}): the response to one HTTP
 * request, streamed for as long as the connection lives. The client says everything in its connect request; the
 * server writes pushes only, as Centrifugo does on these transports (the push objects themselves, no reply
 * envelope):
 * <ol>
 *   <li>{@code {"connect":{"client","version","data","ping","session","subs":{"<room>":{subscribe result}}}}}
 *       first ({@code data} only from the connect proxy), with the rooms joined at connect: the connect proxy's
 *       {@code channels}, those of the token's {@code rooms} claim and those the request's {@code subs} names (with {@code recover}, {@code offset}, {@code epoch}: the missed publications come in the room's
 *       {@code publications}, as a WebSocket subscribe answers them);</li>
 *   <li>then {@code {"channel","pub"}} publications, batched and encoded once per batch and transport by the room
 *       like a WebSocket member's frames ({@link UniBatchEncoder});</li>
 *   <li>{@code {}} every ping interval (no pong is expected: the client cannot send one);</li>
 *   <li>{@code {"disconnect":{"code","reason"}}} last, when the server ends the connection; the response ends.</li>
 * </ol>
 * A refused token is not an HTTP error: the response is 200 with the disconnect push (3500 invalid token, 3005 for
 * an expired one), as Centrifugo answers. A slow reader is dropped as a WebSocket one is (3008, no push: its buffer
 * is full). The server API's subscribe and unsubscribe reach it as {@code subscribe} and {@code unsubscribe}
 * pushes.
 */
public final class UniSession extends WebSocketSession {
    private static final Logger log = LoggerFactory.getLogger(UniSession.class);
    private static final byte[] PING = "{}".getBytes(StandardCharsets.US_ASCII);
    /** Centrifugo's "internal server error" disconnect (reconnect allowed). */
    static final int DISCONNECT_SERVER_ERROR = 3004;
    /** Centrifugo's "shutdown" disconnect: the server is going away, reconnect elsewhere. */
    public static final int DISCONNECT_SHUTDOWN = 3001;

    /** The two transports: metric tag and encoder. */
    public enum Transport {
        SSE("uni_sse", UniBatchEncoder.SSE),
        HTTP_STREAM("uni_http_stream", UniBatchEncoder.HTTP_STREAM);

        final String tag;
        final UniBatchEncoder encoder;

        Transport(String tag, UniBatchEncoder encoder) {
            this.tag = tag;
            this.encoder = encoder;
        }

        public String tag() {
            return tag;
        }
    }

    /**
     * A requested subscription of the connect request's {@code subs}; {@code joinLeave}: the reader asks for the
     * room's join and leave pushes (rooms of {@code gateway.join-leave.rooms} only).
     */
    public record SubRequest(boolean recover, long offset, String epoch, boolean joinLeave) {
    }

    /**
     * The connect request of a unidirectional connection.
     *
     * @param token the connection token, {@code ""} when none
     * @param subs rooms asked for, in request order
     * @param data the request's {@code data} (for the connect proxy), or null
     * @param name the client's {@code name} (for the connect proxy), {@code ""} when none
     * @param version the client's {@code version} (for the connect proxy), {@code ""} when none
     * @param headers the HTTP request's headers the connect proxy forwards ({@code gateway.backend.connect-headers})
     */
    public record ConnectRequest(String token, Map<String, SubRequest> subs, JsonNode data, String name,
                                 String version, Map<String, String> headers) {
        /** This request with the forwarded headers of its HTTP request. */
        public ConnectRequest withHeaders(Map<String, String> forwarded) {
            return new ConnectRequest(token, subs, data, name, version, forwarded);
        }
    }

    private final Transport transport;
    private final Map<String, RoomSubscription> subs = new HashMap<>();
    private Identity identity;
    private String clientId;
    private boolean connected;

    public UniSession(GatewayContext ctx, Transport transport) {
        super(ctx, transport.tag, DISCONNECT_SLOW, DISCONNECT_SERVER_ERROR, DISCONNECT_EXPIRED,
                DISCONNECT_FORCE_NO_RECONNECT);
        this.transport = transport;
    }

    @Override
    protected void onOpen() {
        // the connect request came with the HTTP request: connect(...) follows at once
    }

    @Override
    protected void onDataFrame(ChannelHandlerContext c, WebSocketFrame frame) {
        // nothing arrives on a unidirectional connection
    }

    @Override
    protected void cancelTimers() {
    }

    @Override
    protected void leaveRooms() {
        for (RoomSubscription s : subs.values()) {
            shard.leave(s);
        }
        subs.clear();
    }

    @Override
    public BatchEncoder encoder() {
        return transport.encoder;
    }

    @Override
    protected String clientId() {
        return clientId;
    }

    @Override
    protected int forcedCloseCode(DisconnectRequest request) {
        return request.code() != 0 ? request.code() : DISCONNECT_FORCE_NO_RECONNECT;
    }

    // ---- connect --------------------------------------------------------------------------------------------

    /**
     * Runs the connect request: on the connection's event loop, right after the response head was written. Without
     * a token and with {@code gateway.backend.connect-url} set, the backend says who the connection is first
     * ({@link #onConnectAnswer}).
     */
    public void connect(ConnectRequest request) {
        if (request.token().isEmpty() && ctx.backend().connectEnabled()) {
            clientId = UUID.randomUUID().toString();
            new BackendCalls(ctx.backend(), channel.eventLoop()).connect(new ConnectCall(clientId, transport.tag,
                    "json", request.name(), request.version(), request.data(), request.headers()),
                    answer -> onConnectAnswer(request, answer));
            return;
        }
        Identity who;
        if (request.token().isEmpty()) {
            if (!ctx.allowAnonymous()) {
                disconnect(DISCONNECT_INVALID_TOKEN, "invalid token: a token is required");
                return;
            }
            who = Identity.ANONYMOUS;
        } else {
            try {
                who = ctx.tokens().verify(request.token());
            } catch (TokenException e) {
                log.debug("[{}] refused token: {}", channel.id(), e.getMessage());
                if (e.temporary()) {
                    disconnect(DISCONNECT_EXPIRED, e.expired() ? "expired" : "token not verified yet, retry");
                } else {
                    disconnect(DISCONNECT_INVALID_TOKEN, "invalid token");
                }
                return;
            }
        }
        clientId = UUID.randomUUID().toString();
        connected(request, who, null);
    }

    /**
     * The connect proxy's answer, told as unidirectional clients are told everything, by the disconnect push: a
     * disconnect closes with its code; an error (the backend's, or a failure of the call) with 3004, the error's
     * message as the reason, as Centrifugo does by default; a result with no user while anonymous connections are
     * off with 3500; an {@code expire_at} already past with 3005, as an expired token. A result connects: its
     * {@code channels} are joined with the requested rooms, its {@code data} is in the connect push.
     */
    private void onConnectAnswer(ConnectRequest request, ProxyAnswer<ConnectResult> answer) {
        if (isClosed()) {
            return;
        }
        if (answer instanceof ProxyAnswer.Disconnect<ConnectResult> d) {
            disconnect(d.code(), d.reason());
        } else if (answer instanceof ProxyAnswer.Error<ConnectResult> e) {
            disconnect(DISCONNECT_SERVER_ERROR, e.message().isEmpty() ? "internal server error" : e.message());
        } else if (answer instanceof ProxyAnswer.Result<ConnectResult> r) {
            ConnectResult result = r.value();
            if (result.user().isEmpty() && !ctx.allowAnonymous()) {
                disconnect(DISCONNECT_INVALID_TOKEN, "invalid token: the connect proxy named no user");
            } else if (result.expired(Instant.now(), ctx.tokens().leeway())) {
                disconnect(DISCONNECT_EXPIRED, "expired");
            } else {
                connected(request, result.identity(), result);
            }
        }
    }

    /**
     * Joins the rooms and answers with the connect push: those the connect proxy gave ({@code proxied}'s
     * {@code channels}: the backend decided, no further check), those the request's {@code subs} names and those
     * of the token's {@code rooms} claim (both checked: {@link #joinable}), up to the per-connection limit.
     */
    private void connected(ConnectRequest request, Identity who, ConnectResult proxied) {
        identity = who;
        authenticated(who);
        String data = proxied == null ? null : proxied.dataJson();
        Map<String, SubRequest> wanted = new LinkedHashMap<>();
        List<String> trusted = proxied == null ? List.of() : proxied.channels();
        for (String room : trusted) {
            wanted.put(room, new SubRequest(false, 0, "", false));
        }
        wanted.putAll(request.subs());
        if (who.allowedRooms() != null) {
            for (String room : who.allowedRooms().stream().sorted().toList()) {
                wanted.putIfAbsent(room, new SubRequest(false, 0, "", false));
            }
        }
        List<String> rooms = new ArrayList<>();
        for (String room : wanted.keySet()) {
            if (rooms.size() >= config.maxSubscriptionsPerConnection()) {
                log.debug("[{}] {} skips {}: at the limit of {} rooms", channel.id(), transport.tag, room,
                        config.maxSubscriptionsPerConnection());
                continue;
            }
            if (trusted.contains(room) || joinable(room)) {
                rooms.add(room);
            }
        }
        RoomJoin.Outcome[] outcomes = new RoomJoin.Outcome[rooms.size()];
        int[] left = {rooms.size()};
        if (rooms.isEmpty()) {
            finishConnect(rooms, outcomes, data);
            return;
        }
        for (int i = 0; i < rooms.size(); i++) {
            String room = rooms.get(i);
            SubRequest s = wanted.get(room);
            int at = i;
            RoomSubscription sub = RoomJoin.join(ctx, shard, this, room, s.recover(), s.recover() ? s.offset() : -1,
                    s.epoch(), outcome -> {
                        outcomes[at] = outcome;
                        if (--left[0] == 0 && !isClosed()) {
                            finishConnect(rooms, outcomes, data);
                        }
                    });
            sub.joinLeave(s.joinLeave()); // pushed only in rooms of gateway.join-leave.rooms
            subs.put(room, sub);
        }
    }

    /**
     * The rooms a uni connection may join at connect: a valid id, allowed by the token's {@code rooms} claim and
     * a user-limited room's list; never a private room (it needs a subscription token, which this transport has no
     * place for).
     */
    private boolean joinable(String room) {
        boolean ok = RoomId.isValid(room) && identity.mayJoin(room)
                && RoomId.admits(room, identity.anonymous() ? null : identity.user().id())
                && !config.privateRooms().isPrivate(room);
        if (!ok) {
            log.debug("[{}] {} skips room {}: not allowed", channel.id(), transport.tag, room);
        }
        return ok;
    }

    /** The connect push, once every room's position is known; {@code data}: the connect proxy's, or null. */
    private void finishConnect(List<String> rooms, RoomJoin.Outcome[] outcomes, String data) {
        connected = true;
        List<RoomSubscription.Recovery> rests = new ArrayList<>(outcomes.length);
        for (RoomJoin.Outcome o : outcomes) {
            rests.add(o.subscription().completeRecovery(o.position()));
        }
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode r = root.putObject("connect");
        r.put("client", clientId);
        r.put("version", GatewayContext.VERSION);
        if (data != null) {
            r.putRawValue("data", new RawValue(data));
        }
        if (!rooms.isEmpty()) {
            ObjectNode subsNode = r.putObject("subs");
            for (int i = 0; i < outcomes.length; i++) {
                RoomJoin.Outcome o = outcomes[i];
                subscribeResult(subsNode.putObject(o.subscription().room()), o, rests.get(i).overflowed());
            }
        }
        r.put("ping", Math.max(1, config.pingInterval().toSeconds()));
        r.put("session", clientId);
        send(root);
        for (int i = 0; i < outcomes.length; i++) {
            List<RoomRecord> newer = rests.get(i).newer();
            if (!newer.isEmpty()) {
                channel.writeAndFlush(encoder().encode(channel.alloc(), outcomes[i].subscription().room(), newer),
                        channel.voidPromise());
            }
        }
        startTicks();
    }

    /** A room's subscribe result; {@code overflowed}: batches were lost while the answer was being made. */
    private static void subscribeResult(ObjectNode r, RoomJoin.Outcome o, boolean overflowed) {
        CentrifugeJsonCodec.subscribeResult(r, new CentrifugeReply.SubscribeResult(o.epoch(), o.position(),
                o.wasRecovering(), o.recovered() && !overflowed, o.publications(), 0));
    }

    // ---- server-side subscribe / unsubscribe ------------------------------------------------------------------

    @Override
    protected void serverSubscribe(String room) {
        if (!connected || subs.containsKey(room) || subs.size() >= config.maxSubscriptionsPerConnection()) {
            return;
        }
        subs.put(room, RoomJoin.join(ctx, shard, this, room, false, -1, "", o -> {
            if (isClosed()) {
                return;
            }
            RoomSubscription.Recovery rest = o.subscription().completeRecovery(o.position());
            ObjectNode root = Json.MAPPER.createObjectNode();
            root.put("channel", room);
            subscribeResult(root.putObject("subscribe"), o, false);
            send(root);
            if (!rest.newer().isEmpty()) {
                channel.writeAndFlush(encoder().encode(channel.alloc(), room, rest.newer()), channel.voidPromise());
            }
        }));
    }

    @Override
    protected void serverUnsubscribe(String room) {
        RoomSubscription left = subs.remove(room);
        if (left == null) {
            return;
        }
        shard.leave(left);
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("channel", room);
        root.putObject("unsubscribe").put("code", CentrifugeHandler.UNSUBSCRIBE_SERVER)
                .put("reason", "server unsubscribe");
        send(root);
    }

    // ---- pings, output, closing ---------------------------------------------------------------------------------

    @Override
    protected void onTick(long now) {
        if (!connected) {
            return;
        }
        if (channel.isWritable()) {
            channel.writeAndFlush(transport.encoder.frame(channel.alloc(), PING), channel.voidPromise());
        } else {
            onSkippedBatch(now);
        }
    }

    /**
     * Fell further behind than the room's ring holds while the stream was not writable: a reader cannot resubscribe
     * on its own stream, so, as for a server-side subscription on WebSocket, the stream ends with the disconnect push
     * 3010 "insufficient state" and the reader reconnects with its offset and epoch, recovering from history.
     */
    @Override
    public void onFellBehind(RoomSubscription sub) {
        disconnect(InsufficientState.DISCONNECT_CODE, InsufficientState.REASON);
    }

    /** The disconnect push, then the end of the response, then the connection closes. */
    @Override
    protected void writeClose(int code, String reason) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.putObject("disconnect").put("code", code).put("reason", reason);
        send(root);
        channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * A join or leave of a room this reader asked them for ({@code join_leave} in its {@code subs}), as the push
     * {@code {"channel":…,"join":{"info":{"user","client","conn_info"}}}} (or {@code "leave"}); dropped when the
     * stream is not writable.
     */
    @Override
    public void pushJoinLeave(JoinLeaveEvent e) {
        if (isClosed() || !channel.isWritable()) {
            return;
        }
        PresenceMember info = new PresenceMember(e.clientId(), e.userId(), e.connInfo());
        CentrifugeReply push = e.join() ? new CentrifugeReply.JoinPush(e.room(), info)
                : new CentrifugeReply.LeavePush(e.room(), info);
        send((ObjectNode) CentrifugeJsonCodec.tree(push).get("push")); // the bare push, as uni streams carry them
    }

    private void send(ObjectNode push) {
        if (!channel.isActive()) {
            return;
        }
        byte[] bytes;
        try {
            bytes = Json.MAPPER.writeValueAsBytes(push);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode push", e);
        }
        channel.writeAndFlush(transport.encoder.frame(channel.alloc(), bytes), channel.voidPromise());
    }
}
