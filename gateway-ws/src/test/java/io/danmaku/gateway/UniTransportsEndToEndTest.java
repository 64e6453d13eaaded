package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.json.Json;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import io.danmaku.testkit.ws.TestTokens;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The unidirectional transports, {@code uni_sse} and {@code uni_http_stream}, read by a plain HTTP client over
 * loopback: the connect push, publications of a room (the same ones a WebSocket member gets), pings, recovery
 * after a reconnect, and what each kind of bad request gets.
 */
class UniTransportsEndToEndTest {
    static GatewayHarness gw;
    static GatewayHarness closed;

    /**
     * A client of its own per request: a pooled connection could outlive the server's idle deadline between
     * requests ({@code gateway.handshake.timeout}) on a loaded machine.
     */
    static HttpClient http() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @BeforeAll
    static void start() throws Exception {
        gw = new GatewayHarness(GatewayConfig.builder()
                .batchWindow(Duration.ofMillis(20))
                .ringSize(16)
                .pingInterval(Duration.ofMillis(300))
                .allowedOrigins(List.of("https://site.example"))
                .build(), true);
        closed = new GatewayHarness(GatewayConfig.builder().build(), false);
    }

    @AfterAll
    static void stop() {
        gw.close();
        closed.close();
    }

    static String token(String user) {
        return TestTokens.hs256(GatewayHarness.SECRET, user, "Name " + user);
    }

    /** A streamed response read line by line on a thread of its own; pushes as they arrive. */
    static final class Stream implements AutoCloseable {
        final HttpResponse<InputStream> response;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final boolean sse;
        volatile boolean ended;

        Stream(HttpResponse<InputStream> response, boolean sse) {
            this.response = response;
            this.sse = sse;
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(response.body(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (Exception ignored) {
                    // closed by the test
                } finally {
                    ended = true;
                    lines.add("<end>");
                }
            }, "uni-reader");
            t.setDaemon(true);
            t.start();
        }

        /** The next push (an SSE event's data, or a stream line); null at the end of the stream. */
        JsonNode next() throws Exception {
            while (true) {
                String line = lines.poll(10, TimeUnit.SECONDS);
                assertThat(line).as("a push within 10 s").isNotNull();
                if (line.equals("<end>")) {
                    return null;
                }
                if (sse) {
                    if (line.isEmpty()) {
                        continue; // the blank line ending an event
                    }
                    assertThat(line).startsWith("data: ");
                    line = line.substring("data: ".length());
                }
                return Json.MAPPER.readTree(line);
            }
        }

        /** The next push that is not a ping. */
        JsonNode nextNonPing() throws Exception {
            for (int i = 0; i < 100; i++) {
                JsonNode n = next();
                if (n == null || n.size() > 0) {
                    return n;
                }
            }
            throw new AssertionError("only pings");
        }

        List<JsonNode> publications(int n) throws Exception {
            List<JsonNode> out = new ArrayList<>();
            for (int i = 0; i < 200 && out.size() < n; i++) {
                JsonNode p = next();
                assertThat(p).as("stream ended after %s publications", out.size()).isNotNull();
                if (p.has("pub")) {
                    out.add(p);
                }
            }
            return out;
        }

        @Override
        public void close() {
            try {
                response.body().close();
            } catch (Exception ignored) {
                // already closed
            }
        }
    }

