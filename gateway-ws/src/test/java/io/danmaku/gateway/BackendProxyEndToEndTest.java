package io.danmaku.gateway;

import com.google.protobuf.ByteString;
import io.danmaku.gateway.protocol.centrifuge.pb.Command;
import io.danmaku.gateway.protocol.centrifuge.pb.RPCRequest;
import io.danmaku.gateway.protocol.centrifuge.pb.Reply;
import io.danmaku.testkit.ws.TestWebSocket;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.danmaku.gateway.backend.BackendConfig;
import io.danmaku.protocol.json.Json;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import io.danmaku.testkit.ws.TestTokens;
import io.danmaku.testkit.ws.TestWebSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code rpc} and {@code send} proxied to a backend: a real HTTP server in the test plays the application, and
 * answers according to the rpc's method (a result, an error, a disconnect, too late, not JSON, HTTP 500).
 */
class BackendProxyEndToEndTest {
    static HttpServer backend;
    static GatewayHarness gw;
    static GatewayHarness none;
    static final List<JsonNode> rpcRequests = new CopyOnWriteArrayList<>();
    static final List<JsonNode> sends = new CopyOnWriteArrayList<>();
    static final CountDownLatch release = new CountDownLatch(1);

    @BeforeAll
    static void start() throws Exception {
        backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        backend.setExecutor(Executors.newCachedThreadPool());
        backend.createContext("/rpc", BackendProxyEndToEndTest::rpc);
        backend.createContext("/send", ex -> {
            sends.add(Json.MAPPER.readTree(ex.getRequestBody().readAllBytes()));
            answer(ex, 200, "{}");
        });
        backend.start();
        String base = "http://127.0.0.1:" + backend.getAddress().getPort();
        gw = new GatewayHarness(GatewayConfig.builder()
                .backend(BackendConfig.builder().rpcUrl(URI.create(base + "/rpc")).sendUrl(URI.create(base + "/send"))
                        .timeout(Duration.ofMillis(500)).maxInFlight(2).build())
                .build(), true);
        none = new GatewayHarness(GatewayConfig.builder().build(), true);
    }

    @AfterAll
    static void stop() {
        release.countDown();
        gw.close();
        none.close();
        backend.stop(0);
    }

