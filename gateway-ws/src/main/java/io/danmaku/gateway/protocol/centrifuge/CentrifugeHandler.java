package io.danmaku.gateway.protocol.centrifuge;

import static io.danmaku.gateway.protocol.centrifuge.CentrifugeCodes.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.danmaku.gateway.auth.Identity;
import io.danmaku.gateway.auth.TokenException;
import io.danmaku.gateway.backend.BackendCall;
import io.danmaku.gateway.backend.BackendCalls;
import io.danmaku.gateway.backend.RpcAnswer;
import io.danmaku.gateway.room.BatchEncoder;
import io.danmaku.gateway.room.LoopShard;
import io.danmaku.gateway.room.RingSnapshot;
import io.danmaku.gateway.room.RoomSubscription;
import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.gateway.session.WebSocketSession;
import io.danmaku.protocol.RoomId;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.trace.TraceId;
import io.danmaku.protocol.trace.TraceMdc;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.store.HistoryPage;
import io.danmaku.protocol.store.HistoryQuery;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Centrifugo-protocol (v2, JSON) connection: the session state machine, its rooms and its pings. Lives on
 * the connection's event loop; asynchronous results (posts, history, counts) are handed back to it.
 *
 * <p>Failure handling, one path each: a malformed command (not JSON, not an object, a command before
 * connect) closes with 3501; an invalid token closes with 3500; an expired token is error 109; a frame over the
 * size limit closes with 1009 (the frame decoder or aggregator); a binary frame closes with 1003; a missing
 * pong closes with 3012; a connection that stays unwritable closes with 3008; a text message that is not UTF-8
 * closes with 1007. Errors about one command (bad field, unknown method, rejected post) are error replies and
 * the connection stays.
 *
 * <p>Kept small because a gateway holds many idle connections: the one room most connections join is a field
 * (a map exists only from a second room on), and pings come from the event loop's shared ping wheel.
 */
public final class CentrifugeHandler extends WebSocketSession {
    static final String PROTOCOL = "centrifuge";
    private static final Logger log = LoggerFactory.getLogger(CentrifugeHandler.class);
    private static final byte[] PING = "{}".getBytes(StandardCharsets.US_ASCII);

    private enum State { CONNECTING, CONNECTED }

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
    /** This connection's rpc and send calls to the backend; null until the first. */
    private BackendCalls backendCalls;

    public CentrifugeHandler(GatewayContext ctx) {
        super(ctx, PROTOCOL, DISCONNECT_SLOW, WebSocketCloseStatus.INTERNAL_SERVER_ERROR.code(), DISCONNECT_EXPIRED,
                DISCONNECT_FORCE_NO_RECONNECT);
    }

    // ---- lifecycle ------------------------------------------------------------------------------------------

    @Override
    protected void onOpen() {
        lastInboundNanos = System.nanoTime();
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
        if (connectTimeout != null) {
            connectTimeout.cancel(false);
            connectTimeout = null;
        }
    }

    // ---- inbound --------------------------------------------------------------------------------------------

    @Override
    protected void onDataFrame(ChannelHandlerContext c, WebSocketFrame frame) {
        lastInboundNanos = System.nanoTime();
        if (frame instanceof TextWebSocketFrame text) {
            if (!ByteBufUtil.isText(text.content(), StandardCharsets.UTF_8)) {
                ctx.countProtocolError(PROTOCOL, "invalid_utf8");
                disconnect(WebSocketCloseStatus.INVALID_PAYLOAD_DATA.code(), "invalid UTF-8 in a text message");
                return;
            }
            onText(text.text());
        } else {
            ctx.countProtocolError(PROTOCOL, "binary_frame");
            disconnect(WebSocketCloseStatus.INVALID_MESSAGE_TYPE.code(),
                    "binary frames are not supported: this endpoint speaks JSON");
        }
    }