    static Stream sse(GatewayHarness g, String connectJson) throws Exception {
        String q = connectJson == null ? "" : "?cf_connect=" + URLEncoder.encode(connectJson, StandardCharsets.UTF_8);
        HttpResponse<InputStream> r = http().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + g.port() + "/connection/uni_sse" + q)).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        return new Stream(r, true);
    }

    static Stream httpStream(GatewayHarness g, String connectJson) throws Exception {
        return httpStream(g, connectJson, Map.of());
    }

    /** An HTTP stream whose connect request carries {@code headers} too. */
    static Stream httpStream(GatewayHarness g, String connectJson, Map<String, String> headers) throws Exception {
        HttpRequest.Builder req = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + g.port() + "/connection/uni_http_stream"))
                .POST(HttpRequest.BodyPublishers.ofString(connectJson));
        headers.forEach(req::header);
        HttpResponse<InputStream> r = http().send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
        return new Stream(r, false);
    }

    static List<String> texts(List<JsonNode> pushes) {
        return pushes.stream().map(p -> p.path("pub").path("data").path("text").asText()).toList();
    }

    @Test
    void sseReaderGetsTheConnectPushThenTheRoomsPublicationsLikeAWebSocketMember() throws Exception {
        String room = "uni-sse-room";
        try (Stream s = sse(gw, "{\"token\":\"" + token("ann") + "\",\"subs\":{\"" + room + "\":{}}}");
             var ws = CentrifugeTestClient.connect(gw.port(), null)) {
            assertThat(s.response.statusCode()).isEqualTo(200);
            assertThat(s.response.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
            assertThat(s.response.headers().firstValue("x-accel-buffering")).hasValue("no");
            assertThat(s.response.headers().firstValue("cache-control").orElse("")).contains("no-cache");
            assertThat(s.response.headers().firstValue("connection")).hasValue("close");
            JsonNode connect = s.next();
            assertThat(connect.path("connect").path("client").asText()).isNotEmpty();
            assertThat(connect.path("connect").path("ping").asInt()).isEqualTo(1);
            assertThat(connect.path("connect").has("pong")).isFalse();
            JsonNode sub = connect.path("connect").path("subs").path(room);
            assertThat(sub.path("recoverable").asBoolean()).as("connect %s", connect).isTrue();
            assertThat(sub.path("epoch").asText()).isNotEmpty();
            ws.subscribe(room);
            for (int i = 0; i < 5; i++) {
                gw.publish(room, "sse " + i);
            }
            List<JsonNode> pubs = s.publications(5);
            assertThat(texts(pubs)).containsExactly("sse 0", "sse 1", "sse 2", "sse 3", "sse 4");
            assertThat(pubs).allSatisfy(p -> assertThat(p.path("channel").asText()).isEqualTo(room));
            List<JsonNode> atWs = ws.awaitPublications(room, 5);
            for (int i = 0; i < 5; i++) {
                assertThat(pubs.get(i).path("pub").path("offset").asLong())
                        .isEqualTo(atWs.get(i).path("offset").asLong());
                assertThat(pubs.get(i).path("pub").path("data")).isEqualTo(atWs.get(i).path("data"));
            }
            // the server pings every interval: an empty push, no answer expected
            JsonNode ping = null;
            for (int i = 0; i < 20 && ping == null; i++) {
                JsonNode n = s.next();
                if (n != null && n.isObject() && n.size() == 0) {
                    ping = n;
                }
            }
            assertThat(ping).as("a ping {}").isNotNull();
        }
    }

    @Test
    void sseAlsoTakesTheConnectRequestAsAPostBody() throws Exception {
        String room = "uni-sse-post";
        HttpResponse<InputStream> r = http().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gw.port() + "/connection/uni_sse"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"subs\":{\"" + room + "\":{}}}")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (Stream s = new Stream(r, true)) {
            assertThat(s.next().path("connect").path("subs").has(room)).isTrue();
            gw.publish(room, "posted");
            assertThat(texts(s.publications(1))).containsExactly("posted");
        }
    }

    @Test
    void httpStreamReaderGetsNewlineDelimitedPushes() throws Exception {
        String room = "uni-stream-room";
        try (Stream s = httpStream(gw, "{\"subs\":{\"" + room + "\":{}}}")) {
            assertThat(s.response.statusCode()).isEqualTo(200);
            assertThat(s.response.headers().firstValue("x-accel-buffering")).hasValue("no");
            assertThat(s.response.headers().firstValue("transfer-encoding")).hasValue("chunked");
            assertThat(s.next().path("connect").path("subs").has(room)).isTrue();
            gw.bus.publish(List.of(CentrifugeEndToEndTest.msg(room, "a"), CentrifugeEndToEndTest.msg(room, "b"),
                    CentrifugeEndToEndTest.msg(room, "c"))).join();
            assertThat(texts(s.publications(3))).containsExactly("a", "b", "c");
        }
    }

    @Test
    void aReconnectingReaderRecoversWhatItMissedByOffsetAndEpoch() throws Exception {
        String room = "uni-recover";
        long last;
        String epoch;
        try (var keeper = CentrifugeTestClient.connect(gw.port(), null)) {
            keeper.subscribe(room); // keeps the room's ring alive between the two readers
            try (Stream s = httpStream(gw, "{\"subs\":{\"" + room + "\":{}}}")) {
                epoch = s.next().path("connect").path("subs").path(room).path("epoch").asText();
                gw.publish(room, "seen 1");
                gw.publish(room, "seen 2");
                last = s.publications(2).get(1).path("pub").path("offset").asLong();
            }
            gw.publish(room, "missed 1");
            gw.publish(room, "missed 2");
            keeper.awaitPublications(room, 4);
            try (Stream s = sse(gw, "{\"subs\":{\"" + room + "\":{\"recover\":true,\"offset\":" + last
                    + ",\"epoch\":\"" + epoch + "\"}}}")) {
                JsonNode sub = s.next().path("connect").path("subs").path(room);
                assertThat(sub.path("was_recovering").asBoolean()).as("sub %s", sub).isTrue();
                assertThat(sub.path("recovered").asBoolean()).as("sub %s", sub).isTrue();
                List<String> recovered = new ArrayList<>();
                sub.path("publications").forEach(p -> recovered.add(p.path("data").path("text").asText()));
                assertThat(recovered).containsExactly("missed 1", "missed 2");
                gw.publish(room, "live");
                assertThat(texts(s.publications(1))).containsExactly("live");
            }
            // a wrong epoch: not recovered, told so
            try (Stream s = sse(gw, "{\"subs\":{\"" + room + "\":{\"recover\":true,\"offset\":1,\"epoch\":\"x\"}}}")) {
                JsonNode sub = s.next().path("connect").path("subs").path(room);
                assertThat(sub.path("was_recovering").asBoolean()).isTrue();
                assertThat(sub.path("recovered").asBoolean()).isFalse();
            }
        }
    }

    @Test
    void theTokensRoomsAreJoinedAtConnectAndRoomsItDoesNotAllowAreNot() throws Exception {
        String t = TestTokens.hs256(GatewayHarness.SECRET, "bea", "Bea", Instant.now().plusSeconds(600),
                Set.of("uni-claim-a"));
        try (Stream s = httpStream(gw, "{\"token\":\"" + t + "\",\"subs\":{\"uni-claim-b\":{}}}")) {
            JsonNode subs = s.next().path("connect").path("subs");
            assertThat(subs.has("uni-claim-a")).as("subs %s", subs).isTrue();
            assertThat(subs.has("uni-claim-b")).as("not in the rooms claim: %s", subs).isFalse();
            gw.publish("uni-claim-a", "claimed");
            assertThat(texts(s.publications(1))).containsExactly("claimed");
        }
    }

    @Test
    void aBadOrMissingTokenIsADisconnectPushAndTheEndOfTheStream() throws Exception {
        try (Stream s = sse(gw, "{\"token\":\"not.a.jwt\"}")) {
            assertThat(s.response.statusCode()).isEqualTo(200);
            JsonNode d = s.next();
            assertThat(d.path("disconnect").path("code").asInt()).as("push %s", d).isEqualTo(3500);
            assertThat(d.path("disconnect").path("reason").asText()).isEqualTo("invalid token");
            assertThat(s.next()).as("the stream ends").isNull();
        }
        try (Stream s = httpStream(closed, "{}")) {
            JsonNode d = s.next();
            assertThat(d.path("disconnect").path("code").asInt()).as("push %s", d).isEqualTo(3500);
            assertThat(d.path("disconnect").path("reason").asText()).contains("a token is required");
            assertThat(s.next()).isNull();
        }
        String expired = TestTokens.hs256(GatewayHarness.SECRET, "old", "Old", Instant.now().minusSeconds(3600),
                null);
        try (Stream s = httpStream(gw, "{\"token\":\"" + expired + "\"}")) {
            assertThat(s.next().path("disconnect").path("code").asInt()).isEqualTo(3005);
            assertThat(s.next()).isNull();
        }
    }

    @Test
    void malformedConnectRequestsAre400WithAnEmptyBody() throws Exception {
        for (String bad : List.of("{", "[1]", "\"x\"", "{\"token\":5}", "{\"subs\":[]}", "{\"subs\":{\"r\":1}}",
                "{\"subs\":{\"r\":{\"offset\":-1}}}", "{\"subs\":{\"r\":{\"recover\":\"yes\"}}}")) {
            HttpResponse<String> viaPost = http().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + gw.port() + "/connection/uni_http_stream"))
                    .POST(HttpRequest.BodyPublishers.ofString(bad)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(viaPost.statusCode()).as("POST %s", bad).isEqualTo(400);
            assertThat(viaPost.body()).isEmpty();
            HttpResponse<String> viaGet = http().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + gw.port() + "/connection/uni_sse?cf_connect="
                            + URLEncoder.encode(bad, StandardCharsets.UTF_8))).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(viaGet.statusCode()).as("GET %s", bad).isEqualTo(400);
        }
        HttpResponse<String> get = http().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gw.port() + "/connection/uni_http_stream")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).as("uni_http_stream takes POST only").isEqualTo(405);
        HttpResponse<String> put = http().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gw.port() + "/connection/uni_sse"))
                .PUT(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).isEqualTo(405);
    }

    @Test
    void originsAreCheckedAsForWebSocketAndAllowedOnesMayReadTheStream() throws Exception {
        HttpResponse<String> refused = http().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gw.port() + "/connection/uni_http_stream"))
                .header("Origin", "https://evil.example")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(403);
        HttpResponse<String> preflight = http().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gw.port() + "/connection/uni_http_stream"))
                .header("Origin", "https://site.example")
                .header("Access-Control-Request-Headers", "content-type")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("access-control-allow-origin")).hasValue("https://site.example");
        assertThat(preflight.headers().firstValue("access-control-allow-methods")).hasValue("POST, OPTIONS");
        HttpResponse<InputStream> allowed = http().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gw.port() + "/connection/uni_http_stream"))
                .header("Origin", "https://site.example")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (Stream s = new Stream(allowed, false)) {
            assertThat(allowed.headers().firstValue("access-control-allow-origin")).hasValue("https://site.example");
            assertThat(s.next().has("connect")).isTrue();
        }
    }

    @Test
    void serverShutdownEndsTheStreamAfterADisconnectPush() throws Exception {
        GatewayHarness own = new GatewayHarness();
        try (Stream s = httpStream(own, "{\"subs\":{\"uni-bye\":{}}}")) {
            assertThat(s.next().has("connect")).isTrue();
            own.close();
            JsonNode last = s.nextNonPing();
            assertThat(last).as("a disconnect push before the end").isNotNull();
            assertThat(last.path("disconnect").path("code").asInt()).isBetween(3000, 3999);
            assertThat(s.next()).isNull();
        } finally {
            own.close();
        }
    }
}
