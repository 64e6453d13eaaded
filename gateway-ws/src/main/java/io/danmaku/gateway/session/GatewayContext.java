package io.danmaku.gateway.session;

import static java.util.Objects.requireNonNull;

import io.danmaku.gateway.GatewayConfig;
import io.danmaku.gateway.auth.TokenVerifier;
import io.danmaku.gateway.backend.BackendProxy;
import io.danmaku.gateway.room.RoomRegistry;
import io.danmaku.protocol.bus.MessageBus;
import io.danmaku.protocol.post.PostService;
import io.danmaku.protocol.store.HotStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoop;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The collaborators every session of one gateway uses. Immutable after construction; safe from any loop.
 */
public final class GatewayContext {
    public static final String VERSION = "danmaku/0.1.0";

    private final GatewayConfig config;
    private final RoomRegistry rooms;
    private final MessageBus bus;
    private final HotStore hotStore;
    private final PostService posts;
    private final TokenVerifier tokens;
    private final boolean allowAnonymous;
    private final MeterRegistry meters;
    private final AtomicInteger connections = new AtomicInteger();
    private final UserConnections users = new UserConnections();
    private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<EventLoop, PingWheel> pingWheels = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<EventLoop, PostCoalescer> coalescers = new ConcurrentHashMap<>();
    private final DistributionSummary postBatchSize;
    private final BackendProxy backend;

    public GatewayContext(GatewayConfig config, RoomRegistry rooms, MessageBus bus, HotStore hotStore,
                          PostService posts, TokenVerifier tokens, boolean allowAnonymous, MeterRegistry meters) {
        this.config = requireNonNull(config, "config");
        this.rooms = requireNonNull(rooms, "rooms");
        this.bus = requireNonNull(bus, "bus");
        this.hotStore = requireNonNull(hotStore, "hotStore");
        this.posts = requireNonNull(posts, "posts");
        this.tokens = requireNonNull(tokens, "tokens");
        this.allowAnonymous = allowAnonymous;
        this.meters = requireNonNull(meters, "meters");
        this.backend = new BackendProxy(config.backend(), meters);
        this.postBatchSize = DistributionSummary.builder("danmaku.gateway.post.batch.size")
                .description("Posts per batch sent from an event loop to logic")
                .register(meters);
        Gauge.builder("danmaku.gateway.connections", connections, AtomicInteger::get)
                .description("Open client connections: WebSocket and unidirectional streams (uni_sse, uni_http_stream)")
                .register(meters);
        Gauge.builder("danmaku.gateway.rooms", rooms, RoomRegistry::roomCount)
                .description("Rooms with local members or recent messages kept for recovery")
                .register(meters);
    }

    public GatewayConfig config() {
        return config;
    }

    public RoomRegistry rooms() {
        return rooms;
    }

    public MessageBus bus() {
        return bus;
    }

    public HotStore hotStore() {
        return hotStore;
    }

    public PostService posts() {
        return posts;
    }

    public TokenVerifier tokens() {
        return tokens;
    }

    public boolean allowAnonymous() {
        return allowAnonymous;
    }

    /** The application backend that rpc and send go to (one per gateway; it knows whether it is configured). */
    public BackendProxy backend() {
        return backend;
    }

    public AtomicInteger connections() {
        return connections;
    }

    /** The connections of each user on this gateway, for disconnect requests. */
    public UserConnections users() {
        return users;
    }

    /** The batcher of the posts of the sessions on {@code loop} (one per loop), in front of {@link #posts()}. */
    public PostCoalescer postCoalescer(EventLoop loop) {
        return coalescers.computeIfAbsent(loop, l -> new PostCoalescer(l, posts, config.postLinger(),
                config.postMaxBatch(), postBatchSize));
    }

    /** The ping ticks of the sessions on {@code loop} (one wheel per loop, ticking every ping interval). */
    PingWheel pingWheel(EventLoop loop) {
        return pingWheels.computeIfAbsent(loop, l -> new PingWheel(l, config.pingInterval()));
    }

    /** Counts a closed connection by protocol and close code (both bounded sets). */
    public void countDisconnect(String protocol, int code) {
        counter("danmaku.gateway.disconnects", "protocol", protocol, "code", Integer.toString(code)).increment();
    }

    /**
     * Counts a connection turned away before the WebSocket upgrade (or cut for not sending its request in time),
     * by reason: {@code per-ip}, {@code max}, {@code rate}, {@code origin}, {@code handshake-timeout}, {@code proxy-protocol}.
     */
    public void countRefused(String reason) {
        counters.computeIfAbsent("danmaku.gateway.refused|" + reason, k -> Counter.builder("danmaku.gateway.refused")
                .description("Connections refused or cut before the WebSocket upgrade, by reason")
                .tag("reason", reason)
                .register(meters)).increment();
    }

    /** Counts a protocol error by protocol and kind (a fixed vocabulary). */
    public void countProtocolError(String protocol, String kind) {
        counter("danmaku.gateway.protocol.errors", "protocol", protocol, "kind", kind).increment();
    }

    /** Counts a client command by protocol and method (a fixed vocabulary). */
    public void countCommand(String protocol, String method) {
        counter("danmaku.gateway.commands", "protocol", protocol, "method", method).increment();
    }

    private Counter counter(String name, String k1, String v1, String k2, String v2) {
        return counters.computeIfAbsent(name + '|' + v1 + '|' + v2,
                k -> Counter.builder(name).tag(k1, v1).tag(k2, v2).register(meters));
    }
}
