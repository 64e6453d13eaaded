package io.danmaku.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DanmakuKeysTest {
    @Test
    void everyKeyHasItsDocumentedDefault() {
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("node.id", "<unset>");
        expected.put("log.format", "text");
        expected.put("log.level", "info");
        expected.put("admin.host", "0.0.0.0");
        expected.put("admin.port", "9100");
        expected.put("admin.tls.cert-file", "<unset>");
        expected.put("admin.tls.key-file", "<unset>");
        expected.put("tls.reload-interval", "10s");
        expected.put("gateway.host", "0.0.0.0");
        expected.put("gateway.port", "8080");
        expected.put("gateway.io-threads", "0");
        expected.put("gateway.ws.max-frame-bytes", "65536");
        expected.put("gateway.ws.compression.enabled", "true");
        expected.put("gateway.ws.compression.min-bytes", "128");
        expected.put("gateway.ws.compression.level", "1");
        expected.put("gateway.ws.compression.cpu-share", "0.25");
        expected.put("gateway.batch.window", "50ms");
        expected.put("gateway.batch.max-window", "150ms");
        expected.put("gateway.batch.flush-share", "0.3");
        expected.put("gateway.batch.max-messages", "256");
        expected.put("gateway.ring.size", "256");
        expected.put("gateway.write-buffer.low-bytes", "65536");
        expected.put("gateway.write-buffer.high-bytes", "262144");
        expected.put("gateway.slow-client.timeout", "10s");
        expected.put("gateway.ping.interval", "25s");
        expected.put("gateway.pong.timeout", "8s");
        expected.put("gateway.connect.timeout", "10s");
        expected.put("gateway.online.report-interval", "2s");
        expected.put("gateway.drain.window", "10s");
        expected.put("gateway.max-subscriptions", "32");
        expected.put("gateway.post.linger", "1ms");
        expected.put("gateway.post.max-batch", "512");
        expected.put("gateway.handshake.timeout", "5s");
        expected.put("gateway.connections.max", "1000000");
        expected.put("gateway.connections.per-ip", "0");
        expected.put("gateway.connections.accept-rate", "10000");
        expected.put("gateway.connections.accept-burst", "20000");
        expected.put("gateway.allowed-origins", "\"\"");
        expected.put("gateway.proxy-protocol", "false");
        expected.put("gateway.trusted-proxies", "\"\"");
        expected.put("gateway.forwarded-header", "x-forwarded-for");
        expected.put("gateway.tls.cert-file", "<unset>");
        expected.put("gateway.tls.key-file", "<unset>");
        expected.put("gateway.tls.reload-interval", "10s");
        expected.put("gateway.token.expiry", "ignore");
        expected.put("gateway.private-rooms", "\"\"");
        expected.put("gateway.sampling.rooms", "\"\"");
        expected.put("gateway.join-leave.rooms", "\"\"");
        expected.put("gateway.join-leave.max-members", "1000");
        expected.put("gateway.backend.rpc-url", "<unset>");
        expected.put("gateway.backend.send-url", "<unset>");
        expected.put("gateway.backend.connect-url", "<unset>");
        expected.put("gateway.backend.connect-headers", "\"\"");
        expected.put("gateway.backend.publish-url", "<unset>");
        expected.put("gateway.backend.timeout", "1s");
        expected.put("gateway.backend.max-in-flight", "8");
        expected.put("gateway.backend.max-response-bytes", "65536");
        expected.put("token.hmac.secret", "<unset>");
        expected.put("token.rsa.public-key-file", "<unset>");
        expected.put("token.ec.public-key-file", "<unset>");
        expected.put("token.jwks-url", "<unset>");
        expected.put("token.jwks.refresh-interval", "5m");
        expected.put("token.jwks.min-refetch-interval", "10s");
        expected.put("token.leeway", "30s");
        expected.put("token.audience", "<unset>");
        expected.put("token.issuer", "<unset>");
        expected.put("allow.anonymous", "true");
        expected.put("demo.tokens", "false");
        expected.put("presence.max-members", "1000");
        expected.put("api.key", "<unset>");
        expected.put("logic.text.max-code-points", "100");
        expected.put("logic.rate.user.burst", "5");
        expected.put("logic.rate.user.per-second", "1.0");
        expected.put("logic.rate.room.burst", "500");
        expected.put("logic.rate.room.per-second", "200.0");
        expected.put("logic.blocked-words", "\"\"");
        expected.put("logic.blocked-words.file", "<unset>");
        expected.put("logic.blocked-words.reload", "10s");
        expected.put("logic.dedupe.ttl", "5m");
        expected.put("logic.restriction.cache-ttl", "30s");
        expected.put("logic.publish.timeout", "5s");
        expected.put("logic.rate.room.lease-period", "100ms");
        expected.put("logic.max-posts-in-flight", "10000");
        expected.put("logic.idempotency.ttl", "5m");
        expected.put("storage.group", "danmaku-storage");
        expected.put("store.memory.history-per-room", "1000");
        expected.put("bus.memory.queue-capacity", "65536");
        expected.put("bus.type", "memory");
        expected.put("bus.kafka.bootstrap-servers", "127.0.0.1:9092");
        expected.put("bus.kafka.topic", "danmaku.room-messages");
        expected.put("bus.kafka.partitions", "12");
        expected.put("bus.kafka.replication-factor", "1");
        expected.put("bus.kafka.connect-wait", "1m");
        expected.put("bus.kafka.tls.enabled", "false");
        expected.put("bus.kafka.tls.ca-file", "<unset>");
        expected.put("bus.kafka.tls.cert-file", "<unset>");
        expected.put("bus.kafka.tls.key-file", "<unset>");
        expected.put("store.type", "memory");
        expected.put("store.redis.mode", "cluster");
        expected.put("store.redis.uris", "redis://127.0.0.1:7000");
        expected.put("store.redis.command-timeout", "500ms");
        expected.put("store.redis.connect-wait", "1m");
        expected.put("store.redis.history-per-room", "1000");
        expected.put("store.redis.history-retention", "168h");
        expected.put("store.redis.tls.ca-file", "<unset>");
        expected.put("store.redis.tls.cert-file", "<unset>");
        expected.put("store.redis.tls.key-file", "<unset>");
        expected.put("gateway.logic.target", "127.0.0.1:9090");
        expected.put("gateway.logic.deadline", "6s");
        expected.put("gateway.logic.dns.refresh-interval", "5s");
        expected.put("gateway.logic.tls.enabled", "false");
        expected.put("gateway.logic.tls.ca-file", "<unset>");
        expected.put("gateway.logic.tls.cert-file", "<unset>");
        expected.put("gateway.logic.tls.key-file", "<unset>");
        expected.put("logic.grpc.host", "0.0.0.0");
        expected.put("logic.grpc.port", "9090");
        expected.put("logic.grpc.tls.cert-file", "<unset>");
        expected.put("logic.grpc.tls.key-file", "<unset>");
        expected.put("logic.grpc.tls.client-ca-file", "<unset>");
        expected.put("logic.http.host", "0.0.0.0");
        expected.put("logic.http.port", "8081");
        expected.put("logic.http.tls.cert-file", "<unset>");
        expected.put("logic.http.tls.key-file", "<unset>");
        expected.put("storage.http.host", "0.0.0.0");
        expected.put("storage.http.port", "8082");
        expected.put("storage.http.tls.cert-file", "<unset>");
        expected.put("storage.http.tls.key-file", "<unset>");
        expected.put("storage.archive.dir", "<unset>");
        expected.put("storage.archive.segment-max-bytes", "67108864");
        expected.put("storage.archive.segment-max-age", "10m");
        expected.put("storage.archive.retention", "0");
        expected.put("storage.archive.type", "local");
        expected.put("storage.archive.s3.endpoint", "<unset>");
        expected.put("storage.archive.s3.bucket", "<unset>");
        expected.put("storage.archive.s3.prefix", "archive");
        expected.put("storage.archive.s3.region", "us-east-1");
        expected.put("storage.archive.s3.access-key", "<unset>");
        expected.put("storage.archive.s3.secret-key", "<unset>");
        expected.put("storage.archive.s3.path-style", "true");
        expected.put("storage.archive.s3.refresh-interval", "30s");

        Config defaults = Config.defaults(DanmakuKeys.DEFINITION);

        assertThat(DanmakuKeys.DEFINITION.keys()).extracting(ConfigKey::name).containsExactlyElementsOf(expected.keySet());
        expected.forEach((key, value) -> assertThat(defaults.show(key)).as(key).isEqualTo(value));
    }

    @Test
    void typedDefaultsReadBackThroughTheGetters() {
        Config defaults = Config.defaults(DanmakuKeys.DEFINITION);

        assertThat(defaults.getDuration(DanmakuKeys.GATEWAY_DRAIN_WINDOW)).isEqualTo(Duration.ofSeconds(10));
        assertThat(defaults.getDouble(DanmakuKeys.LOGIC_RATE_ROOM_PER_SECOND)).isEqualTo(200.0);
        assertThat(defaults.getList(DanmakuKeys.LOGIC_BLOCKED_WORDS)).isEqualTo(List.of());
        assertThat(defaults.getPath(DanmakuKeys.TOKEN_RSA_PUBLIC_KEY_FILE)).isEmpty();
        assertThat(defaults.getString(DanmakuKeys.STORAGE_GROUP)).contains("danmaku-storage");
        assertThat(defaults.getBoolean(DanmakuKeys.DEMO_TOKENS)).isFalse();
    }

    @Test
    void edgesOfTheDocumentedRangesAreAccepted() {
        Config config = new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(), List.of(
                "admin.port=0", "gateway.port=65535", "gateway.batch.window=0", "gateway.batch.window=10s",
                "gateway.ring.size=0", "gateway.io-threads=256", "logic.rate.user.per-second=100000",
                "bus.memory.queue-capacity=1024", "gateway.slow-client.timeout=100ms"));

        assertThat(config.getInt(DanmakuKeys.ADMIN_PORT)).isZero();
        assertThat(config.getDuration(DanmakuKeys.GATEWAY_BATCH_WINDOW)).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void trustedProxiesAreAddressesOrCidrRangesAndTheForwardedHeaderOneOfTwo() {
        Config config = new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(), List.of(
                "gateway.trusted-proxies=10.0.0.0/8, 192.0.2.7,2001:db8::/32", "gateway.forwarded-header=forwarded",
                "gateway.proxy-protocol=true"));
        assertThat(config.getList(DanmakuKeys.GATEWAY_TRUSTED_PROXIES))
                .containsExactly("10.0.0.0/8", "192.0.2.7", "2001:db8::/32");

        for (String bad : List.of("gateway.trusted-proxies=10.0.0.0/33", "gateway.trusted-proxies=proxy.example",
                "gateway.trusted-proxies=10.0.0.0/x", "gateway.forwarded-header=x-real-ip")) {
            assertThatThrownBy(() -> new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(), List.of(bad)))
                    .as(bad)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining(bad.substring(0, bad.indexOf('=')));
        }
    }

    @Test
    void samplingRoomsArePatternRateEntriesAndAMalformedOneRefusesToStartNamingTheKey() {
        Config config = new ConfigLoader(DanmakuKeys.DEFINITION).load(null,
                Map.of("DANMAKU_GATEWAY_SAMPLING_ROOMS", "live.*=200,big-show=50"), List.of());
        assertThat(config.getList(DanmakuKeys.GATEWAY_SAMPLING_ROOMS)).containsExactly("live.*=200", "big-show=50");
        assertThat(io.danmaku.gateway.room.SamplingRules.parse(config.getList(DanmakuKeys.GATEWAY_SAMPLING_ROOMS))
                .rateFor("live.7")).isEqualTo(200);

        for (String bad : List.of("gateway.sampling.rooms=live.*", "gateway.sampling.rooms=live.*=0",
                "gateway.sampling.rooms=live.*=fast", "gateway.sampling.rooms=live?=10",
                "gateway.sampling.rooms=live.*=200,=5")) {
            assertThatThrownBy(() -> new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(), List.of(bad)))
                    .as(bad)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("gateway.sampling.rooms")
                    .hasMessageContaining("pattern=rate");
        }
    }

    @Test
    void logSettingsComeFromTheVariablesTheChartSetsAndBadOnesAreNamed() {
        Config config = new ConfigLoader(DanmakuKeys.DEFINITION).load(null,
                Map.of("DANMAKU_LOG_FORMAT", "json", "DANMAKU_LOG_LEVEL", "warn,io.danmaku.logic=debug"), List.of());

        assertThat(config.getString(DanmakuKeys.LOG_FORMAT)).contains("json");
        assertThat(config.getString(DanmakuKeys.LOG_LEVEL)).contains("warn,io.danmaku.logic=debug");

        assertThatThrownBy(() -> new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(),
                List.of("log.format=yaml", "log.level=loud")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("log.format: \"yaml\" from flag --set (expected: a string; one of json, text)")
                .hasMessageContaining("log.level: \"loud\" from flag --set (expected: a string; comma-separated: a level");
    }
}
