package io.danmaku.server.role;

import static java.util.Objects.requireNonNull;

import io.danmaku.gateway.GatewayConfig;
import io.danmaku.gateway.GatewayServer;
import io.danmaku.protocol.bus.MessageBus;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.rpc.GrpcPostClient;
import io.danmaku.rpc.RpcClientConfig;
import io.danmaku.server.admin.Readiness;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.DanmakuKeys;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;

/**
 * {@code danmaku gateway}: the access tier alone. Reads every partition of the Kafka topic for fan-out, keeps
 * online counts in Redis, forwards posts to logic over gRPC ({@code gateway.logic.target}). The server API is
 * served by logic, not here.
 */
public final class GatewayRole implements Role {
    private GatewayConfig gatewayConfig;
    private Tokens tokens;
    private RpcClientConfig rpc;
    private MessageBus bus;
    private HotStore store;
    private GrpcPostClient logic;
    private GatewayServer gateway;
    private Duration drainWindow = Duration.ZERO;
    private NodeReporter nodeReporter;

    @Override
    public void prepare(Config config) {
        requireNonNull(config, "config");
        gatewayConfig = TierConfigs.gateway(config);
        drainWindow = config.getDuration(DanmakuKeys.GATEWAY_DRAIN_WINDOW);
        tokens = Tokens.from(config, false, Clock.systemUTC());
        rpc = TierConfigs.build(() -> RpcClientConfig.defaults(
                        config.getString(DanmakuKeys.GATEWAY_LOGIC_TARGET).orElseThrow())
                .withDeadline(config.getDuration(DanmakuKeys.GATEWAY_LOGIC_DEADLINE))
                .withDnsRefreshInterval(config.getDuration(DanmakuKeys.GATEWAY_LOGIC_DNS_REFRESH_INTERVAL))
                .withTls(TierConfigs.gatewayLogicTls(config)));
        Seams.check(config, "gateway");
    }

    @Override
    public void start(Config config, MeterRegistry registry, Readiness readiness) {
        if (gatewayConfig == null) {
            prepare(config);
        }
        store = Seams.store(config, registry, "gateway");
        bus = Seams.bus(config, registry, "gateway");
        readiness.require("kafka", bus::reachable);
        logic = new GrpcPostClient(rpc, registry);
        GatewayServer server = new GatewayServer(gatewayConfig, TierConfigs.nodeId(config), bus, store, logic,
                tokens.verifier(), config.getBoolean(DanmakuKeys.ALLOW_ANONYMOUS), null, tokens.demoIssuer(), registry);
        gateway = server;
        Listening.bind(DanmakuKeys.GATEWAY_PORT, gatewayConfig.host(), gatewayConfig.port(), server::start);
        nodeReporter = NodeReporter.start(store, TierConfigs.nodeId(config), "gateway",
                gatewayConfig.onlineReportInterval(), () -> new NodeReporter.Stats(server.connectionCount(),
                        server.users().userCount(), server.rooms().localCounts().size()));
    }

    public int gatewayPort() {
        return gateway.port();
    }

    /** True once this gateway's subscription to the server API's control messages (disconnect, subscribe…) is established. */
    public boolean hearsDisconnects() {
        return gateway != null && gateway.users().listening();
    }

    @Override
    public void close() {
        Closing.quietly(nodeReporter);
        if (gateway != null) {
            gateway.drain(drainWindow);
            gateway.close();
        }
        Closing.quietly(logic, bus, store, tokens);
    }
}
