package io.danmaku.server.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.server.Main;
import io.danmaku.server.cli.ShutdownHooks;
import io.danmaku.server.role.StandaloneRole;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import io.danmaku.testkit.ws.TestTokens;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code danmaku standalone --set log.format=json} run the way {@code main} runs it ({@link Main#execute} with the
 * role command configuring logging from its settings), its lines kept in memory: every line is a JSON object, and the
 * lines about a post, in the gateway, in logic and in storage, carry that post's trace id. Posts come through a real
 * WebSocket and through the server API with a W3C {@code traceparent}.
 */
class TraceIdLogsStandaloneTest {
    private static final String SECRET = "trace-logs-secret-trace-logs-secret-0123";
    private static final String API_KEY = "trace-logs-api-key";
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String GATEWAY = "io.danmaku.gateway.protocol.centrifuge.CentrifugeHandler";
    private static final String LOGIC = "io.danmaku.logic.LogicService";
    private static final String STORAGE = "io.danmaku.storage.ingest.StorageService";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static LogCapture capture;
    private static StandaloneRole role;
    private static volatile Runnable shutdown;
    private static CompletableFuture<Integer> exit;
    private static int port;

    @BeforeAll
    static void start() {
        capture = LogCapture.deferred();
        role = new StandaloneRole();
        ShutdownHooks hooks = drain -> {
            shutdown = drain;
            return () -> { };
        };
        String[] args = {"standalone",
            "--set", "log.format=json",
            "--set", "log.level=info," + GATEWAY + "=trace," + LOGIC + "=debug," + STORAGE + "=trace",
            "--set", "gateway.host=127.0.0.1", "--set", "gateway.port=0",
            "--set", "admin.host=127.0.0.1", "--set", "admin.port=0",
            "--set", "gateway.drain.window=0s", "--set", "token.hmac.secret=" + SECRET,
            "--set", "api.key=" + API_KEY, "--set", "logic.blocked-words=forbidden"};
        PrintWriter out = new PrintWriter(new StringWriter());
        exit = CompletableFuture.supplyAsync(() -> Main.execute(args, Map.of(), hooks, () -> role, out, out,
                capture.configure()));
        await().atMost(WAIT).until(() -> exit.isDone()
                || find(line -> line.path("message").asText().contains("ready: WebSocket")).isPresent());
        assertThat(exit).as("standalone exited at start: %s", capture.text()).isNotDone();
        port = role.gatewayPort();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (shutdown != null) {
                shutdown.run();
            }
            assertThat(exit.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
        } finally {
            capture.close();
        }
    }

    @Test
    void everyLineIsAJsonObjectWithTheStandardFields() {
        List<JsonNode> lines = capture.jsonLines();

        assertThat(lines).isNotEmpty().allSatisfy(line -> {
            assertThat(line.path("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
            assertThat(line.path("level").asText()).isIn("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
            assertThat(line.path("logger").asText()).isNotEmpty();
            assertThat(line.path("thread").asText()).isNotEmpty();
            assertThat(line.has("message")).isTrue();
            assertThat(line.path("role").asText()).isEqualTo("standalone");
        });
        assertThat(lines).anySatisfy(line -> assertThat(line.path("message").asText())
                .startsWith("Starting StandaloneRole with the effective configuration"));
    }

    @Test
    void aRefusedWebSocketPostHasOneTraceIdInTheGatewayAndInLogic() {
        String room = room();
        try (CentrifugeTestClient client = CentrifugeTestClient.connect(port, TestTokens.hs256(SECRET, "ann", "Ann"))) {
            JsonNode reply = client.publish(room, "a forbidden word");
            assertThat(reply.path("error").path("message").asText()).startsWith("blocked_word");
        }

        JsonNode atGateway = awaitLine(GATEWAY, "DEBUG", "post refused: blocked_word", "(room " + room + ")");
        String trace = atGateway.path("trace_id").asText();
        assertThat(trace).matches("[0-9a-f]{32}");
        JsonNode arrived = awaitLine(GATEWAY, "TRACE", "post to room " + room + " ", "");
        JsonNode atLogic = awaitLine(LOGIC, "DEBUG", "post refused: blocked_word", "(room " + room + ", user ann)");
        assertThat(arrived.path("trace_id").asText()).isEqualTo(trace);
        assertThat(atLogic.path("trace_id").asText()).isEqualTo(trace);
    }

    @Test
    void anAcceptedWebSocketPostHasOneTraceIdInTheGatewayAndInStorage() {
        String room = room();
        try (CentrifugeTestClient client = CentrifugeTestClient.connect(port, TestTokens.hs256(SECRET, "bob", "Bob"))) {
            assertThat(client.publish(room, "hello").has("publish")).isTrue();
        }

        JsonNode accepted = awaitLine(GATEWAY, "TRACE", "post accepted: room " + room + " offset ", "");
        String trace = accepted.path("trace_id").asText();
        assertThat(trace).matches("[0-9a-f]{32}");
        String offset = accepted.path("message").asText().replaceAll(".* offset ", "");
        JsonNode stored = awaitLine(STORAGE, "TRACE", "storage: wrote room " + room + " offset " + offset, "");
        assertThat(stored.path("trace_id").asText()).isEqualTo(trace);
        assertThat(stored.path("thread").asText()).isNotEqualTo(accepted.path("thread").asText());
    }

    @Test
    void aServerApiPublishTakesTheTraceIdOfItsTraceparentToStorageAndIntoItsRefusals() throws Exception {
        String room = room();
        String trace = UUID.randomUUID().toString().replace("-", "");
        HttpResponse<String> ok = api("/api/publish", "{\"channel\":\"" + room + "\",\"data\":{\"text\":\"notice\"}}",
                "00-" + trace + "-00f067aa0ba902b7-01");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);

        JsonNode stored = awaitLine(STORAGE, "TRACE", "storage: wrote room " + room + " offset ", "");
        assertThat(stored.path("trace_id").asText()).isEqualTo(trace);

        String refusedTrace = UUID.randomUUID().toString().replace("-", "");
        HttpResponse<String> refused = api("/api/broadcast", "{\"channels\":[\"" + room + "\",\"" + room()
                + "\"],\"data\":{\"text\":\"forbidden\"}}", "00-" + refusedTrace + "-00f067aa0ba902b7-00");
        assertThat(refused.statusCode()).isEqualTo(400);
        JsonNode atLogic = awaitLine(LOGIC, "DEBUG", "server API publish to 2 rooms refused: blocked_word", "");
        assertThat(atLogic.path("trace_id").asText()).isEqualTo(refusedTrace);
    }

    @Test
    void aServerApiPublishWithoutAValidTraceparentGetsATraceIdOfItsOwn() throws Exception {
        String room = room();
        HttpResponse<String> ok = api("/api/publish", "{\"channel\":\"" + room + "\",\"data\":{\"text\":\"hi\"}}",
                "00-" + "0".repeat(32) + "-00f067aa0ba902b7-01");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);

        JsonNode stored = awaitLine(STORAGE, "TRACE", "storage: wrote room " + room + " offset ", "");
        assertThat(stored.path("trace_id").asText()).matches("[0-9a-f]{32}").isNotEqualTo("0".repeat(32));
    }

    private static String room() {
        return "trace-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static HttpResponse<String> api(String path, String body, String traceparent) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("X-API-Key", API_KEY).header("traceparent", traceparent).timeout(WAIT)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode awaitLine(String logger, String level, String what, String part) {
        return capture.awaitLine(logger, level, what, part, WAIT);
    }

    private static Optional<JsonNode> find(Predicate<JsonNode> wanted) {
        return capture.find(wanted);
    }
}