    static void rpc(HttpExchange ex) throws IOException {
        JsonNode req = Json.MAPPER.readTree(ex.getRequestBody().readAllBytes());
        rpcRequests.add(req);
        switch (req.path("method").asText()) {
            case "echo" -> answer(ex, 200, "{\"result\":{\"data\":{\"echo\":" + req.path("data") + "}}}");
            case "empty" -> answer(ex, 200, "{\"result\":{}}");
            case "refuse" -> answer(ex, 200, "{\"error\":{\"code\":1000,\"message\":\"no such order\"}}");
            case "kick" -> answer(ex, 200, "{\"disconnect\":{\"code\":4001,\"reason\":\"go away\"}}");
            case "garbage" -> answer(ex, 200, "this is not JSON");
            case "wrong-shape" -> answer(ex, 200, "{\"error\":{\"code\":\"x\"}}");
            case "status" -> answer(ex, 500, "oops");
            case "big", "big-chunked" -> {
                // over the default gateway.backend.max-response-bytes (64 KiB): with a length, and streamed without
                byte[] big = ("{\"result\":{\"data\":\"" + "x".repeat(100_000) + "\"}}")
                        .getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, req.path("method").asText().equals("big") ? big.length : 0);
                try (java.io.OutputStream out = ex.getResponseBody()) {
                    out.write(big);
                } catch (IOException e) {
                    // the gateway stopped reading past its limit
                }
            }
            case "just-fits" -> answer(ex, 200, "{\"result\":{\"data\":\"" + "y".repeat(60_000) + "\"}}");
            case "slow" -> {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                answer(ex, 200, "{\"result\":{}}");
            }
            default -> answer(ex, 404, "");
        }
    }

    static void answer(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            ex.getResponseBody().write(b);
        }
        ex.close();
    }

    static ObjectNode rpcParams(String method, String dataJson) throws IOException {
        ObjectNode p = Json.MAPPER.createObjectNode().put("method", method);
        if (dataJson != null) {
            p.set("data", Json.MAPPER.readTree(dataJson));
        }
        return p;
    }

    static String token(String user) {
        return TestTokens.hs256(GatewayHarness.SECRET, user, "Name " + user);
    }

    @Test
    void aSuccessfulRpcRelaysTheBackendsDataAndTheBackendLearnsWhoCalled() throws Exception {
        try (var c = CentrifugeTestClient.connect(gw.port(), token("rita"))) {
            JsonNode reply = c.command("rpc", rpcParams("echo", "{\"n\":1}"));
            assertThat(reply.path("rpc").path("data").path("echo").path("n").asInt()).as("reply %s", reply)
                    .isEqualTo(1);
            assertThat(c.command("rpc", rpcParams("empty", null)).path("rpc").isObject()).isTrue();
            JsonNode req = rpcRequests.stream().filter(r -> r.path("method").asText().equals("echo")
                    && r.path("user").asText().equals("rita")).findFirst().orElseThrow();
            assertThat(req.path("client").asText()).isNotEmpty();
            assertThat(req.path("transport").asText()).isEqualTo("websocket");
            assertThat(req.path("protocol").asText()).isEqualTo("json");
            assertThat(req.path("encoding").asText()).isEqualTo("json");
            assertThat(req.path("data").path("n").asInt()).isEqualTo(1);
        }
    }

    @Test
    void aProtobufClientsRpcCarriesJsonBytesBothWaysAndOtherBytesAreRefused() throws Exception {
        try (TestWebSocket ws = TestWebSocket.connect(URI.create("ws://127.0.0.1:" + gw.port()
                + "/connection/websocket"), null, "centrifuge-protobuf")) {
            CentrifugeProtobufEndToEndTest.send(ws, CentrifugeProtobufEndToEndTest.connect(token("pia")),
                    rpc(2, "echo", "{\"n\":7}".getBytes(StandardCharsets.UTF_8)),
                    rpc(3, "echo", new byte[] {(byte) 0xff, 0x00}));
            Reply ok = CentrifugeProtobufEndToEndTest.await(ws, r -> r.getId() == 2);
            assertThat(Json.MAPPER.readTree(ok.getRpc().getData().toByteArray()).path("echo").path("n").asInt())
                    .as("reply %s", ok).isEqualTo(7);
            Reply bad = CentrifugeProtobufEndToEndTest.await(ws, r -> r.getId() == 3);
            assertThat(bad.getError().getCode()).isEqualTo(107);
            assertThat(bad.getError().getMessage()).contains("rpc.data");
            JsonNode req = rpcRequests.stream().filter(r -> r.path("user").asText().equals("pia")).findFirst()
                    .orElseThrow();
            assertThat(req.path("protocol").asText()).isEqualTo("protobuf");
            assertThat(req.path("data").path("n").asInt()).isEqualTo(7);
        }
    }

    private static Command rpc(int id, String method, byte[] data) {
        return Command.newBuilder().setId(id)
                .setRpc(RPCRequest.newBuilder().setMethod(method).setData(ByteString.copyFrom(data))).build();
    }

    @Test
    void aBackendErrorIsTheClientsErrorAndItsFailuresAreError100() throws Exception {
        try (var c = CentrifugeTestClient.connect(gw.port(), token("sam"))) {
            JsonNode refused = c.command("rpc", rpcParams("refuse", null));
            assertThat(refused.path("error").path("code").asInt()).isEqualTo(1000);
            assertThat(refused.path("error").path("message").asText()).isEqualTo("no such order");
            for (String m : List.of("garbage", "wrong-shape", "status", "unknown")) {
                JsonNode r = c.command("rpc", rpcParams(m, null));
                assertThat(r.path("error").path("code").asInt()).as("%s: %s", m, r).isEqualTo(100);
                assertThat(r.path("error").path("temporary").asBoolean()).isTrue();
            }
            JsonNode bad = c.command("rpc", Json.MAPPER.createObjectNode().put("method", 5));
            assertThat(bad.path("error").path("code").asInt()).isEqualTo(107);
            // the connection stays usable
            assertThat(c.command("rpc", rpcParams("empty", null)).has("rpc")).isTrue();
        }
    }

    @Test
    void anAnswerOverTheSizeLimitIsError100AndOneWithinItIsRelayed() throws Exception {
        double before = gw.meters.find("danmaku.gateway.backend.calls").tag("kind", "rpc").tag("outcome", "too_large")
                .counters().stream().mapToDouble(c -> c.count()).sum();
        try (var c = CentrifugeTestClient.connect(gw.port(), token("zoe"))) {
            for (String m : List.of("big", "big-chunked")) {
                JsonNode r = c.command("rpc", rpcParams(m, null));
                assertThat(r.path("error").path("code").asInt()).as("%s: %s", m, r).isEqualTo(100);
            }
            JsonNode fits = c.command("rpc", rpcParams("just-fits", null));
            assertThat(fits.path("rpc").path("data").asText()).as("reply of %s chars", fits.toString().length())
                    .hasSize(60_000);
        }
        assertThat(gw.meters.find("danmaku.gateway.backend.calls").tag("kind", "rpc").tag("outcome", "too_large")
                .counter().count()).isEqualTo(before + 2);
    }

    @Test
    void aBackendTooSlowIsError100AndCallsInFlightAreBoundedPerConnection() throws Exception {
        try (var c = CentrifugeTestClient.connect(gw.port(), token("tom"))) {
            // two slow calls fill the bound of 2; the third is refused at once with 111
            c.socket().send("{\"id\":101,\"rpc\":{\"method\":\"slow\"}}");
            c.socket().send("{\"id\":102,\"rpc\":{\"method\":\"slow\"}}");
            JsonNode third = c.socket().await(n -> n.path("id").asLong() == 103 || sendAndFalse(c));
            assertThat(third.path("error").path("code").asInt()).as("reply %s", third).isEqualTo(111);
            JsonNode first = c.socket().await(n -> n.path("id").asLong() == 101);
            assertThat(first.path("error").path("code").asInt()).as("timeout reply %s", first).isEqualTo(100);
            c.socket().await(n -> n.path("id").asLong() == 102);
            // the bound frees up once the answers are in
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    c.command("rpc", rpcParams("empty", null)).has("rpc"));
        }
    }

    private static boolean sent;

    /** Sends the third rpc once (from inside the wait, after the first two were sent). */
    private static boolean sendAndFalse(CentrifugeTestClient c) {
        if (!sent) {
            sent = true;
            c.socket().send("{\"id\":103,\"rpc\":{\"method\":\"slow\"}}");
        }
        return false;
    }

    @Test
    void aDisconnectAnswerClosesTheConnectionWithItsCode() throws Exception {
        try (var c = CentrifugeTestClient.connect(gw.port(), token("uma"))) {
            c.socket().send("{\"id\":7,\"rpc\":{\"method\":\"kick\"}}");
            TestWebSocket.Close close = c.socket().awaitClose();
            assertThat(close.code()).isEqualTo(4001);
            assertThat(close.reason()).isEqualTo("go away");
        }
    }

    @Test
    void sendIsPostedToTheBackendWithoutAReply() throws Exception {
        try (var c = CentrifugeTestClient.connect(gw.port(), token("vic"))) {
            c.socket().send("{\"send\":{\"data\":{\"typing\":true}}}");
            await().atMost(Duration.ofSeconds(5)).until(() -> sends.stream()
                    .anyMatch(s -> s.path("user").asText().equals("vic")));
            JsonNode s = sends.stream().filter(x -> x.path("user").asText().equals("vic")).findFirst().orElseThrow();
            assertThat(s.path("data").path("typing").asBoolean()).isTrue();
            assertThat(s.has("method")).isFalse();
            // nothing came back for the send: the next reply is the one to this rpc
            JsonNode next = c.command("rpc", rpcParams("empty", null));
            assertThat(c.socket().lines()).filteredOn(n -> n.has("id") && n.path("id").asLong() != next.path("id")
                    .asLong()).allSatisfy(n -> assertThat(n.has("connect")).isTrue());
        }
    }

    @Test
    void withoutABackendRpcIsMethodNotFoundAndSendIsDroppedAndCounted() {
        try (var c = CentrifugeTestClient.connect(none.port(), token("wes"))) {
            JsonNode r = c.command("rpc", Json.MAPPER.createObjectNode().put("method", "x"));
            assertThat(r.path("error").path("code").asInt()).isEqualTo(104);
            c.socket().send("{\"send\":{\"data\":{}}}");
            await().atMost(Duration.ofSeconds(5)).until(() -> none.meters.find("danmaku.gateway.backend.calls")
                    .tag("kind", "send").tag("outcome", "unconfigured").counter() != null);
            assertThat(c.command("rpc", Json.MAPPER.createObjectNode()).path("error").path("code").asInt())
                    .isEqualTo(104);
        }
    }
}
