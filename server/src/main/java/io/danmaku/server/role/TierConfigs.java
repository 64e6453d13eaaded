package io.danmaku.server.role;

import io.danmaku.gateway.GatewayConfig;
import io.danmaku.gateway.auth.PrivateRooms;
import io.danmaku.gateway.backend.BackendConfig;
import io.danmaku.gateway.pipeline.ProxyConfig;
import io.danmaku.gateway.room.SamplingRules;
import io.danmaku.gateway.room.JoinLeaveRooms;
import io.danmaku.gateway.compression.CompressionSettings;
import io.danmaku.gateway.tls.GatewayTlsConfig;
import io.danmaku.gateway.tls.ReloadingSslContext;
import io.danmaku.logic.LogicConfig;
import io.danmaku.protocol.store.RateLimit;
import io.danmaku.protocol.tls.TlsFiles;
import io.danmaku.rpc.RpcClientTls;
import io.danmaku.rpc.RpcServerTls;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.ConfigException;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.server.config.Password;
import io.danmaku.server.http.HttpTls;
import io.danmaku.storage.StorageConfig;
import io.danmaku.storage.archive.S3ArchiveConfig;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Maps the resolved configuration onto each tier's own config record. A record's own validation failure
 * (a cross-field rule the key registry cannot express) becomes a {@link ConfigException}: exit status 2.
 */
final class TierConfigs {
    private TierConfigs() {
    }

    static GatewayConfig gateway(Config c) {
        return build(() -> GatewayConfig.builder()
                .host(c.getString(DanmakuKeys.GATEWAY_HOST).orElseThrow())
                .port(c.getInt(DanmakuKeys.GATEWAY_PORT))
                .ioThreads(c.getInt(DanmakuKeys.GATEWAY_IO_THREADS))
                .maxFramePayloadBytes(c.getInt(DanmakuKeys.GATEWAY_WS_MAX_FRAME_BYTES))
                .batchWindow(c.getDuration(DanmakuKeys.GATEWAY_BATCH_WINDOW))
                .batchMaxWindow(c.getDuration(DanmakuKeys.GATEWAY_BATCH_MAX_WINDOW))
                .batchFlushShare(c.getDouble(DanmakuKeys.GATEWAY_BATCH_FLUSH_SHARE))
                .batchMaxMessages(c.getInt(DanmakuKeys.GATEWAY_BATCH_MAX_MESSAGES))
                .ringSize(c.getInt(DanmakuKeys.GATEWAY_RING_SIZE))
                .writeBufferLowBytes(c.getInt(DanmakuKeys.GATEWAY_WRITE_BUFFER_LOW_BYTES))
                .writeBufferHighBytes(c.getInt(DanmakuKeys.GATEWAY_WRITE_BUFFER_HIGH_BYTES))
                .slowClientTimeout(c.getDuration(DanmakuKeys.GATEWAY_SLOW_CLIENT_TIMEOUT))
                .pingInterval(c.getDuration(DanmakuKeys.GATEWAY_PING_INTERVAL))
                .pongTimeout(c.getDuration(DanmakuKeys.GATEWAY_PONG_TIMEOUT))
                .connectTimeout(c.getDuration(DanmakuKeys.GATEWAY_CONNECT_TIMEOUT))
                .onlineReportInterval(c.getDuration(DanmakuKeys.GATEWAY_ONLINE_REPORT_INTERVAL))
                .maxSubscriptionsPerConnection(c.getInt(DanmakuKeys.GATEWAY_MAX_SUBSCRIPTIONS))
                .postLinger(c.getDuration(DanmakuKeys.GATEWAY_POST_LINGER))
                .postMaxBatch(c.getInt(DanmakuKeys.GATEWAY_POST_MAX_BATCH))
                .handshakeTimeout(c.getDuration(DanmakuKeys.GATEWAY_HANDSHAKE_TIMEOUT))
                .maxConnections(c.getInt(DanmakuKeys.GATEWAY_CONNECTIONS_MAX))
                .maxConnectionsPerIp(c.getInt(DanmakuKeys.GATEWAY_CONNECTIONS_PER_IP))
                .acceptRatePerSecond(c.getInt(DanmakuKeys.GATEWAY_CONNECTIONS_ACCEPT_RATE))
                .acceptBurst(c.getInt(DanmakuKeys.GATEWAY_CONNECTIONS_ACCEPT_BURST))
                .allowedOrigins(c.getList(DanmakuKeys.GATEWAY_ALLOWED_ORIGINS))
                .tls(gatewayTls(c))
                .closeOnTokenExpiry("close".equals(c.getString(DanmakuKeys.GATEWAY_TOKEN_EXPIRY).orElseThrow()))
                .privateRooms(privateRooms(c))
                .presenceMaxMembers(c.getInt(DanmakuKeys.PRESENCE_MAX_MEMBERS))
                .proxy(new ProxyConfig(c.getBoolean(DanmakuKeys.GATEWAY_PROXY_PROTOCOL),
                        c.getList(DanmakuKeys.GATEWAY_TRUSTED_PROXIES),
                        ProxyConfig.ForwardedHeader.of(c.getString(DanmakuKeys.GATEWAY_FORWARDED_HEADER).orElseThrow())))
                .compression(new CompressionSettings(c.getBoolean(DanmakuKeys.GATEWAY_WS_COMPRESSION),
                        c.getInt(DanmakuKeys.GATEWAY_WS_COMPRESSION_MIN_BYTES),
                        c.getInt(DanmakuKeys.GATEWAY_WS_COMPRESSION_LEVEL),
                        c.getDouble(DanmakuKeys.GATEWAY_WS_COMPRESSION_CPU_SHARE)))
                .sampling(SamplingRules.parse(c.getList(DanmakuKeys.GATEWAY_SAMPLING_ROOMS)))
                .backend(backend(c))
                .joinLeave(new JoinLeaveRooms(c.getList(DanmakuKeys.GATEWAY_JOIN_LEAVE_ROOMS),
                        c.getInt(DanmakuKeys.GATEWAY_JOIN_LEAVE_MAX_MEMBERS)))
                .build());
    }

