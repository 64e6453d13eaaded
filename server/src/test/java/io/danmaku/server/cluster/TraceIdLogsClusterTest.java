package io.danmaku.server.cluster;

import static io.danmaku.server.cluster.ClusterStack.room;
import static io.danmaku.server.cluster.ClusterStack.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.json.Json;
import io.danmaku.server.logging.LogCapture;
import io.danmaku.server.logging.LogSettings;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.kafka.KafkaExtension;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A post's trace id across the distributed tiers, on the real Kafka broker and Redis Cluster: made by the gateway,
 * carried to logic in the PostBatch call and to storage in the Kafka record's header, and in the JSON log lines
 * about the post in each of them (logging configured by {@link io.danmaku.server.logging.LogSetup}, as the roles
 * do at start, with the lines kept in memory). A server API publish's trace id is its {@code traceparent}'s. And
 * a storage process started as {@code danmaku storage --set log.format=json} writes nothing but JSON lines to its
 * standard output, the one about the post with its trace id.
 */
@ExtendWith({KafkaExtension.class, RedisClusterExtension.class})
class TraceIdLogsClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String GATEWAY = "io.danmaku.gateway.protocol.centrifuge.CentrifugeHandler";
    private static final String LOGIC = "io.danmaku.logic.LogicService";
    private static final String STORAGE = "io.danmaku.storage.ingest.StorageService";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static LogCapture capture;
    static ClusterStack stack;
    static int gateway;
    static int logicHttp;

    @BeforeAll
    static void start(KafkaBroker kafka, RedisCluster redis, @TempDir Path dir) {
        capture = LogCapture.apply(LogSettings.of("json",
                "warn," + GATEWAY + "=trace," + LOGIC + "=debug," + STORAGE + "=trace", null));
        stack = new ClusterStack("tracelogs", kafka.bootstrapServers(), redis, "logic.blocked-words=forbidden");
        logicHttp = stack.startLogic().httpPort();
        stack.startStorage(dir.resolve("archive"));
        gateway = stack.startGateway(1).gatewayPort();
    }

    @AfterAll
    static void stop() {
        try {
            if (stack != null) {
                stack.close();
            }
        } finally {
            capture.close();
        }
    }

    @Test
    void aRefusedPostHasOneTraceIdAtTheGatewayAndInLogicAcrossGrpc() {
        String room = room("trace-refused");
        try (CentrifugeTestClient client = CentrifugeTestClient.connect(gateway, token("tina"))) {
            assertThat(client.publish(room, "forbidden words").path("error").path("message").asText())
                    .startsWith("blocked_word");
        }

        JsonNode atGateway = capture.awaitLine(GATEWAY, "DEBUG", "post refused: blocked_word", "(room " + room + ")",
                WAIT);
        JsonNode atLogic = capture.awaitLine(LOGIC, "DEBUG", "post refused: blocked_word", "(room " + room + ",",
                WAIT);
        assertThat(atGateway.path("trace_id").asText()).matches("[0-9a-f]{32}");
        assertThat(atLogic.path("trace_id").asText()).isEqualTo(atGateway.path("trace_id").asText());
    }

    @Test
    void anAcceptedPostHasOneTraceIdAtTheGatewayAndInStorageAcrossKafka() {
        String room = room("trace-accepted");
        try (CentrifugeTestClient client = CentrifugeTestClient.connect(gateway, token("tom"))) {
            assertThat(client.publish(room, "hello").has("publish")).isTrue();
        }

        JsonNode accepted = capture.awaitLine(GATEWAY, "TRACE", "post accepted: room " + room + " offset ", "", WAIT);
        String offset = accepted.path("message").asText().replaceAll(".* offset ", "");
        JsonNode stored = capture.awaitLine(STORAGE, "TRACE", "storage: wrote room " + room + " offset " + offset,
                "", WAIT);
        assertThat(accepted.path("trace_id").asText()).matches("[0-9a-f]{32}");
        assertThat(stored.path("trace_id").asText()).isEqualTo(accepted.path("trace_id").asText());
    }

    @Test
    void aServerApiPublishCarriesItsTraceparentsTraceIdToStorage() throws Exception {
        String room = room("trace-api");
        String trace = UUID.randomUUID().toString().replace("-", "");
        HttpResponse<String> response = publish(room, "00-" + trace + "-b7ad6b7169203331-01");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);

        JsonNode stored = capture.awaitLine(STORAGE, "TRACE", "storage: wrote room " + room + " offset ", "", WAIT);
        assertThat(stored.path("trace_id").asText()).isEqualTo(trace);
    }

    @Test
    void aStorageProcessStartedAsMainDoesWritesOnlyJsonLinesAndThePostsTraceId(@TempDir Path dir) throws Exception {
        List<String> settings = stack.settings("node.id=tracelogs-storage-process",
                "storage.group=" + stack.group() + "-process", "storage.archive.dir=" + dir.resolve("archive"),
                "log.format=json", "log.level=info," + STORAGE + "=trace");
        try (StorageProcess storage = StorageProcess.start("tracelogs", settings)) {
            String room = room("trace-process");
            String trace = UUID.randomUUID().toString().replace("-", "");
            HttpResponse<String> response = publish(room, "00-" + trace + "-b7ad6b7169203331-01");
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);

            await().atMost(WAIT).until(() -> Files.readString(storage.log(), StandardCharsets.UTF_8).contains(trace));
            List<JsonNode> lines = new ArrayList<>();
            for (String line : Files.readAllLines(storage.log(), StandardCharsets.UTF_8)) {
                JsonNode node = Json.MAPPER.readTree(line);
                assertThat(node.isObject()).as("a JSON object: %s", line).isTrue();
                assertThat(node.path("role").asText()).as(line).isEqualTo("storage");
                lines.add(node);
            }
            assertThat(lines).anySatisfy(line -> {
                assertThat(line.path("logger").asText()).isEqualTo(STORAGE);
                assertThat(line.path("level").asText()).isEqualTo("TRACE");
                assertThat(line.path("message").asText()).startsWith("storage: wrote room " + room + " offset ");
                assertThat(line.path("trace_id").asText()).isEqualTo(trace);
            });
        }
    }

    private static HttpResponse<String> publish(String room, String traceparent) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + logicHttp + "/api/publish"))
                .header("X-API-Key", ClusterStack.API_KEY)
                .header("traceparent", traceparent)
                .timeout(WAIT)
                .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"" + room + "\",\"data\":{\"text\":\"x\"}}"))
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
