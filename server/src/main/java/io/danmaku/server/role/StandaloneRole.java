package io.danmaku.server.role;

import static java.util.Objects.requireNonNull;

import io.danmaku.gateway.GatewayConfig;
import io.danmaku.gateway.GatewayServer;
import io.danmaku.logic.LogicConfig;
import io.danmaku.logic.LogicService;
import io.danmaku.logic.api.ServerApi;
import io.danmaku.protocol.api.HttpApi;
import io.danmaku.server.http.OpenApiDocument;
import io.danmaku.server.http.RoutingApi;
import io.danmaku.server.http.TokenReadAccess;
import io.danmaku.storage.api.HistoryApi;
import io.danmaku.storage.api.RoomsApi;
import io.danmaku.storage.api.TimelineApi;
import io.danmaku.protocol.bus.MessageBus;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.server.admin.Readiness;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.storage.StorageConfig;
import io.danmaku.storage.ingest.StorageService;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All tiers in one JVM: the embedded default over the in-memory bus and store, no external service (or, when
 * configured, over Kafka and Redis). The same gateway, logic and storage code as the distributed roles; logic
 * is a direct call and its server API is served on the gateway's port.
 *
 * <p>Without a configured token secret (a first run), a random HS256 secret is generated for this process and
 * the demo token endpoint is enabled, so the demo page can post out of the box; a WARN says so ({@link Tokens}).
 */
public final class StandaloneRole implements Role {
    private static final Logger log = LoggerFactory.getLogger(StandaloneRole.class);

    private final Clock clock = Clock.systemUTC();
    private GatewayConfig gatewayConfig;
    private LogicConfig logicConfig;
    private StorageConfig storageConfig;
    private Tokens tokens;
    private MessageBus bus;
    private HotStore store;
    private StorageService storage;
    private GatewayServer gateway;
    private LogicService logic;
    private Duration drainWindow = Duration.ZERO;
    private NodeReporter nodeReporter;

    @Override
    public void prepare(Config config) {
        requireNonNull(config, "config");
        gatewayConfig = TierConfigs.gateway(config);
        logicConfig = TierConfigs.logic(config);
        storageConfig = TierConfigs.storage(config);
        drainWindow = config.getDuration(DanmakuKeys.GATEWAY_DRAIN_WINDOW);
        tokens = Tokens.from(config, true, clock);
        Seams.check(config, "standalone");
    }

    @Override
    public void start(Config config, MeterRegistry registry, Readiness readiness) {
        requireNonNull(registry, "registry");
        if (gatewayConfig == null) {
            prepare(config);
        }
        String nodeId = TierConfigs.nodeId(config);
        store = Seams.store(config, registry, "standalone");
        bus = Seams.bus(config, registry, "standalone");
        readiness.require("bus", bus::reachable);
        storage = new StorageService(storageConfig, bus, store, registry);
        storage.start();
        logic = new LogicService(logicConfig, bus, store, registry, clock);
        TokenReadAccess readers = new TokenReadAccess(tokens.verifier(), logicConfig.apiKey(),
                config.getBoolean(DanmakuKeys.ALLOW_ANONYMOUS), gatewayConfig.privateRooms());
        HistoryApi history = new HistoryApi(store, storage.archiveReader().orElse(null), clock, readers, registry);
        HttpApi api = OpenApiDocument.serving(path -> true, new RoutingApi(HistoryApi.PATH_PREFIX,
                new RoomsApi(history, new TimelineApi(history, store, clock, readers, registry)),
                new ServerApi(logicConfig, logic, registry, config.getInt(DanmakuKeys.PRESENCE_MAX_MEMBERS))));
        GatewayServer server = new GatewayServer(gatewayConfig, nodeId, bus, store, logic,
                tokens.verifier(), config.getBoolean(DanmakuKeys.ALLOW_ANONYMOUS), api, tokens.demoIssuer(), registry);
        gateway = server;
        Listening.bind(DanmakuKeys.GATEWAY_PORT, gatewayConfig.host(), gatewayConfig.port(), server::start);
        nodeReporter = NodeReporter.start(store, nodeId, "standalone", gatewayConfig.onlineReportInterval(),
                () -> new NodeReporter.Stats(server.connectionCount(), server.users().userCount(),
                        server.rooms().localCounts().size()));
        log.info("standalone {} ready: WebSocket, demo page and server API on port {}", nodeId, gateway.port());
    }

    /** The gateway's bound port (useful with {@code gateway.port=0}). */
    public int gatewayPort() {
        return gateway.port();
    }

    @Override
    public void close() {
        Closing.quietly(nodeReporter);
        if (gateway != null) {
            gateway.drain(drainWindow);
            gateway.close();
        }
        if (logic != null) {
            logic.close();
        }
        if (storage != null) {
            storage.close();
        }
        if (bus != null) {
            bus.close();
        }
        if (store != null) {
            store.close();
        }
        if (tokens != null) {
            tokens.close();
        }
    }
}