    private void onText(String text) {
        int start = 0;
        int len = text.length();
        while (start <= len && !isClosed()) {
            int nl = text.indexOf('\n', start);
            int end = nl < 0 ? len : nl;
            String line = text.substring(start, end).strip();
            if (!line.isEmpty()) {
                JsonNode node;
                try {
                    node = Json.MAPPER.readTree(line);
                } catch (IOException e) {
                    ctx.countProtocolError(PROTOCOL, "malformed_json");
                    disconnect(DISCONNECT_BAD_REQUEST, "bad request: malformed JSON");
                    return;
                }
                if (node == null || !node.isObject()) {
                    ctx.countProtocolError(PROTOCOL, "not_an_object");
                    disconnect(DISCONNECT_BAD_REQUEST, "bad request: a command must be a JSON object");
                    return;
                }
                onCommand((ObjectNode) node);
            }
            if (nl < 0) {
                break;
            }
            start = nl + 1;
        }
    }

    private void onCommand(ObjectNode cmd) {
        JsonNode idNode = cmd.get("id");
        if (idNode != null && !(idNode.isIntegralNumber() && idNode.asLong() >= 0 && idNode.canConvertToLong())) {
            ctx.countProtocolError(PROTOCOL, "bad_id");
            disconnect(DISCONNECT_BAD_REQUEST, "bad request: id (expected: a non-negative integer)");
            return;
        }
        long id = idNode == null ? 0 : idNode.asLong();
        String method = methodOf(cmd);
        if (method == null) {
            if (id == 0 && cmd.size() == 0) {
                return; // an empty command: the pong to our ping
            }
            ctx.countCommand(PROTOCOL, "unknown");
            if (state == State.CONNECTING) {
                disconnect(DISCONNECT_BAD_REQUEST, "bad request: connect first");
            } else {
                replyError(id, ERROR_METHOD_NOT_FOUND, "method not found: " + String.join(",",
                        (Iterable<String>) cmd::fieldNames), false);
            }
            return;
        }
        ctx.countCommand(PROTOCOL, method);
        JsonNode params = cmd.get(method);
        if (!params.isObject()) {
            replyError(id, ERROR_BAD_REQUEST, "bad request: " + method + " (expected: an object)", false);
            return;
        }
        ObjectNode p = (ObjectNode) params;
        if (state == State.CONNECTING && !method.equals("connect")) {
            ctx.countProtocolError(PROTOCOL, "not_connected");
            disconnect(DISCONNECT_BAD_REQUEST, "bad request: connect first");
            return;
        }
        switch (method) {
            case "connect" -> onConnect(id, p);
            case "subscribe" -> onSubscribe(id, p);
            case "unsubscribe" -> onUnsubscribe(id, p);
            case "publish" -> onPublish(id, p);
            case "history" -> onHistory(id, p);
            case "presence_stats" -> onPresenceStats(id, p);
            case "presence" -> onPresence(id, p);
            case "refresh" -> onRefresh(id, p);
            case "rpc" -> backendCalls().rpc(backendCall(), p, answer -> onRpcAnswer(id, answer));
            case "send" -> backendCalls().send(backendCall(), p); // no reply: posted to the backend, if any
            default -> replyError(id, ERROR_METHOD_NOT_FOUND, "method not found: " + method, false);
        }
    }

    /** The "id" of {@link #finishSubscribe} for a server-side subscription: answered by a push, not a reply. */
    private static final long PUSH = -1;
    /** Centrifugo's unsubscribe code for "server unsubscribe". */
    static final int UNSUBSCRIBE_SERVER = 2000;

    private static final String[] METHODS = {"connect", "subscribe", "unsubscribe", "publish", "history",
        "presence_stats", "presence", "refresh", "send", "rpc", "sub_refresh", "ping"};

    private static String methodOf(ObjectNode cmd) {
        for (String m : METHODS) {
            if (cmd.has(m)) {
                return m;
            }
        }
        return null;
    }

    // ---- connect / refresh ------------------------------------------------------------------------------------