    /** The application backend's proxies ({@code gateway.backend.*}). */
    static BackendConfig backend(Config c) {
        return build(() -> BackendConfig.builder()
                .rpcUrl(url(c, DanmakuKeys.GATEWAY_BACKEND_RPC_URL))
                .sendUrl(url(c, DanmakuKeys.GATEWAY_BACKEND_SEND_URL))
                .connectUrl(url(c, DanmakuKeys.GATEWAY_BACKEND_CONNECT_URL))
                .publishUrl(url(c, DanmakuKeys.GATEWAY_BACKEND_PUBLISH_URL))
                .timeout(c.getDuration(DanmakuKeys.GATEWAY_BACKEND_TIMEOUT))
                .maxInFlight(c.getInt(DanmakuKeys.GATEWAY_BACKEND_MAX_IN_FLIGHT))
                .maxResponseBytes(c.getInt(DanmakuKeys.GATEWAY_BACKEND_MAX_RESPONSE_BYTES))
                .connectHeaders(c.getList(DanmakuKeys.GATEWAY_BACKEND_CONNECT_HEADERS))
                .build());
    }

    private static URI url(Config c, String key) {
        return BackendConfig.url(c.getString(key).orElse(null), key);
    }

    /** The rooms that need a subscription token ({@code gateway.private-rooms}); gateways and storage read it. */
    static PrivateRooms privateRooms(Config c) {
        return build(() -> PrivateRooms.of(c.getList(DanmakuKeys.GATEWAY_PRIVATE_ROOMS)));
    }

    /** TLS on the gateway's port, or null; the files are read and checked (before anything binds). */
    static GatewayTlsConfig gatewayTls(Config c) {
        Optional<Path> cert = c.getPath(DanmakuKeys.GATEWAY_TLS_CERT_FILE);
        if (cert.isEmpty()) {
            return null;
        }
        GatewayTlsConfig tls = build(() -> new GatewayTlsConfig(cert.get(),
                c.getPath(DanmakuKeys.GATEWAY_TLS_KEY_FILE).orElseThrow(),
                c.getDuration(DanmakuKeys.GATEWAY_TLS_RELOAD_INTERVAL)));
        build(() -> {
            ReloadingSslContext.check(tls);
            return tls;
        });
        return tls;
    }

    /** TLS on an HTTP port (logic's, storage's), or null; the files are read and checked. */
    static TlsFiles httpTls(Config c, String certKey, String keyKey) {
        return build(() -> {
            TlsFiles files = HttpTls.files(c, certKey, keyKey, DanmakuKeys.TLS_RELOAD_INTERVAL);
            if (files != null) {
                HttpTls.check(files);
            }
            return files;
        });
    }

    /** TLS on logic's gRPC port, or null; the files are read and checked. */
    static RpcServerTls logicGrpcTls(Config c) {
        Optional<Path> cert = c.getPath(DanmakuKeys.LOGIC_GRPC_TLS_CERT_FILE);
        if (cert.isEmpty()) {
            return null;
        }
        return build(() -> {
            RpcServerTls tls = new RpcServerTls(cert.get(), c.getPath(DanmakuKeys.LOGIC_GRPC_TLS_KEY_FILE).orElseThrow(),
                    c.getPath(DanmakuKeys.LOGIC_GRPC_TLS_CLIENT_CA_FILE).orElse(null),
                    c.getDuration(DanmakuKeys.TLS_RELOAD_INTERVAL));
            tls.check();
            return tls;
        });
    }

