package io.danmaku.server.role;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.protocol.json.Json;
import io.danmaku.server.cli.RoleRunner;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.ConfigException;
import io.danmaku.server.config.ConfigLoader;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.testkit.tls.TestCa;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TLS settings through the configuration and the roles: wiring, and every refusal before a port is bound. */
class TlsSettingsTest {
    @TempDir
    Path dir;
    TestCa ca;
    TestCa.PemFiles server;

    @BeforeEach
    void certificates() {
        ca = TestCa.create("danmaku-test-ca");
        server = ca.issueServer("gateway").writeTo(dir, "gateway");
    }

    private static Config load(String... settings) {
        return new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(), List.of(settings));
    }

    @Test
    void standaloneServesTheDemoTokenOverHttpsAndTheWebSocketOverWss() throws Exception {
        StandaloneRole role = new StandaloneRole();
        try (RoleRunner runner = new RoleRunner(load("gateway.host=127.0.0.1", "gateway.port=0", "admin.port=0",
                "gateway.drain.window=0s", "gateway.tls.cert-file=" + server.certFile(),
                "gateway.tls.key-file=" + server.keyFile()), role)) {
            runner.start();
            TestCa.RecordingTrust trust = ca.trust();
            HttpResponse<String> res = HttpClient.newBuilder().sslContext(trust.context()).build().send(
                    HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + role.gatewayPort() + "/demo/token"))
                            .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"tls user\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(res.statusCode()).isEqualTo(200);
            String token = Json.MAPPER.readTree(res.body()).path("token").asText();
            try (var c = CentrifugeTestClient.connect(
                    URI.create("wss://127.0.0.1:" + role.gatewayPort() + "/connection/websocket"), trust.context(),
                    token)) {
                c.subscribe("lobby");
                assertThat(c.publish("lobby", "hello over wss").has("publish")).isTrue();
                assertThat(c.awaitPublications("lobby", 1).get(0).path("data").path("text").asText())
                        .isEqualTo("hello over wss");
            }
        }
    }

    @Test
    void standaloneServesItsAdminPortOverHttpsOnly() throws Exception {
        StandaloneRole role = new StandaloneRole();
        try (RoleRunner runner = new RoleRunner(load("gateway.host=127.0.0.1", "gateway.port=0", "admin.host=127.0.0.1",
                "admin.port=0", "gateway.drain.window=0s", "admin.tls.cert-file=" + server.certFile(),
                "admin.tls.key-file=" + server.keyFile()), role)) {
            runner.start();
            TestCa.RecordingTrust trust = ca.trust();
            HttpResponse<String> res = HttpClient.newBuilder().sslContext(trust.context()).build().send(
                    HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + runner.adminPort() + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(res.body()).isEqualTo("ok\n");
            assertThat(trust.last().getSubjectX500Principal().getName()).isEqualTo("CN=gateway");
            assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + runner.adminPort() + "/healthz"))
                            .timeout(java.time.Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(java.io.IOException.class);
        }
    }

    @Test
    void aMissingKeyFileIsNamedWhenTheConfigurationLoads() {
        Path absent = dir.resolve("absent.key");
        assertThatThrownBy(() -> load("gateway.tls.cert-file=" + server.certFile(), "gateway.tls.key-file=" + absent))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("gateway.tls.key-file: \"" + absent + "\" from flag --set")
                .hasMessageContaining("an existing readable file");
    }

    @Test
    void aCertificateWithoutItsKeyIsRefused() {
        assertThatThrownBy(() -> load("gateway.tls.cert-file=" + server.certFile()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("gateway.tls.cert-file: " + server.certFile())
                .hasMessageContaining("expected: set together with gateway.tls.key-file, which is unset");
        assertThatThrownBy(() -> load("logic.grpc.tls.key-file=" + server.keyFile()))
                .hasMessageContaining("expected: set together with logic.grpc.tls.cert-file, which is unset");
    }

    @Test
    void clientFilesWithoutTlsToLogicEnabledAreRefusedRatherThanIgnored() {
        Path caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        assertThatThrownBy(() -> load("gateway.logic.tls.ca-file=" + caFile))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("expected: set only with gateway.logic.tls.enabled, which is false");
        assertThatThrownBy(() -> load("logic.grpc.tls.client-ca-file=" + caFile))
                .hasMessageContaining("expected: set only with logic.grpc.tls.cert-file, which is <unset>");
    }

    @Test
    void unusableFilesStopEachRoleBeforeAnyPortIsBound() throws Exception {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate\n");
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            // every port of the role is one already taken: binding anything would fail with another error
            String port = String.valueOf(taken.getLocalPort());
            List<String> common = List.of("admin.host=127.0.0.1", "admin.port=" + port, "gateway.host=127.0.0.1",
                    "gateway.port=" + port, "logic.grpc.host=127.0.0.1", "logic.grpc.port=" + port,
                    "logic.http.host=127.0.0.1", "logic.http.port=" + port);

            assertThatThrownBy(() -> start(new GatewayRole(), common, "gateway.tls.cert-file=" + garbage,
                    "gateway.tls.key-file=" + server.keyFile()))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("gateway.tls.cert-file: " + garbage);
            assertThatThrownBy(() -> start(new StandaloneRole(), common, "gateway.tls.cert-file=" + server.certFile(),
                    "gateway.tls.key-file=" + garbage))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("gateway.tls.key-file: " + garbage);
            assertThatThrownBy(() -> start(new LogicRole(), common, "logic.grpc.tls.cert-file=" + garbage,
                    "logic.grpc.tls.key-file=" + server.keyFile()))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("logic.grpc.tls.cert-file: " + garbage);
            assertThatThrownBy(() -> start(new LogicRole(), common, "logic.http.tls.cert-file=" + server.certFile(),
                    "logic.http.tls.key-file=" + garbage))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("logic.http.tls.key-file: " + garbage);
            assertThatThrownBy(() -> start(new StorageRole(), common, "storage.http.tls.cert-file=" + garbage,
                    "storage.http.tls.key-file=" + server.keyFile()))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("storage.http.tls.cert-file: " + garbage);
            TestCa.PemFiles other = ca.issueServer("other").writeTo(dir, "other");
            assertThatThrownBy(() -> start(new StandaloneRole(), common, "admin.tls.cert-file=" + server.certFile(),
                    "admin.tls.key-file=" + other.keyFile()))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("admin.tls.key-file: " + other.keyFile() + " (expected: the private key of "
                            + "the first certificate in admin.tls.cert-file");
            assertThatThrownBy(() -> start(new GatewayRole(), common, "gateway.logic.tls.enabled=true",
                    "gateway.logic.tls.ca-file=" + garbage))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("gateway.logic.tls.ca-file");
        }
    }

    @Test
    void kafkaAndRedisTlsSettingsReachTheClientsAndInconsistentOnesAreRefused() throws Exception {
        Path caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate\n");
        assertThatThrownBy(() -> load("bus.kafka.tls.ca-file=" + caFile))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("expected: set only with bus.kafka.tls.enabled, which is false");
        assertThatThrownBy(() -> load("store.redis.tls.cert-file=" + server.certFile()))
                .hasMessageContaining("expected: set together with store.redis.tls.key-file, which is unset");
        List<String> distributed = List.of("bus.type=kafka", "store.type=redis", "admin.port=0",
                "logic.grpc.port=0", "logic.http.port=0");
        // read while the role is prepared, before anything connects or binds
        assertThatThrownBy(() -> new LogicRole().prepare(load(concat(distributed, "bus.kafka.tls.enabled=true",
                "bus.kafka.tls.ca-file=" + garbage))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("bus.kafka.tls.ca-file: " + garbage + " (expected: a PEM file)");
        assertThatThrownBy(() -> new LogicRole().prepare(load(concat(distributed,
                "store.redis.uris=redis://127.0.0.1:7000", "store.redis.tls.ca-file=" + caFile))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("store.redis.tls: set while store.redis.uris [redis://127.0.0.1:7000] are not "
                        + "all rediss://");
        new LogicRole().prepare(load(concat(distributed, "bus.kafka.tls.enabled=true", "bus.kafka.tls.ca-file="
                + caFile, "store.redis.uris=rediss://127.0.0.1:7000", "store.redis.tls.ca-file=" + caFile)));
    }

    private static String[] concat(List<String> common, String... more) {
        List<String> all = new ArrayList<>(common);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static void start(Role role, List<String> common, String... settings) {
        List<String> all = new ArrayList<>(common);
        all.addAll(List.of(settings));
        try (RoleRunner runner = new RoleRunner(load(all.toArray(String[]::new)), role)) {
            runner.start();
        }
    }
}
