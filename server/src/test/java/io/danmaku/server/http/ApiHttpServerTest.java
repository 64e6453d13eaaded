package io.danmaku.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.protocol.api.ApiRequest;
import io.danmaku.protocol.api.ApiResponse;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.storage.api.HistoryApi;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ApiHttpServerTest {
    private final AtomicReference<ApiRequest> seen = new AtomicReference<>();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private ApiHttpServer server;

    @BeforeEach
    void setUp() {
        // answers later, on another thread, like an API waiting for a store
        server = ApiHttpServer.start("test API", "test.port", "127.0.0.1", 0, request -> {
            seen.set(request);
            return CompletableFuture.supplyAsync(() -> ApiResponse.json(200,
                    "{\"path\":\"" + request.path() + "\",\"from\":\"" + request.query().get("from") + "\"}"));
        });
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return client.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A request no well-behaved client would send: written on a plain socket. */
    private String rawGet(String target) throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.port() + pathAndQuery);
    }

    @Test
    void handsTheDecodedRequestToTheApiAndWritesItsAnswer() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri(
                "/api/rooms/room%3A1/history?from=2024-05-01T20%3A00%3A00%2B08%3A00&limit=5&limit=6"))
                .header("X-Trace", "abc"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(r.body()).isEqualTo("{\"path\":\"/api/rooms/room:1/history\",\"from\":\"2024-05-01T20:00:00+08:00\"}");
        ApiRequest request = seen.get();
        assertThat(request.method()).isEqualTo("GET");
        assertThat(request.query()).containsEntry("limit", "5");
        assertThat(request.header("x-trace")).isEqualTo("abc");
    }

    @Test
    void aMalformedQueryOrAnOversizedBodyIsRefusedBeforeTheApi() throws Exception {
        String badQuery = rawGet("/api/rooms/a/history?from=%ZZ");
        HttpResponse<String> bigBody = send(HttpRequest.newBuilder(uri("/api/rooms/a/history"))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(ApiHttpServer.MAX_BODY_BYTES + 1))));

        assertThat(badQuery).startsWith("HTTP/1.1 400");
        assertThat(bigBody.statusCode()).isEqualTo(413);
        assertThat(seen.get()).isNull();
    }

    @Test
    void servesTheHistoryApi() throws Exception {
        server.close();
        MemoryHotStore store = new MemoryHotStore();
        server = ApiHttpServer.start("test API", "test.port", "127.0.0.1", 0,
                new HistoryApi(store, null, Clock.systemUTC(), io.danmaku.protocol.api.RoomReadAccess.OPEN,
                        new SimpleMeterRegistry()));

        HttpResponse<String> ok = send(HttpRequest.newBuilder(uri("/api/rooms/room-a/history?limit=10")));
        HttpResponse<String> bad = send(HttpRequest.newBuilder(uri("/api/rooms/room-a/history?limit=0")));
        HttpResponse<String> post = send(HttpRequest.newBuilder(uri("/api/rooms/room-a/history"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        HttpResponse<String> missing = send(HttpRequest.newBuilder(uri("/nothing/here")));

        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).contains("\"room\":\"room-a\"", "\"messages\":[]", "\"truncated\":false");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("limit: \\\"0\\\"");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(missing.statusCode()).isEqualTo(404);
        store.close();
    }
}
