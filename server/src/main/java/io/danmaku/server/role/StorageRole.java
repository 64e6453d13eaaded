package io.danmaku.server.role;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.bus.MessageBus;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.tls.TlsFiles;
import io.danmaku.server.admin.Readiness;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.server.http.ApiHttpServer;
import io.danmaku.server.http.HttpTls;
import io.danmaku.server.http.OpenApiDocument;
import io.danmaku.server.http.TokenReadAccess;
import io.danmaku.server.config.Password;
import io.danmaku.storage.StorageConfig;
import io.danmaku.storage.api.HistoryApi;
import io.danmaku.storage.api.RoomsApi;
import io.danmaku.storage.api.TimelineApi;
import io.danmaku.storage.ingest.StorageService;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;

/**
 * {@code danmaku storage}: consumes the topic as group {@code storage.group}, writes each record to the room's
 * hot history in Redis and to the archive ({@code storage.archive.dir}, or a bucket shared by every storage process
 * with {@code storage.archive.type=s3}), commits only after both, and serves
 * {@code GET /api/rooms/{room}/history} on {@code storage.http.port} to the readers the connection token rules
 * allow ({@link TokenReadAccess}).
 */
public final class StorageRole implements Role {
    private StorageConfig storageConfig;
    private Tokens tokens;
    private TokenReadAccess readers;
    private MessageBus bus;
    private HotStore store;
    private NodeReporter nodeReporter;
    private StorageService storage;
    private ApiHttpServer http;
    private TlsFiles httpTls;

    @Override
    public void prepare(Config config) {
        requireNonNull(config, "config");
        storageConfig = TierConfigs.storage(config);
        tokens = Tokens.from(config, false, Clock.systemUTC());
        readers = new TokenReadAccess(tokens.verifier(),
                config.getPassword(DanmakuKeys.API_KEY).map(Password::value).orElse(null),
                config.getBoolean(DanmakuKeys.ALLOW_ANONYMOUS), TierConfigs.privateRooms(config));
        httpTls = TierConfigs.httpTls(config, DanmakuKeys.STORAGE_HTTP_TLS_CERT_FILE, DanmakuKeys.STORAGE_HTTP_TLS_KEY_FILE);
        Seams.check(config, "storage");
    }

    @Override
    public void start(Config config, MeterRegistry registry, Readiness readiness) {
        if (storageConfig == null) {
            prepare(config);
        }
        store = Seams.store(config, registry, "storage");
        bus = Seams.bus(config, registry, "storage");
        readiness.require("kafka", bus::reachable);
        storage = new StorageService(storageConfig, bus, store, registry);
        storage.start();
        HistoryApi history = new HistoryApi(store, storage.archiveReader().orElse(null), Clock.systemUTC(), readers,
                registry);
        RoomsApi api = new RoomsApi(history, new TimelineApi(history, store, Clock.systemUTC(), readers, registry));
        http = ApiHttpServer.start("history API", DanmakuKeys.STORAGE_HTTP_PORT,
                config.getString(DanmakuKeys.STORAGE_HTTP_HOST).orElseThrow(), config.getInt(DanmakuKeys.STORAGE_HTTP_PORT),
                OpenApiDocument.serving(OpenApiDocument.HISTORY_API, api),
                httpTls == null ? null : HttpTls.open(httpTls, "history-api", registry));
        nodeReporter = NodeReporter.start(store, TierConfigs.nodeId(config), "storage",
                config.getDuration(DanmakuKeys.GATEWAY_ONLINE_REPORT_INTERVAL), () -> NodeReporter.Stats.NONE);
    }

    public int httpPort() {
        return http.port();
    }

    @Override
    public void close() {
        Closing.quietly(nodeReporter, http, storage, bus, store, tokens);
    }
}
