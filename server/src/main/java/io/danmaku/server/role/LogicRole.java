package io.danmaku.server.role;

import static java.util.Objects.requireNonNull;

import io.danmaku.logic.LogicConfig;
import io.danmaku.logic.LogicService;
import io.danmaku.logic.api.ServerApi;
import io.danmaku.protocol.bus.MessageBus;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.tls.TlsFiles;
import io.danmaku.rpc.GrpcPostServer;
import io.danmaku.rpc.RpcServerConfig;
import io.danmaku.server.admin.Readiness;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.server.http.ApiHttpServer;
import io.danmaku.server.http.HttpTls;
import io.danmaku.server.http.OpenApiDocument;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;

/**
 * {@code danmaku logic}: validation and publishing, stateless. Posts from gateways arrive over gRPC
 * ({@code logic.grpc.port}); backends use the server API on {@code logic.http.port}.
 */
public final class LogicRole implements Role {
    private LogicConfig logicConfig;
    private RpcServerConfig rpc;
    private MessageBus bus;
    private HotStore store;
    private GrpcPostServer grpc;
    private LogicService logic;
    private ApiHttpServer http;
    private NodeReporter nodeReporter;
    private TlsFiles httpTls;

    @Override
    public void prepare(Config config) {
        requireNonNull(config, "config");
        logicConfig = TierConfigs.logic(config);
        rpc = TierConfigs.build(() -> RpcServerConfig.defaults().withAddress(
                config.getString(DanmakuKeys.LOGIC_GRPC_HOST).orElseThrow(), config.getInt(DanmakuKeys.LOGIC_GRPC_PORT))
                .withTls(TierConfigs.logicGrpcTls(config)));
        httpTls = TierConfigs.httpTls(config, DanmakuKeys.LOGIC_HTTP_TLS_CERT_FILE, DanmakuKeys.LOGIC_HTTP_TLS_KEY_FILE);
        Seams.check(config, "logic");
    }

    @Override
    public void start(Config config, MeterRegistry registry, Readiness readiness) {
        if (logicConfig == null) {
            prepare(config);
        }
        store = Seams.store(config, registry, "logic");
        bus = Seams.bus(config, registry, "logic");
        readiness.require("kafka", bus::reachable);
        logic = new LogicService(logicConfig, bus, store, registry, Clock.systemUTC());
        GrpcPostServer server = new GrpcPostServer(rpc, logic, registry);
        grpc = server;
        Listening.bind(DanmakuKeys.LOGIC_GRPC_PORT, rpc.host(), rpc.port(), server::start);
        http = ApiHttpServer.start("server API", DanmakuKeys.LOGIC_HTTP_PORT,
                config.getString(DanmakuKeys.LOGIC_HTTP_HOST).orElseThrow(), config.getInt(DanmakuKeys.LOGIC_HTTP_PORT),
                OpenApiDocument.serving(OpenApiDocument.SERVER_API, new ServerApi(logicConfig, logic, registry,
                        config.getInt(DanmakuKeys.PRESENCE_MAX_MEMBERS))),
                httpTls == null ? null : HttpTls.open(httpTls, "server-api", registry));
        nodeReporter = NodeReporter.start(store, TierConfigs.nodeId(config), "logic",
                config.getDuration(DanmakuKeys.GATEWAY_ONLINE_REPORT_INTERVAL), () -> NodeReporter.Stats.NONE);
    }

    public int httpPort() {
        return http.port();
    }

    @Override
    public void close() {
        Closing.quietly(nodeReporter, http, grpc, logic, bus, store);
    }
}
