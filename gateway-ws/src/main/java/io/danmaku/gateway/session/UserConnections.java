package io.danmaku.gateway.session;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.store.ControlListener;
import io.danmaku.protocol.store.ControlMessage;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections of each user on this gateway, so a {@link ControlMessage} from the hot store's feed (disconnect,
 * subscribe, unsubscribe, refresh) reaches them all, whatever their protocol. Only connections with a user are here
 * (the server API addresses users), so the map is bounded by the open connections.
 *
 * <p>Cost model: one map entry per user with a connection, whose value is the session itself (most users have one
 * connection) or, from a second connection on, a small array replaced on each change; a connection holds no
 * object of its own for this. Updates come from the sessions' event loops, requests from a store thread: each
 * matching session acts on the message on its own loop.
 */
public final class UserConnections implements ControlListener {
    private static final Logger log = LoggerFactory.getLogger(UserConnections.class);

    /** user id → a {@link WebSocketSession} or a {@code WebSocketSession[]} of two or more. */
    private final ConcurrentHashMap<String, Object> byUser = new ConcurrentHashMap<>();
    private volatile boolean listening;

    void add(String userId, WebSocketSession session) {
        requireNonNull(session, "session");
        byUser.merge(requireNonNull(userId, "userId"), session, (old, added) -> {
            if (old instanceof WebSocketSession one) {
                return new WebSocketSession[] {one, session};
            }
            WebSocketSession[] many = (WebSocketSession[]) old;
            WebSocketSession[] grown = Arrays.copyOf(many, many.length + 1);
            grown[many.length] = session;
            return grown;
        });
    }

    void remove(String userId, WebSocketSession session) {
        byUser.computeIfPresent(userId, (user, old) -> {
            if (old == session) {
                return null;
            }
            if (old instanceof WebSocketSession) {
                return old;
            }
            WebSocketSession[] many = (WebSocketSession[]) old;
            int at = -1;
            for (int i = 0; i < many.length; i++) {
                if (many[i] == session) {
                    at = i;
                    break;
                }
            }
            if (at < 0) {
                return old;
            }
            if (many.length == 2) {
                return many[1 - at];
            }
            WebSocketSession[] shrunk = new WebSocketSession[many.length - 1];
            System.arraycopy(many, 0, shrunk, 0, at);
            System.arraycopy(many, at + 1, shrunk, at, many.length - at - 1);
            return shrunk;
        });
    }

    /** Users with at least one connection here. */
    public int userCount() {
        return byUser.size();
    }

    /** The connections of {@code userId} here. */
    public int connectionCount(String userId) {
        Object v = byUser.get(userId);
        return v == null ? 0 : v instanceof WebSocketSession ? 1 : ((WebSocketSession[]) v).length;
    }

    /** Hands the message to the matching connections, each on its own event loop; returns at once. */
    @Override
    public void control(ControlMessage request) {
        Object v = byUser.get(request.userId());
        if (v == null) {
            return;
        }
        if (v instanceof WebSocketSession one) {
            deliverLater(one, request);
        } else {
            for (WebSocketSession s : (WebSocketSession[]) v) {
                deliverLater(s, request);
            }
        }
    }

    @Override
    public void subscribed() {
        listening = true;
        log.debug("control messages: subscribed");
    }

    /** True once the subscription to control messages was established (it may be cut and back since). */
    public boolean listening() {
        return listening;
    }

    private static void deliverLater(WebSocketSession s, ControlMessage request) {
        s.channel().eventLoop().execute(() -> s.onControl(request));
    }
}
