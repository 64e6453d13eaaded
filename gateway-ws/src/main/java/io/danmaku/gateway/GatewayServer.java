package io.danmaku.gateway;

import static java.util.Objects.requireNonNull;

import io.danmaku.gateway.auth.DemoTokenIssuer;
import io.danmaku.gateway.auth.TokenVerifier;
import io.danmaku.gateway.pipeline.HttpRouterHandler;
import io.danmaku.gateway.protocol.centrifuge.JoinLeaveRelay;
import io.danmaku.gateway.protocol.centrifuge.UniSession;
import io.danmaku.gateway.pipeline.ConnectionAdmission;
import io.danmaku.gateway.pipeline.GatewayInitializer;
import io.danmaku.gateway.pipeline.StaticFiles;
import io.danmaku.gateway.room.FanoutDispatcher;
import io.danmaku.gateway.room.FanoutMetrics;
import io.danmaku.gateway.room.RoomRegistry;
import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.gateway.session.UserConnections;
import io.danmaku.gateway.tls.ReloadingSslContext;
import io.danmaku.protocol.api.HttpApi;
import io.danmaku.protocol.bus.BusSubscription;
import io.danmaku.protocol.bus.MessageBus;
import io.danmaku.protocol.post.PostService;
import io.danmaku.protocol.store.ControlListener;
import io.danmaku.protocol.store.ControlMessage;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.store.JoinLeaveEvent;
import io.danmaku.protocol.store.StoreSubscription;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway role: binds the port, subscribes to the stream of every room and to the hot store's disconnect
 * requests ({@link io.danmaku.gateway.session.UserConnections}), reports online counts, and on
 * {@link #close()} drains (stops accepting, closes connections with 1001 spread over the drain window so
 * clients reconnect elsewhere in a trickle, then stops).
 */