    private void onConnect(long id, ObjectNode p) {
        if (state != State.CONNECTING) {
            ctx.countProtocolError(PROTOCOL, "second_connect");
            disconnect(DISCONNECT_BAD_REQUEST, "bad request: already connected");
            return;
        }
        String token = p.path("token").asText("");
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
        identity = who;
        state = State.CONNECTED;
        if (connectTimeout != null) {
            connectTimeout.cancel(false);
            connectTimeout = null;
        }
        UUID client = UUID.randomUUID();
        clientIdHigh = client.getMostSignificantBits();
        clientIdLow = client.getLeastSignificantBits();
        startTicks();
        authenticated(who);
        ObjectNode root = root(id);
        ObjectNode r = root.putObject("connect");
        r.put("client", client.toString());
        r.put("version", GatewayContext.VERSION);
        r.put("ping", Math.max(1, config.pingInterval().toSeconds()));
        r.put("pong", true);
        send(root);
    }

    private void onRefresh(long id, ObjectNode p) {
        try {
            Identity who = ctx.tokens().verify(p.path("token").asText(""));
            if (identity.anonymous() || !who.user().id().equals(identity.user().id())) {
                replyError(id, ERROR_PERMISSION_DENIED, "permission denied: refresh must keep the same user", false);
                return;
            }
            identity = who;
            authenticated(who);
            ObjectNode root = root(id);
            ObjectNode r = root.putObject("refresh");
            r.put("client", "");
            r.put("version", GatewayContext.VERSION);
            send(root);
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

    private void onSubscribe(long id, ObjectNode p) {
        String room = p.path("channel").asText(null);
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
        if (config.privateRooms().isPrivate(room)
                && !subscriptionTokenAccepted(id, room, p.path("token").asText(""))) {
            return;
        }
        if (subscriptionCount() >= config.maxSubscriptionsPerConnection()) {
            replyError(id, ERROR_LIMIT_EXCEEDED, "limit exceeded: at most "
                    + config.maxSubscriptionsPerConnection() + " rooms per connection", false);
            return;
        }
        boolean recover = p.path("recover").asBoolean(false);
        long since = recover ? p.path("offset").asLong(0) : -1;
        String clientEpoch = p.path("epoch").asText("");
        if (recover && since < 0) {
            replyError(id, ERROR_BAD_REQUEST, "bad request: subscribe.offset (expected: >= 0)", false);
            return;
        }
        LoopShard.Joined joined = shard.join(this, room, true, Math.max(since, 0));
        RoomSubscription sub = joined.subscription();
        sub.joinLeave(p.path("join_leave").asBoolean(false)); // pushed only in rooms of gateway.join-leave.rooms
        addSubscription(sub);
        RingSnapshot ring = joined.ring();
        String epoch = ctx.bus().epoch(room);
        if (recover && ring.covers(since, clientEpoch)) {
            finishSubscribe(id, sub, epoch, Math.max(ring.top(), since), true, true, ring.after());
        } else if (!recover && !ring.empty() && ring.epoch().equals(epoch)) {
            finishSubscribe(id, sub, epoch, ring.top(), false, false, List.of());
        } else {
            // the hot store knows older history (and the position of rooms this gateway has not seen)
            HistoryQuery q = recover ? HistoryQuery.after(room, since, HistoryQuery.MAX_LIMIT)
                    : HistoryQuery.position(room);
            ctx.hotStore().history(q).whenComplete((page, err) -> channel.eventLoop().execute(() -> {
                if (sub.closed()) {
                    return;
                }
                if (err != null) {
                    log.debug("[{}] history for {} failed: {}", channel.id(), room, err.toString());
                    if (recover) {
                        // position unknown: the client keeps its position and learns it was not recovered
                        finishSubscribe(id, sub, epoch, Math.max(since, ring.top()), true, false, ring.after());
                    } else {
                        finishSubscribe(id, sub, epoch, Math.max(0, ring.top()), false, false, List.of());
                    }
                    return;
                }
                if (!recover) {
                    long top = page.epoch().equals(epoch) ? page.topOffset() : 0;
                    finishSubscribe(id, sub, epoch, Math.max(top, ring.top()), false, false, List.of());
                    return;
                }
                recoverFromHistory(id, sub, epoch, since, clientEpoch, page, ring);
            }));
        }
    }

    /** Merges stored history and the ring; complete only if the two connect without a gap. */
    private void recoverFromHistory(long id, RoomSubscription sub, String epoch, long since, String clientEpoch,
                                    HistoryPage page, RingSnapshot ring) {
        if (!clientEpoch.equals(epoch)) {
            // another stream incarnation: the client's position means nothing here
            long top = Math.max(page.epoch().equals(epoch) ? page.topOffset() : 0, ring.top());
            finishSubscribe(id, sub, epoch, top, true, false, List.of());
            return;
        }
        List<RoomRecord> pubs = new ArrayList<>();
        long last = since;
        boolean complete = page.covers(since, epoch) && page.records().size() < HistoryQuery.MAX_LIMIT;
        if (page.epoch().equals(epoch)) {
            for (RoomRecord r : page.records()) {
                if (r.offset() > last) {
                    pubs.add(r);
                    last = r.offset();
                }
            }
        }
        if (!ring.empty()) {
            if (!ring.covers(last, epoch)) {
                complete = false; // records between the store's top and the ring's start are not available
            }
            for (RoomRecord r : ring.after()) {
                if (r.offset() > last) {
                    pubs.add(r);
                    last = r.offset();
                }
            }
        }
        finishSubscribe(id, sub, epoch, last, true, complete, pubs);
    }

    private void finishSubscribe(long id, RoomSubscription sub, String epoch, long position, boolean wasRecovering,
                                 boolean recovered, List<RoomRecord> pubs) {
        if (isClosed() || sub.closed()) {
            return;
        }
        long top = pubs.isEmpty() ? Math.max(position, 0) : Math.max(position, pubs.get(pubs.size() - 1).offset());
        RoomSubscription.Recovery rest = sub.completeRecovery(top);
        ObjectNode root;
        ObjectNode r;
        if (id == PUSH) {
            root = Json.MAPPER.createObjectNode();
            ObjectNode push = root.putObject("push");
            push.put("channel", sub.room());
            r = push.putObject("subscribe");
        } else {
            root = root(id);
            r = root.putObject("subscribe");
        }
        r.put("recoverable", true);
        r.put("epoch", epoch);
        r.put("offset", top);
        if (wasRecovering) {
            r.put("was_recovering", true);
            r.put("recovered", recovered && !rest.overflowed());
        }
        if (!pubs.isEmpty()) {
            ArrayNode arr = r.putArray("publications");
            for (RoomRecord rec : pubs) {
                arr.add(publication(rec));
            }
        }
        send(root);
        if (!rest.newer().isEmpty()) {
            channel.writeAndFlush(encoder().encode(channel.alloc(), sub.room(), rest.newer()), channel.voidPromise());
        }
    }

    /**
     * A private room's subscribe needs Centrifugo's subscription token for this user and room; replies the error
     * and returns false when it is missing or invalid (109 when only expired: the SDK fetches a new one).
     */
    private boolean subscriptionTokenAccepted(long id, String room, String token) {
        if (identity.anonymous()) {
            replyError(id, ERROR_PERMISSION_DENIED, "permission denied: room " + room
                    + " is private: connect with a token, then subscribe with a subscription token", false);
            return false;
        }
        if (token.isEmpty()) {
            replyError(id, ERROR_PERMISSION_DENIED, "permission denied: room " + room
                    + " is private: subscribe.token (expected: a subscription token for this user and room)",
                    false);
            return false;
        }
        try {
            ctx.tokens().verifySubscription(token, identity.user().id(), room);
            return true;
        } catch (TokenException e) {
            log.debug("[{}] refused subscription token for {}: {}", channel.id(), room, e.getMessage());
            if (e.temporary()) {
                replyError(id, ERROR_TOKEN_EXPIRED, temporaryTokenMessage(e) + ": the subscription token for room "
                        + room, true);
            } else {
                replyError(id, ERROR_PERMISSION_DENIED, "permission denied: room " + room
                        + " is private and the subscription token is not valid: " + e.getMessage(), false);
            }
            return false;
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
        addSubscription(sub);
        RingSnapshot ring = joined.ring();
        String epoch = ctx.bus().epoch(room);
        if (!ring.empty() && ring.epoch().equals(epoch)) {
            finishSubscribe(PUSH, sub, epoch, ring.top(), false, false, List.of());
            return;
        }
        ctx.hotStore().history(HistoryQuery.position(room)).whenComplete((page, err) -> channel.eventLoop().execute(
                () -> {
                    long top = err == null && page.epoch().equals(epoch) ? page.topOffset() : 0;
                    finishSubscribe(PUSH, sub, epoch, Math.max(top, ring.top()), false, false, List.of());
                }));
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
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode push = root.putObject("push");
        push.put("channel", room);
        push.putObject("unsubscribe").put("code", UNSUBSCRIBE_SERVER).put("reason", "server unsubscribe");
        send(root);
    }

    /** A custom code of the server API's disconnect, or 3503. */
    @Override
    protected int forcedCloseCode(io.danmaku.protocol.store.DisconnectRequest request) {
        return request.code() != 0 ? request.code() : DISCONNECT_FORCE_NO_RECONNECT;
    }

    private void onUnsubscribe(long id, ObjectNode p) {
        String room = p.path("channel").asText("");
        RoomSubscription left = removeSubscription(room);
        if (left != null) {
            shard.leave(left);
        }
        ObjectNode root = root(id);
        root.putObject("unsubscribe");
        send(root);
    }

    // ---- publish ---------------------------------------------------------------------------------------------

    private void onPublish(long id, ObjectNode p) {
        String room = p.path("channel").asText(null);
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
        JsonNode data = p.get("data");
        if (data == null || !data.isObject()) {
            replyError(id, ERROR_BAD_REQUEST, "bad_request: publish.data (expected: an object with text)", false);
            return;
        }
        JsonNode text = data.get("text");
        if (text != null && !text.isNull() && !text.isTextual()) {
            replyError(id, ERROR_BAD_REQUEST, "bad_request: publish.data.text (expected: a string)", false);
            return;
        }
        Integer color = optionalInt(data, "color");
        Integer mode = optionalInt(data, "mode");
        JsonNode clientMsgId = data.get("clientMsgId");
        if (color == BAD || mode == BAD || (clientMsgId != null && !clientMsgId.isNull() && !clientMsgId.isTextual())) {
            String field = color == BAD ? "color" : mode == BAD ? "mode" : "clientMsgId";
            replyError(id, ERROR_BAD_REQUEST, "bad_request: publish.data." + field + " (expected: "
                    + (field.equals("clientMsgId") ? "a string" : "an integer") + ")", false);
            return;
        }
        PostRequest req = new PostRequest(room, identity.user(), text == null || text.isNull() ? null : text.asText(),
                color, mode, clientMsgId == null || clientMsgId.isNull() ? null : clientMsgId.asText(),
                TraceId.random());
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
            ObjectNode root = root(id);
        ObjectNode r = root.putObject("publish");
            send(root);
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

    private void onHistory(long id, ObjectNode p) {
        String room = p.path("channel").asText(null);
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
        int limit = p.path("limit").asInt(0);
        if (limit < 0) {
            limit = HistoryQuery.MAX_LIMIT; // Centrifugo: -1 = as many as allowed
        }
        limit = Math.min(limit, HistoryQuery.MAX_LIMIT);
        boolean reverse = p.path("reverse").asBoolean(false);
        JsonNode sinceNode = p.get("since");
        long since = -1;
        String sinceEpoch = null;
        if (sinceNode != null && sinceNode.isObject()) {
            since = Math.max(0, sinceNode.path("offset").asLong(0));
            sinceEpoch = sinceNode.path("epoch").asText("");
        }
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
            ObjectNode root = root(id);
        ObjectNode r = root.putObject("history");
            ArrayNode arr = r.putArray("publications");
            for (RoomRecord rec : page.records()) {
                arr.add(publication(rec));
            }
            r.put("epoch", page.epoch().isEmpty() ? epoch : page.epoch());
            r.put("offset", page.topOffset());
            send(root);
        }));
    }

    private void onPresenceStats(long id, ObjectNode p) {
        String room = p.path("channel").asText(null);
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
            ObjectNode root = root(id);
        ObjectNode r = root.putObject("presence_stats");
            r.put("num_clients", n);
            r.put("num_users", n);
            send(root);
        }));
    }

    /**
     * The room's members over every gateway, from the hot store's presence (each gateway lists its members of rooms
     * with at most {@code presence.max-members} connections, refreshed every report interval): Centrifugo's
     * {@code {"presence":{"<client>":{"client","user","conn_info"}}}}. A bigger room answers 108. Same access
     * rules as {@code presence_stats}.
     */
    private void onPresence(long id, ObjectNode p) {
        String room = p.path("channel").asText(null);
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
            ObjectNode root = root(id);
            ObjectNode members = root.putObject("presence").putObject("presence");
            for (io.danmaku.protocol.store.PresenceMember m : snapshot.members()) {
                ObjectNode info = members.putObject(m.clientId());
                info.put("client", m.clientId());
                info.put("user", m.userId());
                if (m.connInfo() != null) {
                    info.putRawValue("conn_info", new RawValue(m.connInfo()));
                }
            }
            send(root);
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
        return new BackendCall(clientId(), "websocket", "json", identity.anonymous() ? "" : identity.user().id());
    }

    private void onRpcAnswer(long id, RpcAnswer answer) {
        if (isClosed()) {
            return;
        }
        if (answer instanceof RpcAnswer.Result r) {
            ObjectNode root = root(id);
            ObjectNode rpc = root.putObject("rpc");
            if (r.dataJson() != null) {
                rpc.putRawValue("data", new RawValue(r.dataJson()));
            }
            send(root);
        } else if (answer instanceof RpcAnswer.Error e) {
            replyError(id, e.code(), e.message(), e.temporary());
        } else if (answer instanceof RpcAnswer.Disconnect d) {
            disconnect(d.code(), d.reason());
        }
    }

    // ---- pings, slow consumers -------------------------------------------------------------------------------

    @Override
    protected void onTick(long now) {
        if (state != State.CONNECTED) {
            return;
        }
        long silent = now - lastInboundNanos;
        if (silent > config.pingInterval().toNanos() + config.pongTimeout().toNanos()) {
            disconnect(DISCONNECT_NO_PONG, "no pong");
            return;
        }
        if (channel.isWritable()) {
            channel.writeAndFlush(new TextWebSocketFrame(Unpooled.wrappedBuffer(PING)), channel.voidPromise());
        } else {
            onSkippedBatch(now);
        }
    }

    @Override
    public BatchEncoder encoder() {
        return CentrifugeBatchEncoder.INSTANCE;
    }

    @Override
    protected String clientId() {
        return state == State.CONNECTED ? new UUID(clientIdHigh, clientIdLow).toString() : null;
    }

    // ---- output ----------------------------------------------------------------------------------------------

    private static ObjectNode root(long id) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        if (id != 0) {
            root.put("id", id);
        }
        return root;
    }

    private static ObjectNode publication(RoomRecord rec) {
        ObjectNode pub = Json.MAPPER.createObjectNode();
        pub.putRawValue("data", new RawValue(PublicationJson.dataString(rec)));
        pub.put("offset", rec.offset());
        byte[] tags = PublicationTags.of(rec);
        if (tags.length > 0) {
            pub.putRawValue("tags", new RawValue(new String(tags, 8, tags.length - 8, StandardCharsets.UTF_8)));
        }
        return pub;
    }

    private void replyError(long id, int code, String message, boolean temporary) {
        ObjectNode root = root(id);
        ObjectNode e = root.putObject("error");
        e.put("code", code);
        e.put("message", message);
        if (temporary) {
            e.put("temporary", true);
        }
        send(root);
    }

    private void send(JsonNode root) {
        if (channel == null || !channel.isActive()) {
            return;
        }
        byte[] bytes;
        try {
            bytes = Json.MAPPER.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode reply", e);
        }
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        channel.writeAndFlush(new TextWebSocketFrame(buf), channel.voidPromise());
    }
}
