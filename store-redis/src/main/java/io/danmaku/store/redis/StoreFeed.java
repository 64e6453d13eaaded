package io.danmaku.store.redis;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.RoomId;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.store.ControlListener;
import io.danmaku.protocol.store.ControlMessage;
import io.danmaku.protocol.store.DisconnectRequest;
import io.danmaku.protocol.store.JoinLeaveEvent;
import io.danmaku.protocol.store.RefreshRequest;
import io.danmaku.protocol.store.SubscribeRequest;
import io.danmaku.protocol.store.UnsubscribeRequest;
import java.io.IOException;
import io.danmaku.protocol.store.RestrictionChange;
import io.danmaku.protocol.store.RestrictionListener;
import io.danmaku.protocol.store.StoreSubscription;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.netty.util.concurrent.EventExecutorGroup;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's side of its pub/sub channels, {@link RedisKeys#RESTRICTIONS_CHANNEL} and
 * {@link RedisKeys#CONTROL_CHANNEL}: one pub/sub connection per store, opened when the first listener of
 * either subscribes and subscribed to both, that hands every {@link RestrictionChange} to every restriction
 * listener and every {@link ControlMessage} to every control listener.
 *
 * <p>Restriction format ({@link #encode}/{@link #decode}): the UTF-8 bytes of {@code <room>\n<userId>}, the room
 * empty for a ban or unban. Room ids never contain a line feed, so the first one ends the room and the user id
 * (any characters, line feeds included) is the rest. A message that does not parse resets the listeners.
 * Control format ({@link #encodeControl}/{@link #decodeControl}): a JSON object, {@code {"type":"disconnect",
 * "user":…,"client":…,"code":…,"reason":…}}, {@code {"type":"subscribe"|"unsubscribe","user","client","room"}},
 * {@code {"type":"refresh","user","client","expired","expire_at"}} ({@code client} absent for every connection of
 * the user), {@code {"type":"join"|"leave","room","user","client","conn_info"}} (a {@link JoinLeaveEvent}); one that
 * does not parse is dropped with a WARN.
 *
 * <p>Missed changes: Redis pub/sub keeps nothing for a disconnected subscriber. Lettuce reconnects on its own and
 * subscribes again; every confirmation of the restriction channel ({@code subscribed}) resets every restriction
 * listener, so caches filled while the connection was down are dropped; a confirmation of the control channel
 * tells the control listeners ({@link ControlListener#subscribed}); requests published meanwhile are lost. A listener added while the subscription is confirmed is reset
 * at once; one added before, by the first confirmation. A failed connect or {@code SUBSCRIBE} is retried every
 * {@link #RETRY_DELAY} while the feed is open.
 */
final class StoreFeed implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StoreFeed.class);
    static final Duration RETRY_DELAY = Duration.ofSeconds(1);

    private final Supplier<CompletableFuture<StatefulRedisPubSubConnection<String, byte[]>>> connector;
    private final EventExecutorGroup scheduler;
    private final Consumer<Throwable> failures;
    private final CopyOnWriteArrayList<RestrictionListener> listeners = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<ControlListener> controlListeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private StatefulRedisPubSubConnection<String, byte[]> connection; // guarded by lock
    private boolean started; // guarded by lock
    private volatile boolean closed;
    /** True from a confirmation of the restriction channel until the connection drops. */
    private volatile boolean live;
    /** True from a confirmation of the control channel until the connection drops. */
    private volatile boolean controlLive;

    /**
     * @param connector opens the pub/sub connection (single node or cluster)
     * @param scheduler runs the retries (Lettuce's event executors)
     * @param failures counts and logs a failed connect, subscribe or listener
     */
    StoreFeed(Supplier<CompletableFuture<StatefulRedisPubSubConnection<String, byte[]>>> connector,
            EventExecutorGroup scheduler, Consumer<Throwable> failures) {
        this.connector = connector;
        this.scheduler = scheduler;
        this.failures = failures;
    }

    StoreSubscription subscribe(RestrictionListener listener) {
        requireNonNull(listener, "listener");
        if (closed) {
            throw new IllegalStateException("redis hot store closed");
        }
        listeners.add(listener);
        if (live) {
            listener.reset();
        }
        start();
        return () -> listeners.remove(listener);
    }

    StoreSubscription subscribeControl(ControlListener listener) {
        requireNonNull(listener, "listener");
        if (closed) {
            throw new IllegalStateException("redis hot store closed");
        }
        controlListeners.add(listener);
        if (controlLive) {
            listener.subscribed();
        }
        start();
        return () -> controlListeners.remove(listener);
    }

    private void start() {
        boolean start;
        synchronized (lock) {
            start = !started;
            started = true;
        }
        if (start) {
            connect();
        }
    }

    // -------------------------------------------------------------------- connection

    private void connect() {
        if (closed) {
            return;
        }
        CompletableFuture<StatefulRedisPubSubConnection<String, byte[]>> opened;
        try {
            opened = connector.get();
        } catch (RuntimeException e) {
            opened = CompletableFuture.failedFuture(e);
        }
        opened.whenComplete((c, error) -> {
            if (error != null) {
                failures.accept(error);
                retry(this::connect);
                return;
            }
            synchronized (lock) {
                if (!closed) {
                    connection = c;
                }
            }
            if (closed) {
                c.closeAsync();
                return;
            }
            c.addListener(new Messages());
            c.addListener(new RedisConnectionStateListener() {
                @Override
                public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                    live = false;
                    controlLive = false;
                }
            });
            subscribe(c);
        });
    }

    private void subscribe(StatefulRedisPubSubConnection<String, byte[]> c) {
        if (closed) {
            return;
        }
        c.async().subscribe(RedisKeys.RESTRICTIONS_CHANNEL, RedisKeys.CONTROL_CHANNEL)
                .whenComplete((ok, error) -> {
                    if (error != null) {
                        failures.accept(error);
                        retry(() -> subscribe(c));
                    }
                });
    }

    private void retry(Runnable action) {
        if (!closed) {
            scheduler.schedule(action, RETRY_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Closes the pub/sub connection; listeners get nothing more. */
    @Override
    public void close() {
        StatefulRedisPubSubConnection<String, byte[]> c;
        synchronized (lock) {
            closed = true;
            c = connection;
            connection = null;
        }
        live = false;
        controlLive = false;
        listeners.clear();
        controlListeners.clear();
        if (c != null) {
            c.close();
        }
    }

    private final class Messages extends RedisPubSubAdapter<String, byte[]> {
        @Override
        public void subscribed(String channel, long count) {
            if (closed) {
                return;
            }
            if (RedisKeys.RESTRICTIONS_CHANNEL.equals(channel)) {
                live = true;
                resetAll();
            } else if (RedisKeys.CONTROL_CHANNEL.equals(channel)) {
                controlLive = true;
                for (ControlListener l : controlListeners) {
                    try {
                        l.subscribed();
                    } catch (RuntimeException e) {
                        failures.accept(e);
                    }
                }
            }
        }

        @Override
        public void message(String channel, byte[] message) {
            if (closed) {
                return;
            }
            if (RedisKeys.CONTROL_CHANNEL.equals(channel)) {
                control(message);
                return;
            }
            if (!RedisKeys.RESTRICTIONS_CHANNEL.equals(channel)) {
                return;
            }
            RestrictionChange change = decode(message);
            if (change == null) {
                log.warn("Unreadable message on {} ({} bytes): resetting restriction caches",
                        RedisKeys.RESTRICTIONS_CHANNEL, message.length);
                resetAll();
                return;
            }
            for (RestrictionListener l : listeners) {
                try {
                    l.changed(change);
                } catch (RuntimeException e) {
                    failures.accept(e);
                }
            }
        }
    }

    private void control(byte[] message) {
        ControlMessage request = decodeControl(message);
        if (request == null) {
            log.warn("Unreadable message on {} ({} bytes): dropped", RedisKeys.CONTROL_CHANNEL, message.length);
            return;
        }
        for (ControlListener l : controlListeners) {
            try {
                l.control(request);
            } catch (RuntimeException e) {
                failures.accept(e);
            }
        }
    }

    private void resetAll() {
        for (RestrictionListener l : listeners) {
            try {
                l.reset();
            } catch (RuntimeException e) {
                failures.accept(e);
            }
        }
    }

    // -------------------------------------------------------------------- message format

    static byte[] encode(RestrictionChange change) {
        String room = change.room() == null ? "" : change.room();
        return (room + '\n' + change.userId()).getBytes(StandardCharsets.UTF_8);
    }

    /** The change, or null when {@code message} is not in the format of {@link #encode}. */
    static RestrictionChange decode(byte[] message) {
        String text = new String(message, StandardCharsets.UTF_8);
        int separator = text.indexOf('\n');
        if (separator < 0) {
            return null;
        }
        String user = text.substring(separator + 1);
        if (separator == 0) {
            return RestrictionChange.ofUser(user);
        }
        String room = text.substring(0, separator);
        return RoomId.isValid(room) ? RestrictionChange.ofRoom(room, user) : null;
    }

    static byte[] encodeControl(ControlMessage message) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        if (message instanceof DisconnectRequest d) {
            o.put("type", "disconnect");
            if (d.code() != 0) {
                o.put("code", d.code());
            }
            if (d.reason() != null) {
                o.put("reason", d.reason());
            }
        } else if (message instanceof SubscribeRequest r) {
            o.put("type", "subscribe").put("room", r.room());
        } else if (message instanceof UnsubscribeRequest r) {
            o.put("type", "unsubscribe").put("room", r.room());
        } else if (message instanceof RefreshRequest r) {
            o.put("type", "refresh").put("expired", r.expired()).put("expire_at", r.expireAtSeconds());
        } else if (message instanceof JoinLeaveEvent e) {
            o.put("type", e.join() ? "join" : "leave").put("room", e.room());
            if (e.connInfo() != null) {
                try {
                    o.set("conn_info", Json.MAPPER.readTree(e.connInfo()));
                } catch (IOException x) {
                    throw new IllegalArgumentException("connInfo: not JSON", x);
                }
            }
        }
        o.put("user", message.userId());
        if (message.clientId() != null) {
            o.put("client", message.clientId());
        }
        try {
            return Json.MAPPER.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a control message", e);
        }
    }

    /** The message, or null when {@code bytes} is not in the format of {@link #encodeControl}. */
    static ControlMessage decodeControl(byte[] bytes) {
        try {
            JsonNode o = Json.MAPPER.readTree(bytes);
            if (o == null || !o.isObject() || !o.path("user").isTextual()) {
                return null;
            }
            String user = o.get("user").textValue();
            String client = o.path("client").isTextual() ? o.get("client").textValue() : null;
            return switch (o.path("type").asText("")) {
                case "disconnect" -> new DisconnectRequest(user, client, o.path("code").asInt(0),
                        o.path("reason").isTextual() ? o.get("reason").textValue() : null);
                case "subscribe" -> new SubscribeRequest(user, client, o.path("room").asText(""));
                case "unsubscribe" -> new UnsubscribeRequest(user, client, o.path("room").asText(""));
                case "refresh" -> new RefreshRequest(user, client, o.path("expired").asBoolean(false),
                        o.path("expire_at").asLong(0));
                case "join", "leave" -> new JoinLeaveEvent(o.path("room").asText(""), o.get("type").asText()
                        .equals("join"), user, client == null ? "" : client,
                        o.path("conn_info").isObject() ? o.get("conn_info").toString() : null);
                default -> null;
            };
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }
}