public final class GatewayServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);
    /** An empty room's recent ring is kept this long for members that reconnect. */
    static final Duration ROOM_RETENTION = Duration.ofMinutes(2);
    /** The protocols served (the {@code protocol} tag of the per-protocol fan-out meters). */
    static final List<String> PROTOCOLS = List.of("centrifuge", "bilibili");

    private final GatewayConfig config;
    private final MessageBus bus;
    private final HotStore hotStore;
    private final String nodeId;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup ioGroup;
    private final RoomRegistry rooms;
    private final GatewayContext context;
    private final JoinLeaveRelay joinLeave;
    private final ChannelGroup connections = new DefaultChannelGroup("connections", GlobalEventExecutor.INSTANCE);
    private final HttpRouterHandler router;
    private final boolean epoll;
    private final ReloadingSslContext tls;
    private Channel serverChannel;
    private BusSubscription feed;
    private StoreSubscription control;
    private io.netty.util.concurrent.ScheduledFuture<?> reporter;
    private io.netty.util.concurrent.ScheduledFuture<?> sweeper;
    private Map<String, Integer> lastReported = Map.of();
    /** Room → membership version of the last presence report the store took; touched by the reporter only. */
    private final Map<String, Long> presenceVersions = new HashMap<>();
    private long presenceReports;
    private boolean presenceInFlight;
    private volatile boolean closed;

    /**
     * @param api the server API to serve under {@code /api/} on this port (standalone), or null
     * @param demoTokens issuer for {@code POST /demo/token}, or null to disable it
     */
    public GatewayServer(GatewayConfig config, String nodeId, MessageBus bus, HotStore hotStore, PostService posts,
                         TokenVerifier tokens, boolean allowAnonymous, HttpApi api, DemoTokenIssuer demoTokens,
                         MeterRegistry meters) {
        this.config = requireNonNull(config, "config");
        this.nodeId = requireNonNull(nodeId, "nodeId");
        this.bus = requireNonNull(bus, "bus");
        this.hotStore = requireNonNull(hotStore, "hotStore");
        this.tls = config.tls() == null ? null : ReloadingSslContext.open(config.tls(), meters);
        this.epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.bossGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("gateway-accept", true), io);
        this.ioGroup = new MultiThreadIoEventLoopGroup(config.effectiveIoThreads(),
                new DefaultThreadFactory("gateway-io", true), io);
        this.rooms = new RoomRegistry(ioGroup, config.batchPolicy(), config.ringSize(), new FanoutMetrics(meters, PROTOCOLS),
                config.compression(), config.sampling());
        this.context = new GatewayContext(config, rooms, bus, hotStore, posts, tokens, allowAnonymous, meters);
        this.joinLeave = new JoinLeaveRelay(config.joinLeave(), rooms, hotStore, meters);
        if (!config.joinLeave().isEmpty()) {
            rooms.joinLeaveHook(joinLeave);
        }
        this.router = new HttpRouterHandler(context, api, demoTokens, new StaticFiles());
    }

    /** Subscribes to the bus and binds the port; returns once accepting. */
    public GatewayServer start() throws InterruptedException {
        feed = bus.subscribeAll(new FanoutDispatcher(rooms));
        control = hotStore.subscribeControl(new ControlListener() {
            @Override
            public void control(ControlMessage message) {
                if (message instanceof JoinLeaveEvent e) {
                    joinLeave.deliver(e); // about a room: to its members here
                } else {
                    context.users().control(message);
                }
            }

            @Override
            public void subscribed() {
                context.users().subscribed();
            }
        });
        Class<? extends ServerChannel> channelClass = epoll ? EpollServerSocketChannel.class
                : NioServerSocketChannel.class;
        ServerBootstrap b = new ServerBootstrap()
                .group(bossGroup, ioGroup)
                .channel(channelClass)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(config.writeBufferLowBytes(), config.writeBufferHighBytes()))
                .childHandler(new GatewayInitializer(context, router, connections, new ConnectionAdmission(config),
                        tls));
        serverChannel = b.bind(new InetSocketAddress(config.host(), config.port())).sync().channel();
        long reportNanos = config.onlineReportInterval().toNanos();
        reporter = bossGroup.next().scheduleAtFixedRate(this::reportOnline, reportNanos, reportNanos,
                TimeUnit.NANOSECONDS);
        sweeper = bossGroup.next().scheduleAtFixedRate(() -> rooms.sweep(ROOM_RETENTION.toNanos()), 30, 30,
                TimeUnit.SECONDS);
        log.info("gateway {} listening on {} ({}, {} event loops, {} transport, batch window {}-{} ms)", nodeId,
                serverChannel.localAddress(), tls == null ? "plain ws" : "TLS, wss", config.effectiveIoThreads(),
                epoll ? "epoll" : "nio",
                config.batchWindow().toMillis(), Math.max(config.batchWindow().toMillis(),
                        config.batchMaxWindow().toMillis()));
        return this;
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public RoomRegistry rooms() {
        return rooms;
    }

    /** The connections of each user on this gateway (those a disconnect request reaches). */
    public UserConnections users() {
        return context.users();
    }

    public int connectionCount() {
        return context.connections().get();
    }

    private void reportOnline() {
        Map<String, Integer> counts = rooms.localCounts();
        Map<String, Integer> report = new HashMap<>(counts);
        for (String room : lastReported.keySet()) {
            report.putIfAbsent(room, 0); // emptied since the last report
        }
        lastReported = counts;
        if (report.isEmpty()) {
            return;
        }
        Duration ttl = config.onlineReportInterval().multipliedBy(3);
        hotStore.reportOnline(nodeId, report, ttl).whenComplete((v, err) -> {
            if (err != null) {
                log.debug("online report failed: {}", err.toString());
            } else {
                rooms.reported(counts);
            }
        });
        reportPresence();
    }

    /**
     * Every report interval, the presence of the rooms whose membership changed since the last report the store
     * took; every {@value #PRESENCE_REFRESH_REPORTS} intervals, of every room (the entries expire after
     * {@value #PRESENCE_TTL_REPORTS} intervals). Only one report is in flight at a time. Runs on the reporter's
     * thread.
     */
    private void reportPresence() {
        if (presenceInFlight) {
            return;
        }
        boolean all = presenceReports++ % PRESENCE_REFRESH_REPORTS == 0;
        presenceInFlight = true;
        Map<String, Long> versions = Map.copyOf(presenceVersions);
        io.netty.util.concurrent.EventExecutor reporterLoop = bossGroup.next();
        rooms.presence(config.presenceMaxMembers(), versions, all)
                .thenCompose(report -> report.rooms().isEmpty()
                        ? java.util.concurrent.CompletableFuture.completedFuture(report)
                        : hotStore.reportPresence(nodeId, report.rooms(),
                                config.onlineReportInterval().multipliedBy(PRESENCE_TTL_REPORTS))
                                .thenApply(v -> report))
                .whenComplete((report, err) -> reporterLoop.execute(() -> {
                    presenceInFlight = false;
                    if (err != null) {
                        log.debug("presence report failed: {}", err.toString());
                        return;
                    }
                    report.versions().forEach((room, version) -> {
                        if (version < 0 || report.rooms().get(room).clients() == 0) {
                            presenceVersions.remove(room);
                        } else {
                            presenceVersions.put(room, version);
                        }
                    });
                }));
    }

    /** A room's presence entry is written again after this many report intervals even when unchanged. */
    static final int PRESENCE_REFRESH_REPORTS = 5;
    /** ... and expires after this many, unless written again. */
    static final int PRESENCE_TTL_REPORTS = 15;

    /**
     * Drains: stops accepting, then closes every connection with 1001 at a random moment within
     * {@code window}, and waits (bounded) for them to go.
     */
    public void drain(Duration window) {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        rooms.flushAll();
        long windowMillis = Math.max(0, window.toMillis());
        for (Channel ch : connections) {
            long delay = windowMillis == 0 ? 0 : ThreadLocalRandom.current().nextLong(windowMillis);
            ch.eventLoop().schedule(() -> {
                if (ch.pipeline().get(HttpRouterHandler.SESSION) instanceof UniSession uni) {
                    uni.disconnect(UniSession.DISCONNECT_SHUTDOWN, "shutdown"); // an HTTP stream has no close frame
                } else if (ch.isActive()) {
                    ch.writeAndFlush(new CloseWebSocketFrame(1001, "server shutting down"))
                            .addListener(f -> ch.close());
                }
            }, delay, TimeUnit.MILLISECONDS);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(windowMillis + 2000);
        while (!connections.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }

    /** Drains with no window (immediate 1001 to everybody) if not drained yet, then stops everything. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (reporter != null) {
            reporter.cancel(false);
            sweeper.cancel(false);
        }
        if (serverChannel != null && serverChannel.isOpen()) {
            drain(Duration.ZERO);
        }
        if (feed != null) {
            feed.close();
        }
        if (tls != null) {
            tls.close();
        }
        if (control != null) {
            control.close();
        }
        context.backend().close();
        ioGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        log.info("gateway {} stopped", nodeId);
    }
}
