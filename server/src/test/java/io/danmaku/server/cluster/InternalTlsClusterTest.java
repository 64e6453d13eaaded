package io.danmaku.server.cluster;

import static io.danmaku.server.cluster.ClusterStack.room;
import static io.danmaku.server.cluster.ClusterStack.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.json.Json;
import io.danmaku.server.role.GatewayRole;
import io.danmaku.server.role.LogicRole;
import io.danmaku.server.role.Role;
import io.danmaku.server.role.StorageRole;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.kafka.KafkaExtension;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import io.danmaku.testkit.tls.TestCa;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A distributed deployment with every tier-to-tier listener on TLS (certificates of a test authority): logic's
 * server API and gRPC port, storage's history API and every role's admin port. A backend publishes over HTTPS, a
 * client posts through a gateway (to logic over TLS), both are read back from storage over HTTPS, the admin ports
 * answer over HTTPS only, and plaintext gets nothing from any of them.
 */
@ExtendWith({KafkaExtension.class, RedisClusterExtension.class})
class InternalTlsClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void everyInternalListenerSpeaksTlsAndTheTiersWorkThroughIt(KafkaBroker kafka, RedisCluster redis,
                                                               @TempDir Path dir) throws Exception {
        TestCa ca = TestCa.create("danmaku-internal-ca");
        Path caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        TestCa.PemFiles logic = ca.issueServer("logic").writeTo(dir, "logic");
        TestCa.PemFiles storage = ca.issueServer("storage").writeTo(dir, "storage");
        TestCa.PemFiles admin = ca.issueServer("admin").writeTo(dir, "admin");
        try (ClusterStack stack = new ClusterStack("tls", kafka.bootstrapServers(), redis,
                "admin.tls.cert-file=" + admin.certFile(), "admin.tls.key-file=" + admin.keyFile(),
                "logic.http.tls.cert-file=" + logic.certFile(), "logic.http.tls.key-file=" + logic.keyFile(),
                "logic.grpc.tls.cert-file=" + logic.certFile(), "logic.grpc.tls.key-file=" + logic.keyFile(),
                "storage.http.tls.cert-file=" + storage.certFile(), "storage.http.tls.key-file=" + storage.keyFile(),
                "gateway.logic.tls.enabled=true", "gateway.logic.tls.ca-file=" + caFile)) {
            LogicRole logicRole = stack.startLogic();
            StorageRole storageRole = stack.start(new StorageRole(), "node.id=tls-storage",
                    "storage.archive.dir=" + dir.resolve("archive"));
            GatewayRole gateway = stack.startGateway(1);
            TestCa.RecordingTrust trust = ca.trust();
            HttpClient https = HttpClient.newBuilder().sslContext(trust.context())
                    .connectTimeout(Duration.ofSeconds(5)).build();
            String room = room("tls");

            // a backend over HTTPS
            ObjectNode body = Json.MAPPER.createObjectNode().put("channel", room);
            body.putObject("data").put("text", "from the backend");
            HttpResponse<String> published = https.send(HttpRequest.newBuilder(
                            URI.create("https://127.0.0.1:" + logicRole.httpPort() + "/api/publish"))
                    .header("X-API-Key", ClusterStack.API_KEY)
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(published.statusCode()).as(published.body()).isEqualTo(200);
            assertThat(trust.last().getSubjectX500Principal().getName()).isEqualTo("CN=logic");

            // a client through the gateway, whose posts reach logic over gRPC with TLS
            try (var client = CentrifugeTestClient.connect(gateway.gatewayPort(), token("tls-user"))) {
                client.subscribe(room);
                assertThat(client.publish(room, "from a client").has("publish")).as("accepted").isTrue();
            }

            // both read back from storage over HTTPS
            HttpRequest history = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + storageRole.httpPort()
                    + "/api/rooms/" + room + "/history")).header("X-API-Key", ClusterStack.API_KEY).build();
            await().atMost(WAIT).untilAsserted(() -> {
                HttpResponse<String> res = https.send(history, HttpResponse.BodyHandlers.ofString());
                assertThat(res.statusCode()).isEqualTo(200);
                assertThat(res.body()).contains("from the backend").contains("from a client");
            });
            assertThat(trust.last().getSubjectX500Principal().getName()).isEqualTo("CN=storage");

            // every admin port over HTTPS
            for (Role role : List.of(logicRole, storageRole, gateway)) {
                HttpResponse<String> ready = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:"
                        + stack.adminPort(role) + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(ready.statusCode()).as(role.getClass().getSimpleName()).isEqualTo(200);
                assertThat(trust.last().getSubjectX500Principal().getName()).isEqualTo("CN=admin");
            }

            // plaintext gets nothing
            HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            for (int port : new int[] {logicRole.httpPort(), storageRole.httpPort(), stack.adminPort(gateway)}) {
                assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/healthz")).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()))
                        .as("plain HTTP to port %d", port)
                        .isInstanceOf(IOException.class);
            }
        }
    }
}
