package io.danmaku.gateway.protocol.centrifuge;

import static io.danmaku.gateway.protocol.centrifuge.CentrifugeCodes.*;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.gateway.auth.Identity;
import io.danmaku.gateway.auth.TokenException;
import io.danmaku.gateway.backend.BackendCall;
import io.danmaku.gateway.backend.BackendCalls;
import io.danmaku.gateway.backend.ConnectCall;
import io.danmaku.gateway.backend.ConnectHeaders;
import io.danmaku.gateway.backend.ConnectResult;
import io.danmaku.gateway.backend.ProxyAnswer;
import io.danmaku.gateway.room.BatchEncoder;
import io.danmaku.gateway.room.LoopShard;
import io.danmaku.gateway.room.RoomSubscription;
import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.gateway.session.WebSocketSession;
import io.danmaku.protocol.RoomId;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.trace.TraceId;
import io.danmaku.protocol.trace.TraceMdc;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.store.HistoryQuery;
import io.danmaku.protocol.store.JoinLeaveEvent;
import io.danmaku.protocol.store.PresenceMember;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Centrifugo-protocol (v2) connection: the command logic, the session state machine, its rooms and its pings,
 * the same for both wire formats. The {@link CentrifugeCodec} (JSON or Protobuf, chosen at the handshake) turns
 * messages into {@link CentrifugeCommand}s and {@link CentrifugeReply}s into frames; this class never sees either
 * format. One method per command ({@code onConnect}, {@code onSubscribe}, …). Lives on the connection's event
 * loop; asynchronous results (posts, history, counts) are handed back to it.
 *
 * <p>Failure handling, one path each: a message the codec cannot decode closes with the code it names (3501 for
 * a malformed command, 1003 for the wrong frame type, 1007 for text that is not UTF-8); a command before connect
 * closes with 3501; an invalid token closes with 3500; an expired token is error 109; a message over the size
 * limit closes with 1009 (the frame decoder or the session); a missing pong closes with 3012; a connection that
 * stays unwritable closes with 3008; a subscription that missed more than the room's ring holds while unwritable
 * gets the unsubscribe push 2500 ({@link InsufficientState}). Errors about one command (bad field, unknown method,
 * rejected post) are error replies and the connection stays. The application backend's proxies
 * ({@code gateway.backend.*}: a connect without a token, publish, rpc, send) answer asynchronously; their failures
 * are error 100, their own errors and disconnects are relayed.
 *
 * <p>Kept small because a gateway holds many idle connections: the one room most connections join is a field
 * (a map exists only from a second room on), and pings come from the event loop's shared ping wheel.
 */
public final class CentrifugeHandler extends WebSocketSession implements CentrifugeCodec.Sink {
    private static final Logger log = LoggerFactory.getLogger(CentrifugeHandler.class);
    /** Centrifugo's unsubscribe code for "server unsubscribe" (final: the SDKs do not subscribe again). */
    static final int UNSUBSCRIBE_SERVER = 2000;
    /** Centrifugo's unsubscribe code for an expired subscription (the SDKs subscribe again with a new token). */
    static final int UNSUBSCRIBE_EXPIRED = 2501;

    /** AUTHENTICATING: the connect proxy has the connect command; nothing else is accepted meanwhile. */
    private enum State { CONNECTING, AUTHENTICATING, CONNECTED }

    /** The first room joined (most connections join one), then any further ones by name; null when none. */
    private RoomSubscription firstSub;
    private Map<String, RoomSubscription> moreSubs;
    private State state = State.CONNECTING;
    private Identity identity;
    private ScheduledFuture<?> connectTimeout;
    private long lastInboundNanos;
    /** The client id of the connect reply, kept as its two halves (a UUID); both 0 before connect. */
    private long clientIdHigh;
    private long clientIdLow;
    private final CentrifugeCodec codec;
    /**
     * When each private room's subscription token expires (epoch ms, leeway included), with
     * {@code gateway.token.expiry=close} only; null while there is none (most connections).
     */
    private Map<String, Long> subscriptionExpiry;
    /** This connection's calls to the backend (connect, publish, rpc, send); null until the first. */
    private BackendCalls backendCalls;

    /** A connection speaking JSON. */
    public CentrifugeHandler(GatewayContext ctx) {
        this(ctx, CentrifugeJsonCodec.INSTANCE);
    }

    /** A connection speaking the wire format of {@code codec}. */
    public CentrifugeHandler(GatewayContext ctx, CentrifugeCodec codec) {
        super(ctx, codec.protocol(), DISCONNECT_SLOW, WebSocketCloseStatus.INTERNAL_SERVER_ERROR.code(),
                DISCONNECT_EXPIRED, DISCONNECT_FORCE_NO_RECONNECT);
        this.codec = codec;
    }

    /** The wire format of this connection. */
    public CentrifugeCodec codec() {
        return codec;
    }

    // ---- lifecycle ------------------------------------------------------------------------------------------

    @Override
    protected void onOpen() {
        lastInboundNanos = System.nanoTime();
        armConnectTimeout();
    }

