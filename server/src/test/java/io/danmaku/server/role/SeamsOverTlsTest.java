package io.danmaku.server.role;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.DanmakuException;
import io.danmaku.protocol.json.Json;
import io.danmaku.server.cli.RoleRunner;
import io.danmaku.server.config.ConfigLoader;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.redis.TlsRedis;
import io.danmaku.testkit.tls.TestCa;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A logic role whose bus and store are reached over TLS only, through the configuration a deployment would use
 * ({@code bus.kafka.tls.*}, {@code rediss://} with {@code store.redis.tls.*}): a real broker whose SSL listener
 * requires a client certificate, a real Redis that speaks only TLS and requires one too. A publish through the
 * server API is accepted only once Kafka acknowledged it, and a repeated idempotency key is answered from Redis.
 */
class SeamsOverTlsTest {
    @TempDir
    Path dir;

    @Test
    void logicPublishesThroughKafkaAndRedisOverMutualTls() throws Exception {
        TestCa ca = TestCa.create("seams-ca");
        Path caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        TestCa.PemFiles kafkaFiles = ca.issueServer("kafka").writeTo(dir, "kafka");
        TestCa.PemFiles redisFiles = ca.issueServer("redis").writeTo(dir, "redis");
        TestCa.PemFiles client = ca.issueClient("danmaku-logic").writeTo(dir, "client");
        try (KafkaBroker kafka = KafkaBroker.launchWithTls(kafkaFiles.certFile(), kafkaFiles.keyFile(), caFile, true);
             TlsRedis redis = TlsRedis.start(dir, redisFiles.certFile(), redisFiles.keyFile(), caFile, true)) {
            LogicRole logic = new LogicRole();
            try (RoleRunner runner = new RoleRunner(new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(),
                    List.of("bus.type=kafka", "bus.kafka.bootstrap-servers=" + kafka.tlsBootstrapServers(),
                            "bus.kafka.partitions=1", "bus.kafka.connect-wait=0s",
                            "bus.kafka.tls.enabled=true", "bus.kafka.tls.ca-file=" + caFile,
                            "bus.kafka.tls.cert-file=" + client.certFile(),
                            "bus.kafka.tls.key-file=" + client.keyFile(),
                            "store.type=redis", "store.redis.mode=single", "store.redis.uris=" + redis.uri(),
                            "store.redis.connect-wait=0s", "store.redis.tls.ca-file=" + caFile,
                            "store.redis.tls.cert-file=" + client.certFile(),
                            "store.redis.tls.key-file=" + client.keyFile(),
                            "api.key=seams-api-key", "admin.host=127.0.0.1", "admin.port=0",
                            "logic.grpc.host=127.0.0.1", "logic.grpc.port=0",
                            "logic.http.host=127.0.0.1", "logic.http.port=0")), logic)) {
                runner.start();
                HttpClient http = HttpClient.newHttpClient();
                ObjectNode body = Json.MAPPER.createObjectNode().put("channel", "tls-room")
                        .put("idempotency_key", "once");
                body.putObject("data").put("text", "over tls to both");
                HttpRequest publish = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + logic.httpPort()
                                + "/api/publish")).header("X-API-Key", "seams-api-key")
                        .timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
                HttpResponse<String> first = http.send(publish, HttpResponse.BodyHandlers.ofString());
                assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
                HttpResponse<String> again = http.send(publish, HttpResponse.BodyHandlers.ofString());
                assertThat(again.statusCode()).isEqualTo(200);
                assertThat(Json.MAPPER.readTree(again.body())).as("the first answer, kept in Redis")
                        .isEqualTo(Json.MAPPER.readTree(first.body()));
            }
        }
    }

    /**
     * Redis requires a client certificate and the role has none: the start fails at once (not retried for
     * store.redis.connect-wait: waiting does not bring a certificate) with a message naming the settings to set.
     */
    @Test
    void aRoleWithoutTheClientCertificateRedisRequiresFailsAtStartNamingTheSetting() {
        TestCa ca = TestCa.create("seams-ca");
        Path caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        TestCa.PemFiles redisFiles = ca.issueServer("redis").writeTo(dir, "redis");
        try (TlsRedis redis = TlsRedis.start(dir, redisFiles.certFile(), redisFiles.keyFile(), caFile, true);
             RoleRunner runner = new RoleRunner(new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(),
                     List.of("bus.type=kafka", "bus.kafka.bootstrap-servers=127.0.0.1:1",
                             "bus.kafka.connect-wait=0s",
                             "store.type=redis", "store.redis.mode=single", "store.redis.uris=" + redis.uri(),
                             "store.redis.connect-wait=60s", "store.redis.tls.ca-file=" + caFile,
                             "api.key=seams-api-key", "admin.host=127.0.0.1", "admin.port=0",
                             "logic.grpc.host=127.0.0.1", "logic.grpc.port=0",
                             "logic.http.host=127.0.0.1", "logic.http.port=0")), new LogicRole())) {
            long started = System.nanoTime();
            assertThatThrownBy(runner::start)
                    .isInstanceOfSatisfying(DanmakuException.class, e -> assertThat(e.retriable()).isFalse())
                    .hasMessageContaining("requires a client certificate")
                    .hasMessageContaining("store.redis.tls.cert-file");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("not retried for the connect wait")
                    .isLessThan(Duration.ofSeconds(20));
        }
    }
}
