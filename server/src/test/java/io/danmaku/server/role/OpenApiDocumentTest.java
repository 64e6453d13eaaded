package io.danmaku.server.role;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.logic.LogicService;
import io.danmaku.logic.api.ServerApi;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.danmaku.server.cli.RoleRunner;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.ConfigLoader;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.server.http.OpenApiDocument;
import io.danmaku.storage.api.HistoryApi;
import io.danmaku.storage.api.TimelineApi;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.swagger.parser.OpenAPIParser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document: valid OpenAPI 3.1 (swagger-parser), and in step with the servers: every path and method it
 * describes is answered (not 404/405) and every route the APIs answer is in it, on a running standalone server
 * (both APIs) and in the views that logic and storage serve.
 */
class OpenApiDocumentTest {
    private static final String API_KEY = "openapi-test-key";
    private static final Set<String> HTTP_METHODS = Set.of("get", "post", "put", "delete", "patch");
    private static final HttpClient http = HttpClient.newHttpClient();
    private static StandaloneRole role;
    private static RoleRunner runner;

    @BeforeAll
    static void start() {
        Config config = new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(), List.of(
                "gateway.host=127.0.0.1", "gateway.port=0", "admin.host=127.0.0.1", "admin.port=0",
                "api.key=" + API_KEY, "gateway.drain.window=0s"));
        role = new StandaloneRole();
        runner = new RoleRunner(config, role);
        runner.start();
    }

    @AfterAll
    static void stop() {
        runner.close();
    }

    private static HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + role.gatewayPort() + path))
                .header("X-API-Key", API_KEY).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** The document's path with its parameters filled in. */
    private static String concrete(String path) {
        return path.replace("{room}", "lobby");
    }

    @Test
    void isValidOpenApi31() {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        SwaggerParseResult result = new OpenAPIParser().readContents(OpenApiDocument.full().toString(), null, options);

        assertThat(result.getMessages()).isEmpty();
        assertThat(result.getOpenAPI().getOpenapi()).isEqualTo("3.1.0");
        assertThat(result.getOpenAPI().getPaths()).containsKeys("/api/publish", "/api/broadcast", "/api/ban",
                "/api/unban", "/api/mute", "/api/unmute", "/api/disconnect", "/api/subscribe", "/api/unsubscribe",
                "/api/refresh", "/api/presence", "/api/presence_stats", "/api/history", "/api/history_remove",
                "/api/channels", "/api/info", "/api/batch", "/api/stream_start", "/api/delete", "/api/delete_user_messages",
                "/api/rooms/{room}/history",
                "/api/rooms/{room}/timeline", OpenApiDocument.PATH);
    }

    @Test
    void theStandaloneServerServesItAndAnswersEveryDescribedOperationAndNoOtherMethod() throws Exception {
        HttpResponse<String> served = send("GET", OpenApiDocument.PATH, null);
        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(served.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        assertThat(Json.MAPPER.readTree(served.body())).isEqualTo(OpenApiDocument.full());

        JsonNode paths = OpenApiDocument.full().get("paths");
        for (String path : OpenApiDocument.paths(OpenApiDocument.full())) {
            Set<String> described = new HashSet<>();
            paths.get(path).fieldNames().forEachRemaining(described::add);
            for (String method : new TreeSet<>(HTTP_METHODS)) {
                HttpResponse<String> answer = send(method.toUpperCase(), concrete(path),
                        method.equals("get") ? null : "{}");
                if (described.contains(method)) {
                    assertThat(answer.statusCode()).as(method + " " + path + ": " + answer.body()).isNotIn(404, 405);
                    assertThat(paths.get(path).get(method).get("responses").has(String.valueOf(answer.statusCode())))
                            .as(method + " " + path + " answered " + answer.statusCode() + ", documented?").isTrue();
                } else {
                    assertThat(answer.statusCode()).as(method + " " + path + " is not described").isEqualTo(405);
                }
            }
        }
        for (String undescribed : List.of("/api/publis", "/api/rooms/lobby/archive", "/api/rooms/lobby", "/api/openapi.yaml")) {
            assertThat(send("POST", undescribed, "{}").statusCode()).as(undescribed).isEqualTo(404);
        }
    }

    @Test
    void logicServesTheServerApiRoutesExactly() {
        ServerApi api = new ServerApi(TierConfigs.logic(new ConfigLoader(DanmakuKeys.DEFINITION)
                .load(null, Map.of(), List.of("api.key=k"))), new LogicService(TierConfigs.logic(
                Config.defaults(DanmakuKeys.DEFINITION)), new MemoryMessageBus(), new MemoryHotStore(),
                new SimpleMeterRegistry(), Clock.systemUTC()), new SimpleMeterRegistry());
        ObjectNode served = OpenApiDocument.forPaths(OpenApiDocument.SERVER_API);

        List<String> routes = new ArrayList<>();
        api.methodNames().forEach(m -> routes.add(ServerApi.PATH_PREFIX + m));
        routes.add(OpenApiDocument.PATH);
        assertThat(OpenApiDocument.paths(served)).containsExactlyInAnyOrderElementsOf(routes);
        api.methodNames().forEach(m -> assertThat(fieldNames(served.get("paths").get(ServerApi.PATH_PREFIX + m)))
                .containsExactly("post"));
    }

    @Test
    void storageServesTheHistoryAndTimelineRoutesExactly() {
        ObjectNode served = OpenApiDocument.forPaths(OpenApiDocument.HISTORY_API);

        assertThat(OpenApiDocument.paths(served)).containsExactlyInAnyOrder(
                HistoryApi.PATH_PREFIX + "{room}" + HistoryApi.PATH_SUFFIX,
                HistoryApi.PATH_PREFIX + "{room}" + TimelineApi.PATH_SUFFIX, OpenApiDocument.PATH);
        assertThat(fieldNames(served.get("paths").get(HistoryApi.PATH_PREFIX + "{room}" + HistoryApi.PATH_SUFFIX)))
                .containsExactly("get");
        assertThat(fieldNames(served.get("paths").get(HistoryApi.PATH_PREFIX + "{room}" + TimelineApi.PATH_SUFFIX)))
                .containsExactly("get");
    }

    @Test
    void everyErrorCodeIsDescribed() {
        JsonNode codes = OpenApiDocument.full().at("/components/schemas/Error/properties/error/properties/code/enum");
        Set<Integer> described = new TreeSet<>();
        codes.forEach(c -> described.add(c.intValue()));

        assertThat(described).containsExactlyInAnyOrder(ServerApi.CODE_INTERNAL, ServerApi.CODE_UNAUTHORIZED,
                ServerApi.CODE_PERMISSION_DENIED, ServerApi.CODE_METHOD_NOT_FOUND, ServerApi.CODE_LIMIT_EXCEEDED,
                ServerApi.CODE_BAD_REQUEST, ServerApi.CODE_NOT_AVAILABLE, ServerApi.CODE_UNRECOVERABLE_POSITION);
        assertThat(Set.of(HistoryApi.CODE_INTERNAL, HistoryApi.CODE_METHOD_NOT_FOUND, HistoryApi.CODE_BAD_REQUEST,
                HistoryApi.CODE_NOT_AVAILABLE)).isSubsetOf(described);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