    /** Closes with 3003 unless a connect succeeds within {@code gateway.connect.timeout} from now. */
    private void armConnectTimeout() {
        connectTimeout = channel.eventLoop().schedule(
                () -> disconnect(DISCONNECT_STALE, "stale: no connect command"),
                config.connectTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    protected void leaveRooms() {
        if (firstSub != null) {
            shard.leave(firstSub);
            firstSub = null;
        }
        if (moreSubs != null) {
            for (RoomSubscription s : moreSubs.values()) {
                shard.leave(s);
            }
            moreSubs = null;
        }
    }

    private RoomSubscription subscription(String room) {
        if (firstSub != null && firstSub.room().equals(room)) {
            return firstSub;
        }
        return moreSubs == null ? null : moreSubs.get(room);
    }

    private int subscriptionCount() {
        return (firstSub == null ? 0 : 1) + (moreSubs == null ? 0 : moreSubs.size());
    }

    private void addSubscription(RoomSubscription s) {
        if (firstSub == null) {
            firstSub = s;
        } else {
            if (moreSubs == null) {
                moreSubs = new HashMap<>();
            }
            moreSubs.put(s.room(), s);
        }
    }

    private RoomSubscription removeSubscription(String room) {
        if (subscriptionExpiry != null && subscriptionExpiry.remove(room) != null && subscriptionExpiry.isEmpty()) {
            subscriptionExpiry = null;
        }
        if (firstSub != null && firstSub.room().equals(room)) {
            RoomSubscription s = firstSub;
            firstSub = null;
            return s;
        }
        if (moreSubs == null) {
            return null;
        }
        RoomSubscription s = moreSubs.remove(room);
        if (moreSubs.isEmpty()) {
            moreSubs = null;
        }
        return s;
    }

    @Override
    protected void cancelTimers() {
        cancelConnectTimeout();
    }

    private void cancelConnectTimeout() {
        if (connectTimeout != null) {
            connectTimeout.cancel(false);
            connectTimeout = null;
        }
    }

    // ---- inbound --------------------------------------------------------------------------------------------

    @Override
    protected void onDataFrame(ChannelHandlerContext c, WebSocketFrame frame) {
        lastInboundNanos = System.nanoTime();
        codec.decode(frame, this);
    }

    /** The codec could not decode the rest of a message: close as it says. */
    @Override
    public void malformed(int closeCode, String kind, String reason) {
        ctx.countProtocolError(codec.protocol(), kind);
        disconnect(closeCode, reason);
    }

    /** One decoded command: runs it; returns whether the connection is still open for the next. */
    @Override
    public boolean command(CentrifugeCommand cmd) {
        if (isClosed()) {
            return false;
        }
        if (cmd instanceof CentrifugeCommand.Pong) {
            return true; // the pong to our ping (any message counts as one: lastInboundNanos)
        }
        ctx.countCommand(codec.protocol(), cmd.method());
        long id = cmd.id();
        if (cmd instanceof CentrifugeCommand.Unknown u) {
            if (state == State.CONNECTING) {
                disconnect(DISCONNECT_BAD_REQUEST, "bad request: connect first");
            } else {
                replyError(id, ERROR_METHOD_NOT_FOUND, "method not found: " + u.what(), false);
            }
        } else if (cmd instanceof CentrifugeCommand.Invalid bad) {
            replyError(id, ERROR_BAD_REQUEST, bad.message(), false);
        } else if (state != State.CONNECTED && !(cmd instanceof CentrifugeCommand.Connect)) {
            ctx.countProtocolError(codec.protocol(), "not_connected");
            disconnect(DISCONNECT_BAD_REQUEST, "bad request: connect first");
        } else if (cmd instanceof CentrifugeCommand.Connect c) {
            onConnect(id, c);
        } else if (cmd instanceof CentrifugeCommand.Subscribe c) {
            onSubscribe(id, c);
        } else if (cmd instanceof CentrifugeCommand.Unsubscribe c) {
            onUnsubscribe(id, c.channel());
        } else if (cmd instanceof CentrifugeCommand.Publish c) {
            onPublish(id, c.channel(), c.data());
        } else if (cmd instanceof CentrifugeCommand.History c) {
            onHistory(id, c);
        } else if (cmd instanceof CentrifugeCommand.PresenceStats c) {
            onPresenceStats(id, c.channel());
        } else if (cmd instanceof CentrifugeCommand.Presence c) {
            onPresence(id, c.channel());
        } else if (cmd instanceof CentrifugeCommand.Refresh c) {
            onRefresh(id, c.token());
        } else if (cmd instanceof CentrifugeCommand.SubRefresh c) {
            onSubRefresh(id, c.channel(), c.token());
        } else if (cmd instanceof CentrifugeCommand.Ping) {
            send(new CentrifugeReply.Ping(id));
        } else if (cmd instanceof CentrifugeCommand.Rpc c) {
            onRpc(id, c);
        } else if (cmd instanceof CentrifugeCommand.Send c) {
            onSend(c);
        } else {
            replyError(id, ERROR_METHOD_NOT_FOUND, "method not found: " + cmd.method(), false);
        }
        return !isClosed();
    }

    /**
     * {@code rpc}: proxied to the application backend ({@code gateway.backend.rpc-url}), answered when it answers;
     * 104 when there is none. The backend takes JSON: data that is not (a Protobuf client's bytes) is error 107.
     */
    private void onRpc(long id, CentrifugeCommand.Rpc rpc) {
        JsonNode data;
        try {
            data = backendData(rpc.data());
        } catch (IOException e) {
            replyError(id, ERROR_BAD_REQUEST, "bad request: rpc.data (expected: JSON)", false);
            return;
        }
        backendCalls().rpc(backendCall(), rpc.rpcMethod(), data, answer -> onRpcAnswer(id, answer));
    }

    /** {@code send}: posted to the application backend ({@code gateway.backend.send-url}), never answered. */
    private void onSend(CentrifugeCommand.Send send) {
        JsonNode data;
        try {
            data = backendData(send.data());
        } catch (IOException e) {
            ctx.backend().countDropped("send", "bad_request");
            return;
        }
        backendCalls().send(backendCall(), data);
    }

    /** A command's data as the backend proxy takes it: JSON, or null when there is none. */
    private static JsonNode backendData(byte[] data) throws IOException {
        return data == null || data.length == 0 ? null : Json.MAPPER.readTree(data);
    }

    private static final long PUSH = CentrifugeReply.Subscribe.PUSH;

    // ---- connect / refresh ------------------------------------------------------------------------------------

    private void onConnect(long id, CentrifugeCommand.Connect c) {
        if (state != State.CONNECTING) {
            ctx.countProtocolError(codec.protocol(), "second_connect");
            disconnect(DISCONNECT_BAD_REQUEST, state == State.CONNECTED ? "bad request: already connected"
                    : "bad request: already connecting");
            return;
        }
        String token = c.token();
        if (token.isEmpty() && ctx.backend().connectEnabled()) {
            connectThroughProxy(id, c);
            return;
        }
        Identity who;
        if (token.isEmpty()) {
            if (!ctx.allowAnonymous()) {
                disconnect(DISCONNECT_INVALID_TOKEN, "invalid token: a token is required");
                return;
            }
            who = Identity.ANONYMOUS;
        } else {
            try {
                who = ctx.tokens().verify(token);
            } catch (TokenException e) {
                if (e.temporary()) {
                    replyError(id, ERROR_TOKEN_EXPIRED, temporaryTokenMessage(e), true);
                } else {
                    log.debug("[{}] refused token: {}", channel.id(), e.getMessage());
                    disconnect(DISCONNECT_INVALID_TOKEN, "invalid token");
                }
                return;
            }
        }
        connected(id, who, UUID.randomUUID(), null);
    }

    /**
     * The connection is {@code who} from now on, with client id {@code client}: the connect reply, then, after a
     * connect proxy's answer ({@code proxied}), its {@code channels} as server-side subscriptions (subscribe
     * pushes, as the server API's subscribe makes them).
     */
    private void connected(long id, Identity who, UUID client, ConnectResult proxied) {
        identity = who;
        state = State.CONNECTED;
        cancelConnectTimeout();
        if (channel.hasAttr(ConnectHeaders.KEY)) {
            channel.attr(ConnectHeaders.KEY).set(null); // needed only until now
        }
        clientIdHigh = client.getMostSignificantBits();
        clientIdLow = client.getLeastSignificantBits();
        startTicks();
        authenticated(who);
        send(new CentrifugeReply.Connect(id, client.toString(), GatewayContext.VERSION,
                Math.max(1, config.pingInterval().toSeconds()), true, proxied == null || proxied.dataJson() == null
                        ? null : proxied.dataJson().getBytes(StandardCharsets.UTF_8)));
        if (proxied != null) {
            for (String room : proxied.channels()) {
                serverSubscribe(room);
            }
        }
    }

    /**
     * A connect without a token, with {@code gateway.backend.connect-url} set: the backend says who the connection
     * is ({@link #onConnectAnswer}). Its {@code data} must be JSON (error 107 otherwise: a Protobuf client's bytes
     * that are not). Until the answer, the backend's timeout bounds the wait and no other command is accepted.
     */
    private void connectThroughProxy(long id, CentrifugeCommand.Connect c) {
        JsonNode data;
        try {
            data = backendData(c.data());
        } catch (IOException e) {
            replyError(id, ERROR_BAD_REQUEST, "bad request: connect.data (expected: JSON)", false);
            return;
        }
        state = State.AUTHENTICATING;
        cancelConnectTimeout();
        UUID client = UUID.randomUUID();
        Map<String, String> headers = channel.hasAttr(ConnectHeaders.KEY) ? channel.attr(ConnectHeaders.KEY).get()
                : null;
        backendCalls().connect(new ConnectCall(client.toString(), "websocket", protocolName(), c.name(),
                c.version(), data, headers), answer -> onConnectAnswer(id, client, answer));
    }

    /**
     * The connect proxy's answer: a result connects (a user, or anonymous when it names none and anonymous
     * connections are allowed, else close 3500); an {@code expire_at} already past (with the token leeway) is
     * error 109, as an expired token is; an error is the connect's error reply (the connection may connect
     * again); a disconnect closes with its code; a failure of the call is error 100 (temporary: the SDKs
     * reconnect with backoff).
     */
    private void onConnectAnswer(long id, UUID client, ProxyAnswer<ConnectResult> answer) {
        if (isClosed()) {
            return;
        }
        if (answer instanceof ProxyAnswer.Disconnect<ConnectResult> d) {
            disconnect(d.code(), d.reason());
        } else if (answer instanceof ProxyAnswer.Error<ConnectResult> e) {
            notConnected(id, e.code(), e.message(), e.temporary());
        } else if (answer instanceof ProxyAnswer.Result<ConnectResult> r) {
            ConnectResult result = r.value();
            if (result.user().isEmpty() && !ctx.allowAnonymous()) {
                disconnect(DISCONNECT_INVALID_TOKEN, "invalid token: the connect proxy named no user and anonymous "
                        + "connections are off");
            } else if (result.expired(Instant.now(), ctx.tokens().leeway())) {
                notConnected(id, ERROR_TOKEN_EXPIRED, "token expired: the connect proxy's expire_at has passed",
                        true);
            } else {
                connected(id, result.identity(), client, result);
            }
        }
    }

    /** The connect failed with an error reply: back to waiting for a connect, for the connect timeout. */
    private void notConnected(long id, int code, String message, boolean temporary) {
        state = State.CONNECTING;
        armConnectTimeout();
        replyError(id, code, message, temporary);
    }

    private void onRefresh(long id, String token) {
        try {
            Identity who = ctx.tokens().verify(token);
            if (identity.anonymous() || !who.user().id().equals(identity.user().id())) {
                replyError(id, ERROR_PERMISSION_DENIED, "permission denied: refresh must keep the same user", false);
                return;
            }
            identity = who;
            authenticated(who);
            send(new CentrifugeReply.Refresh(id, "", GatewayContext.VERSION));
        } catch (TokenException e) {
            replyError(id, e.temporary() ? ERROR_TOKEN_EXPIRED : ERROR_UNAUTHORIZED,
                    e.temporary() ? temporaryTokenMessage(e) : "unauthorized: " + e.getMessage(), e.temporary());
        }
    }

    /** Error 109's text: expired, or signed with a key not fetched yet (the SDK gets a new token either way). */
    private static String temporaryTokenMessage(TokenException e) {
        return e.expired() ? "token expired" : "token not verified yet: its signing key (kid) is being fetched, retry";
    }

    // ---- subscribe / unsubscribe ---------------------------------------------------------------------------

    private void onSubscribe(long id, CentrifugeCommand.Subscribe p) {
        String room = p.channel();
        if (!RoomId.isValid(room)) {
            replyError(id, ERROR_UNKNOWN_CHANNEL, "unknown channel: " + RoomId.describeInvalid(room,
                    "subscribe.channel"), false);
            return;
        }
        if (subscription(room) != null) {
            replyError(id, ERROR_ALREADY_SUBSCRIBED, "already subscribed: " + room, false);
            return;
        }
        if (!identity.mayJoin(room)) {
            replyError(id, ERROR_PERMISSION_DENIED, "permission denied: the token does not allow room " + room,
                    false);
            return;
        }
        if (!userLimitAllowed(id, room)) {
            return;
        }
        Instant subscriptionExpires = null;
        if (config.privateRooms().isPrivate(room)) {
            subscriptionExpires = subscriptionTokenAccepted(id, room, p.token(), "subscribe.token");
            if (subscriptionExpires == null) {
                return;
            }
        }
        if (subscriptionCount() >= config.maxSubscriptionsPerConnection()) {
            replyError(id, ERROR_LIMIT_EXCEEDED, "limit exceeded: at most "
                    + config.maxSubscriptionsPerConnection() + " rooms per connection", false);
            return;
        }
        boolean recover = p.recover();
        long since = recover ? p.offset() : -1;
        String clientEpoch = p.epoch();
        if (recover && since < 0) {
            replyError(id, ERROR_BAD_REQUEST, "bad request: subscribe.offset (expected: >= 0)", false);
            return;
        }
        LoopShard.Joined joined = shard.join(this, room, true, Math.max(since, 0));
        RoomSubscription sub = joined.subscription();
        sub.joinLeave(p.joinLeave()); // pushed only in rooms of gateway.join-leave.rooms
        addSubscription(sub);
        if (subscriptionExpires != null) {
            expireSubscriptionAt(room, subscriptionExpires);
        }
        RoomJoin.resolve(ctx, shard, joined, room, recover, since, clientEpoch, o -> finishSubscribe(id, o));
    }

    /** Answers a subscribe ({@code id}, or {@link #PUSH} for a server-side one) once its position is known. */
    private void finishSubscribe(long id, RoomJoin.Outcome o) {
        RoomSubscription sub = o.subscription();
        if (isClosed() || sub.closed()) {
            return;
        }
        RoomSubscription.Recovery rest = sub.completeRecovery(o.position());
        send(new CentrifugeReply.Subscribe(id, sub.room(), new CentrifugeReply.SubscribeResult(o.epoch(),
                o.position(), o.wasRecovering(), o.recovered() && !rest.overflowed(), o.publications(),
                subscriptionTtlSeconds(sub.room()))));
        if (!rest.newer().isEmpty()) {
            channel.writeAndFlush(encoder().encode(channel.alloc(), sub.room(), rest.newer()), channel.voidPromise());
        }
    }

    /**
     * A private room's subscribe needs Centrifugo's subscription token for this user and room: returns its expiry,
     * or replies the error and returns null when it is missing or invalid (109 when only expired: the SDK fetches a
     * new one).
     */
    private Instant subscriptionTokenAccepted(long id, String room, String token, String field) {
        if (identity.anonymous()) {
            replyError(id, ERROR_PERMISSION_DENIED, "permission denied: room " + room
                    + " is private: connect with a token, then subscribe with a subscription token", false);
            return null;
        }
        if (token.isEmpty()) {
            replyError(id, ERROR_PERMISSION_DENIED, "permission denied: room " + room
                    + " is private: " + field + " (expected: a subscription token for this user and room)",
                    false);
            return null;
        }
        try {
            return ctx.tokens().verifySubscription(token, identity.user().id(), room);
        } catch (TokenException e) {
            log.debug("[{}] refused subscription token for {}: {}", channel.id(), room, e.getMessage());
            if (e.temporary()) {
                replyError(id, ERROR_TOKEN_EXPIRED, temporaryTokenMessage(e) + ": the subscription token for room "
                        + room, true);
            } else {
                replyError(id, ERROR_PERMISSION_DENIED, "permission denied: room " + room
                        + " is private and the subscription token is not valid: " + e.getMessage(), false);
            }
            return null;
        }
    }

    /**
     * {@code sub_refresh}: a new subscription token for a subscribed private room, checked as at subscribe. With
     * {@code gateway.token.expiry=close} it moves the subscription's deadline to the new token's {@code exp} (the
     * reply says {@code expires} and {@code ttl}, and the SDK refreshes again before then); otherwise the reply
     * says the subscription does not expire. A public room needs no token: the reply says it does not expire.
     * Errors: 107 for a bad channel, 103 when not subscribed or the token is missing or not valid, 109 when it
     * expired. The subscription stays in every error case (it ends only at its deadline).
     */
    private void onSubRefresh(long id, String room, String token) {
        if (!RoomId.isValid(room)) {
            replyError(id, ERROR_BAD_REQUEST, "bad request: " + RoomId.describeInvalid(room, "sub_refresh.channel"),
                    false);
            return;
        }
        if (subscription(room) == null) {
            replyError(id, ERROR_PERMISSION_DENIED, "permission denied: not subscribed to room " + room, false);
            return;
        }
        if (!config.privateRooms().isPrivate(room)) {
            send(new CentrifugeReply.SubRefresh(id, false, 0));
            return;
        }
        Instant expires = subscriptionTokenAccepted(id, room, token, "sub_refresh.token");
        if (expires == null) {
            return;
        }
        expireSubscriptionAt(room, expires);
        long ttl = subscriptionTtlSeconds(room);
        send(new CentrifugeReply.SubRefresh(id, ttl > 0, ttl));
    }

    /** With {@code gateway.token.expiry=close}: the subscription to {@code room} ends at {@code exp} + leeway. */
    private void expireSubscriptionAt(String room, Instant exp) {
        if (!config.closeOnTokenExpiry()) {
            return;
        }
        if (subscriptionExpiry == null) {
            subscriptionExpiry = new HashMap<>(2);
        }
        subscriptionExpiry.put(room, Math.max(1, exp.plus(ctx.tokens().leeway()).toEpochMilli()));
    }

    /** Seconds until the subscription to {@code room} expires (at least 1), or 0 when it does not. */
    private long subscriptionTtlSeconds(String room) {
        Long at = subscriptionExpiry == null ? null : subscriptionExpiry.get(room);
        if (at == null) {
            return 0;
        }
        return Math.max(1, (at - System.currentTimeMillis() + 999) / 1000);
    }

    /**
     * Ends the subscriptions whose token expired (checked at each ping tick) with an unsubscribe push, code 2501:
     * the SDK subscribes again, with a new subscription token and its position (it recovers what it missed).
     */
    private void expireSubscriptions(long nowMillis) {
        List<String> expired = null;
        for (Map.Entry<String, Long> e : subscriptionExpiry.entrySet()) {
            if (e.getValue() <= nowMillis) {
                if (expired == null) {
                    expired = new ArrayList<>(2);
                }
                expired.add(e.getKey());
            }
        }
        if (expired == null) {
            return;
        }
        for (String room : expired) {
            RoomSubscription left = removeSubscription(room);
            if (left != null) {
                shard.leave(left);
                send(new CentrifugeReply.UnsubscribePush(room, UNSUBSCRIBE_EXPIRED, "subscription expired"));
            }
        }
    }

    /**
     * Publish, history and online count of a private room: for a connection whose token's {@code rooms} claim
     * names it, or that is subscribed to it (with a subscription token). Replies 103 and returns false otherwise.
     */
    private boolean privateRoomAllowed(long id, String room) {
        if (!config.privateRooms().isPrivate(room) || identity.lists(room) || subscription(room) != null) {
            return true;
        }
        replyError(id, ERROR_PERMISSION_DENIED, "permission denied: room " + room + " is private: subscribe to it "
                + "with a subscription token, or connect with a token whose rooms claim lists it", false);
        return false;
    }

    /**
     * A user-limited room ({@code name#alice,bob}) is only for the users it lists: replies 103 and returns false
     * for anybody else (anonymous connections included).
     */
    private boolean userLimitAllowed(long id, String room) {
        if (RoomId.admits(room, identity.anonymous() ? null : identity.user().id())) {
            return true;
        }
        replyError(id, ERROR_PERMISSION_DENIED, "permission denied: room " + room + " is limited to the users "
                + "listed after its '#'", false);
        return false;
    }

    // ---- server-side subscriptions (the server API's subscribe and unsubscribe) ------------------------------

    /**
     * Joins {@code room} because the server API said so: no token, private-room or user-limit check (the backend
     * decides), but not twice and not beyond the per-connection limit (then nothing happens; logged at DEBUG). The
     * client learns of it by a subscribe push, {@code {"push":{"channel":…,"subscribe":{"recoverable":true,
     * "epoch":…,"offset":…}}}}, and gets the room's publications from then on.
     */
    @Override
    protected void serverSubscribe(String room) {
        if (state != State.CONNECTED || subscription(room) != null) {
            return;
        }
        if (subscriptionCount() >= config.maxSubscriptionsPerConnection()) {
            log.debug("[{}] server-side subscribe to {} ignored: at the limit of {} rooms", channel.id(), room,
                    config.maxSubscriptionsPerConnection());
            return;
        }
        LoopShard.Joined joined = shard.join(this, room, true, 0);
        RoomSubscription sub = joined.subscription();
        sub.markServerSide();
        addSubscription(sub);
        RoomJoin.resolve(ctx, shard, joined, room, false, -1, "", o -> finishSubscribe(PUSH, o));
    }

    /**
     * Leaves {@code room} because the server API said so, with an unsubscribe push
     * {@code {"push":{"channel":…,"unsubscribe":{"code":2000,"reason":"server unsubscribe"}}}} (the SDKs treat
     * code 2000 as final: they do not subscribe again). Nothing happens when not subscribed.
     */
    @Override
    protected void serverUnsubscribe(String room) {
        RoomSubscription left = removeSubscription(room);
        if (left == null) {
            return;
        }
        shard.leave(left);
        send(new CentrifugeReply.UnsubscribePush(room, UNSUBSCRIBE_SERVER, "server unsubscribe"));
    }

    /** A join or leave of a room this connection subscribed to with {@code join_leave}; dropped when unwritable. */
    @Override
    public void pushJoinLeave(JoinLeaveEvent e) {
        if (isClosed() || !channel.isWritable()) {
            return;
        }
        PresenceMember info = new PresenceMember(e.clientId(), e.userId(), e.connInfo());
        send(e.join() ? new CentrifugeReply.JoinPush(e.room(), info) : new CentrifugeReply.LeavePush(e.room(), info));
    }

    /** Fell further behind than the room's ring holds: told, see {@link InsufficientState}. */
    @Override
    public void onFellBehind(RoomSubscription sub) {
        if (InsufficientState.disconnects(sub)) {
            disconnect(InsufficientState.DISCONNECT_CODE, InsufficientState.REASON);
        } else if (removeSubscription(sub.room()) == sub) {
            shard.leave(sub);
            send(new CentrifugeReply.UnsubscribePush(sub.room(), InsufficientState.UNSUBSCRIBE_CODE,
                    InsufficientState.REASON));
        }
    }

    /** A custom code of the server API's disconnect, or 3503. */
    @Override
    protected int forcedCloseCode(io.danmaku.protocol.store.DisconnectRequest request) {
        return request.code() != 0 ? request.code() : DISCONNECT_FORCE_NO_RECONNECT;
    }

    private void onUnsubscribe(long id, String room) {
        RoomSubscription left = removeSubscription(room);
        if (left != null) {
            shard.leave(left);
        }
        send(new CentrifugeReply.Unsubscribe(id));
    }

    // ---- publish ---------------------------------------------------------------------------------------------

    private void onPublish(long id, String room, JsonNode data) {
        if (!RoomId.isValid(room)) {
            replyError(id, ERROR_BAD_REQUEST, "bad request: " + RoomId.describeInvalid(room, "publish.channel"),
                    false);
            return;
        }
        if (identity.anonymous()) {
            replyError(id, ERROR_PERMISSION_DENIED,
                    "permission_denied: posting needs a user: connect with a token", false);
            return;
        }
        if (!identity.mayJoin(room)) {
            replyError(id, ERROR_PERMISSION_DENIED, "permission_denied: the token does not allow room " + room, false);
            return;
        }
        if (!userLimitAllowed(id, room)) {
            return;
        }
        if (!privateRoomAllowed(id, room)) {
            return;
        }
        PostRequest req = postRequest(id, room, data);
        if (req == null) {
            return;
        }
        if (ctx.backend().publishEnabled()) {
            backendCalls().publish(backendCall(), room, data, answer -> onPublishAnswer(id, room, req, answer));
        } else {
            post(id, req);
        }
    }

    /**
     * The publish proxy's answer, in the order of this connection's publishes: a result lets the post go to logic
     * (with the result's {@code data} instead of the client's when it gives one, checked as the client's is:
     * error 107 naming the field when it is not a danmaku post); an error is the publish's error reply; a
     * disconnect closes with its code; a failure of the call is error 100. Nothing is posted but on a result.
     */
    private void onPublishAnswer(long id, String room, PostRequest asSent, ProxyAnswer<JsonNode> answer) {
        if (!isClosed() && !relayedRefusal(id, answer) && answer instanceof ProxyAnswer.Result<JsonNode> r) {
            PostRequest req = r.value() == null ? asSent : postRequest(id, room, r.value());
            if (req != null) {
                post(id, req);
            }
        }
    }

    /**
     * The post a publish's {@code data} makes, checked: null after replying error 107 naming the field when it is
     * not an object with a string {@code text}, integer {@code color}, {@code mode} and {@code progress}, string
     * {@code clientMsgId}.
     */
    private PostRequest postRequest(long id, String room, JsonNode data) {
        if (data == null || !data.isObject()) {
            replyError(id, ERROR_BAD_REQUEST, "bad_request: publish.data (expected: an object with text)", false);
            return null;
        }
        JsonNode text = data.get("text");
        if (text != null && !text.isNull() && !text.isTextual()) {
            replyError(id, ERROR_BAD_REQUEST, "bad_request: publish.data.text (expected: a string)", false);
            return null;
        }
        Integer color = optionalInt(data, "color");
        Integer mode = optionalInt(data, "mode");
        JsonNode clientMsgId = data.get("clientMsgId");
        if (color == BAD || mode == BAD || (clientMsgId != null && !clientMsgId.isNull() && !clientMsgId.isTextual())) {
            String field = color == BAD ? "color" : mode == BAD ? "mode" : "clientMsgId";
            replyError(id, ERROR_BAD_REQUEST, "bad_request: publish.data." + field + " (expected: "
                    + (field.equals("clientMsgId") ? "a string" : "an integer") + ")", false);
            return null;
        }
        JsonNode progress = data.get("progress"); // ms into a video that is not live; logic checks the range
        if (progress != null && !progress.isNull() && (!progress.isIntegralNumber() || !progress.canConvertToLong())) {
            replyError(id, ERROR_BAD_REQUEST, "bad_request: publish.data.progress (expected: an integer)", false);
            return null;
        }
        return new PostRequest(room, identity.user(), text == null || text.isNull() ? null : text.asText(),
                color, mode, clientMsgId == null || clientMsgId.isNull() ? null : clientMsgId.asText(),
                TraceId.random(), progress == null || progress.isNull() ? null : progress.longValue());
    }

    /** Hands a checked post to logic (through the loop's batcher); answered when logic answers. */
    private void post(long id, PostRequest req) {
        String room = req.room();
        if (log.isTraceEnabled()) {
            try (TraceMdc.Scope ignored = TraceMdc.put(req.traceId())) {
                log.trace("[{}] post to room {} from user {}", channel.id(), room, identity.user().id());
            }
        }
        ctx.postCoalescer(channel.eventLoop()).post(req, result -> {
            if (!isClosed()) {
                onPostResult(id, req, result);
            }
        });
    }

    private void onPostResult(long id, PostRequest post, PostResult result) {
        if (result.accepted() ? log.isTraceEnabled() : log.isDebugEnabled()) {
            try (TraceMdc.Scope ignored = TraceMdc.put(post.traceId())) {
                if (result.accepted()) {
                    log.trace("[{}] post accepted: room {} offset {}", channel.id(), result.position().room(),
                            result.position().offset());
                } else {
                    log.debug("[{}] post refused: {}: {} (room {})", channel.id(), result.reason().code(),
                            result.message(), post.room());
                }
            }
        }
        if (result.accepted()) {
            send(new CentrifugeReply.Publish(id));
        } else {
            replyError(id, errorCode(result.reason()), result.reason().code() + ": " + result.message(),
                    result.reason().temporary());
        }
    }

    private static final Integer BAD = Integer.MIN_VALUE;

    private static Integer optionalInt(JsonNode data, String field) {
        JsonNode v = data.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            return BAD;
        }
        return v.intValue();
    }

    // ---- history / presence_stats -----------------------------------------------------------------------------

    private void onHistory(long id, CentrifugeCommand.History p) {
        String room = p.channel();
        if (!RoomId.isValid(room)) {
            replyError(id, ERROR_UNKNOWN_CHANNEL, "unknown channel: " + RoomId.describeInvalid(room,
                    "history.channel"), false);
            return;
        }
        if (!identity.mayJoin(room)) {
            replyError(id, ERROR_PERMISSION_DENIED, "permission denied: the token does not allow room " + room,
                    false);
            return;
        }
        if (!userLimitAllowed(id, room)) {
            return;
        }
        if (!privateRoomAllowed(id, room)) {
            return;
        }
        int limit = p.limit();
        if (limit < 0) {
            limit = HistoryQuery.MAX_LIMIT; // Centrifugo: -1 = as many as allowed
        }
        limit = Math.min(limit, HistoryQuery.MAX_LIMIT);
        boolean reverse = p.reverse();
        long since = p.since() == null ? -1 : p.since().offset();
        String sinceEpoch = p.since() == null ? null : p.since().epoch();
        String epoch = ctx.bus().epoch(room);
        if (sinceEpoch != null && !sinceEpoch.isEmpty() && !sinceEpoch.equals(epoch)) {
            replyError(id, 112, "unrecoverable position: epoch " + sinceEpoch + " is not the room's current epoch",
                    false);
            return;
        }
        HistoryQuery q = new HistoryQuery(room, since, limit, reverse);
        Channel ch = channel;
        ctx.hotStore().history(q).whenComplete((page, err) -> ch.eventLoop().execute(() -> {
            if (isClosed()) {
                return;
            }
            if (err != null) {
                replyError(id, ERROR_NOT_AVAILABLE, "not available: history store unreachable", true);
                return;
            }
            send(new CentrifugeReply.History(id, page.records(), page.epoch().isEmpty() ? epoch : page.epoch(),
                    page.topOffset()));
        }));
    }

    private void onPresenceStats(long id, String room) {
        if (!RoomId.isValid(room)) {
            replyError(id, ERROR_UNKNOWN_CHANNEL, "unknown channel: " + RoomId.describeInvalid(room,
                    "presence_stats.channel"), false);
            return;
        }
        if (!identity.mayJoin(room)) {
            replyError(id, ERROR_PERMISSION_DENIED, "permission denied: the token does not allow room " + room,
                    false);
            return;
        }
        if (!userLimitAllowed(id, room)) {
            return;
        }
        if (!privateRoomAllowed(id, room)) {
            return;
        }
        Channel ch = channel;
        ctx.hotStore().online(room).whenComplete((count, err) -> ch.eventLoop().execute(() -> {
            if (isClosed()) {
                return;
            }
            long n = err != null || count == null ? ctx.rooms().localCount(room) : ctx.rooms().currentTotal(room, count);
            send(new CentrifugeReply.PresenceStats(id, n, n));
        }));
    }

    /**
     * The room's members over every gateway, from the hot store's presence (each gateway lists its members of rooms
     * with at most {@code presence.max-members} connections, refreshed every report interval): Centrifugo's
     * {@code {"presence":{"<client>":{"client","user","conn_info"}}}}. A bigger room answers 108. Same access
     * rules as {@code presence_stats}.
     */
    private void onPresence(long id, String room) {
        if (!RoomId.isValid(room)) {
            replyError(id, ERROR_UNKNOWN_CHANNEL, "unknown channel: " + RoomId.describeInvalid(room,
                    "presence.channel"), false);
            return;
        }
        if (!identity.mayJoin(room)) {
            replyError(id, ERROR_PERMISSION_DENIED, "permission denied: the token does not allow room " + room,
                    false);
            return;
        }
        if (!userLimitAllowed(id, room) || !privateRoomAllowed(id, room)) {
            return;
        }
        int cap = config.presenceMaxMembers();
        Channel ch = channel;
        ctx.hotStore().presence(room).whenComplete((snapshot, err) -> ch.eventLoop().execute(() -> {
            if (isClosed()) {
                return;
            }
            if (err != null) {
                replyError(id, ERROR_NOT_AVAILABLE, "not available: presence store unreachable", true);
                return;
            }
            long clients = ctx.rooms().currentTotal(room, snapshot.clients());
            if (clients > cap) {
                replyError(id, ERROR_NOT_AVAILABLE, "not available: presence lists rooms of at most " + cap
                        + " connections (presence.max-members); room " + room + " has " + clients
                        + ": use presence_stats", false);
                return;
            }
            send(new CentrifugeReply.Presence(id, snapshot.members()));
        }));
    }

    // ---- rpc / send (the application backend, gateway.backend.*) -------------------------------------------------

    private BackendCalls backendCalls() {
        if (backendCalls == null) {
            backendCalls = new BackendCalls(ctx.backend(), channel.eventLoop());
        }
        return backendCalls;
    }

    private BackendCall backendCall() {
        return new BackendCall(clientId(), "websocket", protocolName(),
                identity.anonymous() ? "" : identity.user().id());
    }

    /** The {@code protocol} of backend calls: {@code json} or {@code protobuf}. */
    private String protocolName() {
        return codec instanceof CentrifugeProtobufCodec ? "protobuf" : "json";
    }

    private void onRpcAnswer(long id, ProxyAnswer<String> answer) {
        if (!isClosed() && !relayedRefusal(id, answer) && answer instanceof ProxyAnswer.Result<String> r) {
            send(new CentrifugeReply.Rpc(id, r.value() == null ? new byte[0]
                    : r.value().getBytes(StandardCharsets.UTF_8)));
        }
    }

    /**
     * A backend's error answer (or a failure of the call: 100, or 111 at the bound) is command {@code id}'s error
     * reply, a disconnect answer closes with its code: returns whether {@code answer} was one of them.
     */
    private boolean relayedRefusal(long id, ProxyAnswer<?> answer) {
        if (answer instanceof ProxyAnswer.Disconnect<?> d) {
            disconnect(d.code(), d.reason());
            return true;
        }
        if (answer instanceof ProxyAnswer.Error<?> e) {
            replyError(id, e.code(), e.message(), e.temporary());
            return true;
        }
        return false;
    }

    // ---- pings, slow consumers -------------------------------------------------------------------------------

    @Override
    protected void onTick(long now) {
        if (state != State.CONNECTED) {
            return;
        }
        if (subscriptionExpiry != null) {
            expireSubscriptions(System.currentTimeMillis());
        }
        long silent = now - lastInboundNanos;
        if (silent > config.pingInterval().toNanos() + config.pongTimeout().toNanos()) {
            disconnect(DISCONNECT_NO_PONG, "no pong");
            return;
        }
        if (channel.isWritable()) {
            channel.writeAndFlush(codec.ping(), channel.voidPromise());
        } else {
            onSkippedBatch(now);
        }
    }

    @Override
    public BatchEncoder encoder() {
        return codec.batchEncoder();
    }

    @Override
    protected String clientId() {
        return state == State.CONNECTED ? new UUID(clientIdHigh, clientIdLow).toString() : null;
    }

    // ---- output ----------------------------------------------------------------------------------------------

    private void replyError(long id, int code, String message, boolean temporary) {
        send(new CentrifugeReply.Error(id, code, message, temporary));
    }

    /** Writes {@code reply} in this connection's wire format (nothing once the channel is gone). */
    void send(CentrifugeReply reply) {
        if (channel == null || !channel.isActive()) {
            return;
        }
        channel.writeAndFlush(codec.encode(channel.alloc(), reply), channel.voidPromise());
    }
}
