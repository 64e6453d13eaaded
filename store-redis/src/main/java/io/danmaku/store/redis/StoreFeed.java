package io.danmaku.store.redis;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.RoomId;
import io.danmaku.protocol.store.DisconnectListener;
import io.danmaku.protocol.store.DisconnectRequest;
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
 * {@link RedisKeys#DISCONNECTS_CHANNEL}: one pub/sub connection per store, opened when the first listener of
 * either subscribes and subscribed to both, that hands every {@link RestrictionChange} to every restriction
 * listener and every {@link DisconnectRequest} to every disconnect listener.
 *
 * <p>Restriction format ({@link #encode}/{@link #decode}): the UTF-8 bytes of {@code <room>\n<userId>}, the room
 * empty for a ban or unban. Room ids never contain a line feed, so the first one ends the room and the user id
 * (any characters, line feeds included) is the rest. A message that does not parse resets the listeners.
 * Disconnect format ({@link #encodeDisconnect}/{@link #decodeDisconnect}): {@code <clientId>\n<userId>}, the
 * client id empty for every connection of the user (client ids never contain a line feed); one that does not
 * parse is dropped with a WARN.
 *
 * <p>Missed changes: Redis pub/sub keeps nothing for a disconnected subscriber. Lettuce reconnects on its own and
 * subscribes again; every confirmation of the restriction channel ({@code subscribed}) resets every restriction
 * listener, so caches filled while the connection was down are dropped; a confirmation of the disconnect channel
 * tells the disconnect listeners ({@link DisconnectListener#subscribed}); requests published meanwhile are lost. A listener added while the subscription is confirmed is reset
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
    private final CopyOnWriteArrayList<DisconnectListener> disconnectListeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private StatefulRedisPubSubConnection<String, byte[]> connection; // guarded by lock
    private boolean started; // guarded by lock
    private volatile boolean closed;
    /** True from a confirmation of the restriction channel until the connection drops. */
    private volatile boolean live;
    /** True from a confirmation of the disconnect channel until the connection drops. */
    private volatile boolean disconnectsLive;

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

    StoreSubscription subscribeDisconnects(DisconnectListener listener) {
        requireNonNull(listener, "listener");
        if (closed) {
            throw new IllegalStateException("redis hot store closed");
        }
        disconnectListeners.add(listener);
        if (disconnectsLive) {
            listener.subscribed();
        }
        start();
        return () -> disconnectListeners.remove(listener);
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
                    disconnectsLive = false;
                }
            });
            subscribe(c);
        });
    }

    private void subscribe(StatefulRedisPubSubConnection<String, byte[]> c) {
        if (closed) {
            return;
        }
        c.async().subscribe(RedisKeys.RESTRICTIONS_CHANNEL, RedisKeys.DISCONNECTS_CHANNEL)
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
        disconnectsLive = false;
        listeners.clear();
        disconnectListeners.clear();
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
            } else if (RedisKeys.DISCONNECTS_CHANNEL.equals(channel)) {
                disconnectsLive = true;
                for (DisconnectListener l : disconnectListeners) {
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
            if (RedisKeys.DISCONNECTS_CHANNEL.equals(channel)) {
                disconnect(message);
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

    private void disconnect(byte[] message) {
        DisconnectRequest request = decodeDisconnect(message);
        if (request == null) {
            log.warn("Unreadable message on {} ({} bytes): dropped", RedisKeys.DISCONNECTS_CHANNEL, message.length);
            return;
        }
        for (DisconnectListener l : disconnectListeners) {
            try {
                l.disconnect(request);
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

    static byte[] encodeDisconnect(DisconnectRequest request) {
        String client = request.clientId() == null ? "" : request.clientId();
        return (client + '\n' + request.userId()).getBytes(StandardCharsets.UTF_8);
    }

    /** The request, or null when {@code message} is not in the format of {@link #encodeDisconnect}. */
    static DisconnectRequest decodeDisconnect(byte[] message) {
        String text = new String(message, StandardCharsets.UTF_8);
        int separator = text.indexOf('\n');
        if (separator < 0 || separator == text.length() - 1
                || separator > DisconnectRequest.MAX_CLIENT_ID_LENGTH) {
            return null;
        }
        return new DisconnectRequest(text.substring(separator + 1),
                separator == 0 ? null : text.substring(0, separator));
    }
}