    /** TLS from a gateway to logic, or null; the files are read and checked. */
    static RpcClientTls gatewayLogicTls(Config c) {
        if (!c.getBoolean(DanmakuKeys.GATEWAY_LOGIC_TLS_ENABLED)) {
            return null;
        }
        return build(() -> {
            RpcClientTls tls = new RpcClientTls(c.getPath(DanmakuKeys.GATEWAY_LOGIC_TLS_CA_FILE).orElse(null),
                    c.getPath(DanmakuKeys.GATEWAY_LOGIC_TLS_CERT_FILE).orElse(null),
                    c.getPath(DanmakuKeys.GATEWAY_LOGIC_TLS_KEY_FILE).orElse(null));
            tls.check();
            return tls;
        });
    }

    static LogicConfig logic(Config c) {
        return build(() -> new LogicConfig(
                c.getInt(DanmakuKeys.LOGIC_TEXT_MAX_CODE_POINTS),
                new RateLimit(c.getInt(DanmakuKeys.LOGIC_RATE_USER_BURST),
                        c.getDouble(DanmakuKeys.LOGIC_RATE_USER_PER_SECOND)),
                new RateLimit(c.getInt(DanmakuKeys.LOGIC_RATE_ROOM_BURST),
                        c.getDouble(DanmakuKeys.LOGIC_RATE_ROOM_PER_SECOND)),
                c.getList(DanmakuKeys.LOGIC_BLOCKED_WORDS),
                c.getPath(DanmakuKeys.LOGIC_BLOCKED_WORDS_FILE).orElse(null),
                c.getDuration(DanmakuKeys.LOGIC_BLOCKED_WORDS_RELOAD),
                c.getDuration(DanmakuKeys.LOGIC_DEDUPE_TTL),
                c.getDuration(DanmakuKeys.LOGIC_RESTRICTION_CACHE_TTL),
                c.getDuration(DanmakuKeys.LOGIC_PUBLISH_TIMEOUT),
                c.getPassword(DanmakuKeys.API_KEY).map(Password::value).orElse(null),
                c.getDuration(DanmakuKeys.LOGIC_RATE_ROOM_LEASE_PERIOD),
                c.getInt(DanmakuKeys.LOGIC_MAX_POSTS_IN_FLIGHT),
                c.getDuration(DanmakuKeys.LOGIC_IDEMPOTENCY_TTL)));
    }

    static StorageConfig storage(Config c) {
        return build(() -> new StorageConfig(c.getString(DanmakuKeys.STORAGE_GROUP).orElseThrow(),
                c.getString(DanmakuKeys.STORAGE_ARCHIVE_DIR).map(java.nio.file.Path::of).orElse(null),
                c.getLong(DanmakuKeys.STORAGE_ARCHIVE_SEGMENT_MAX_BYTES),
                c.getDuration(DanmakuKeys.STORAGE_ARCHIVE_SEGMENT_MAX_AGE),
                "s3".equals(c.getString(DanmakuKeys.STORAGE_ARCHIVE_TYPE).orElseThrow()) ? archiveBucket(c) : null,
                c.getDuration(DanmakuKeys.STORAGE_ARCHIVE_RETENTION)));
    }

    /** The bucket of {@code storage.archive.type=s3}. */
    static S3ArchiveConfig archiveBucket(Config c) {
        return build(() -> new S3ArchiveConfig(
                c.getString(DanmakuKeys.STORAGE_ARCHIVE_S3_ENDPOINT).map(URI::create).orElse(null),
                c.getString(DanmakuKeys.STORAGE_ARCHIVE_S3_BUCKET).orElse(null),
                c.getString(DanmakuKeys.STORAGE_ARCHIVE_S3_PREFIX).orElseThrow(),
                c.getString(DanmakuKeys.STORAGE_ARCHIVE_S3_REGION).orElseThrow(),
                c.getString(DanmakuKeys.STORAGE_ARCHIVE_S3_ACCESS_KEY).orElse(null),
                c.getPassword(DanmakuKeys.STORAGE_ARCHIVE_S3_SECRET_KEY).map(Password::value).orElse(null),
                c.getBoolean(DanmakuKeys.STORAGE_ARCHIVE_S3_PATH_STYLE),
                c.getDuration(DanmakuKeys.STORAGE_ARCHIVE_S3_REFRESH_INTERVAL)));
    }

    /** {@code node.id}, or host name and process id. */
    static String nodeId(Config c) {
        return c.getString(DanmakuKeys.NODE_ID).orElseGet(() -> {
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                host = "localhost";
            }
            String pid = ManagementFactory.getRuntimeMXBean().getName().split("@")[0];
            return (host + "-" + pid).replaceAll("[^A-Za-z0-9_.:-]", "_");
        });
    }

    static <T> T build(Supplier<T> factory) {
        try {
            return factory.get();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ConfigException(e.getMessage());
        }
    }
}
