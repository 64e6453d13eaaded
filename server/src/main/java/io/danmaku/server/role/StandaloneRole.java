package io.danmaku.server.role;

import static java.util.Objects.requireNonNull;

import io.danmaku.gateway.GatewayConfig;
import io.danmaku.gateway.GatewayServer;
import io.danmaku.gateway.auth.DemoTokenIssuer;
import io.danmaku.gateway.auth.TokenVerifier;
import io.danmaku.logic.LogicConfig;
import io.danmaku.logic.LogicService;
import io.danmaku.logic.api.ServerApi;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.danmaku.server.admin.Readiness;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.ConfigException;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.server.config.Password;
import io.danmaku.storage.ingest.StorageService;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All tiers in one JVM over the in-memory bus and store: the embedded default, no external service. The same
 * gateway, logic and storage code as the distributed roles; logic is a direct call and its server API is
 * served on the gateway's port.
 *
 * <p>Without a configured token secret (a first run), a random HS256 secret is generated for this process and
 * the demo token endpoint is enabled, so the demo page can post out of the box; a WARN says so. With a secret
 * configured, demo tokens are served only when {@code demo.tokens} is true.
 */
public final class StandaloneRole implements Role {
    private static final Logger log = LoggerFactory.getLogger(StandaloneRole.class);

    private MemoryMessageBus bus;
    private MemoryHotStore store;
    private StorageService storage;
    private GatewayServer gateway;
    private Duration drainWindow = Duration.ZERO;

    @Override
    public void start(Config config, MeterRegistry registry, Readiness readiness) {
        requireNonNull(config, "config");
        requireNonNull(registry, "registry");
        GatewayConfig gatewayConfig = TierConfigs.gateway(config);
        LogicConfig logicConfig = TierConfigs.logic(config);
        String nodeId = TierConfigs.nodeId(config);
        drainWindow = config.getDuration(DanmakuKeys.GATEWAY_DRAIN_WINDOW);

        String secret = config.getPassword(DanmakuKeys.TOKEN_HMAC_SECRET).map(Password::value).orElse(null);
        RSAPublicKey rsa = config.getPath(DanmakuKeys.TOKEN_RSA_PUBLIC_KEY_FILE)
                .map(TokenVerifier::readPublicKey).orElse(null);
        boolean demoTokens = config.getBoolean(DanmakuKeys.DEMO_TOKENS);
        if (secret == null && rsa == null) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            secret = HexFormat.of().formatHex(random);
            demoTokens = true;
            log.warn("No token.hmac.secret or token.rsa.public-key-file configured: using a random HS256 secret for "
                    + "this process and serving demo tokens at /demo/token to anyone (development mode). Set "
                    + "DANMAKU_TOKEN_HMAC_SECRET for real use.");
        } else if (demoTokens && secret == null) {
            throw new ConfigException("demo.tokens: true (expected: false unless token.hmac.secret is set; demo "
                    + "tokens are signed with HS256)");
        } else if (demoTokens) {
            log.warn("demo.tokens is on: /demo/token signs a token for anyone. Development only.");
        }
        Clock clock = Clock.systemUTC();

        bus = new MemoryMessageBus(config.getInt(DanmakuKeys.BUS_MEMORY_QUEUE_CAPACITY));
        store = new MemoryHotStore(clock, config.getInt(DanmakuKeys.STORE_MEMORY_HISTORY_PER_ROOM));
        storage = new StorageService(TierConfigs.storage(config), bus, store, registry);
        storage.start();
        LogicService logic = new LogicService(logicConfig, bus, store, registry, clock);
        ServerApi api = new ServerApi(logicConfig, logic, registry);
        try {
            gateway = new GatewayServer(gatewayConfig, nodeId, bus, store, logic,
                    TokenVerifier.create(secret, rsa, clock), config.getBoolean(DanmakuKeys.ALLOW_ANONYMOUS), api,
                    demoTokens ? new DemoTokenIssuer(secret, clock) : null, registry).start();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding the gateway port", e);
        }
        log.info("standalone {} ready: WebSocket, demo page and server API on port {}", nodeId, gateway.port());
    }

    /** The gateway's bound port (useful with {@code gateway.port=0}). */
    public int gatewayPort() {
        return gateway.port();
    }

    @Override
    public void close() {
        if (gateway != null) {
            gateway.drain(drainWindow);
            gateway.close();
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
    }
}
