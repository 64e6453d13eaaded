package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.danmaku.gateway.backend.BackendConfig;
import io.danmaku.gateway.protocol.centrifuge.pb.Command;
import io.danmaku.gateway.protocol.centrifuge.pb.ConnectRequest;
import io.danmaku.gateway.protocol.centrifuge.pb.PublishRequest;
import io.danmaku.gateway.protocol.centrifuge.pb.Reply;
import io.danmaku.gateway.room.JoinLeaveRooms;
import io.danmaku.protocol.json.Json;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import io.danmaku.testkit.ws.TestTokens;
import io.danmaku.testkit.ws.TestWebSocket;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The connect and publish proxies against a real HTTP backend in the test (the JDK's server on port 0) and real
 * gateways, with JSON and Protobuf WebSocket clients and the unidirectional HTTP stream. The backend answers what
 * the test asks for in the call's {@code data}: a connect's {@code data.reply} is the body it answers (with
 * {@code data.status}, after {@code data.sleepMs}, or {@code data.big} bytes, {@code data.chunked} without a length);
 * a publish's {@code data.text} picks the answer ({@code deny…}, {@code kick…}, {@code replace:…},
 * {@code badreplace…}, {@code slow<ms>-…}, anything else allowed).
 */
class ConnectPublishProxyTest {
    static final Duration TIMEOUT = Duration.ofMillis(1500);
    static final int MAX_RESPONSE = 2048;
    static HttpServer backend;
    static GatewayHarness gw;
    static GatewayHarness strict;
    static GatewayHarness expiring;
    static GatewayHarness tight;
    static GatewayHarness down;
    static final List<Call> connects = new CopyOnWriteArrayList<>();
    static final List<Call> publishes = new CopyOnWriteArrayList<>();

    /** A request the backend got, its headers (lower-case names), and when it answered (ns, 0 before). */
    record Call(JsonNode body, Map<String, List<String>> headers, AtomicLong answeredAt) {
    }

    @BeforeAll
    static void start() throws Exception {
        backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        backend.setExecutor(Executors.newCachedThreadPool());
        backend.createContext("/connect", ConnectPublishProxyTest::connect);
        backend.createContext("/publish", ConnectPublishProxyTest::publish);
        backend.createContext("/rpc", ex -> answer(ex, 200, "{\"result\":{}}"));
        backend.start();
        String base = "http://127.0.0.1:" + backend.getAddress().getPort();
        BackendConfig.Builder proxies = BackendConfig.builder().connectUrl(URI.create(base + "/connect"))
                .publishUrl(URI.create(base + "/publish")).timeout(TIMEOUT).maxResponseBytes(MAX_RESPONSE)
                .connectHeaders(List.of("Cookie", "X-App"));
        gw = new GatewayHarness(GatewayConfig.builder().batchWindow(Duration.ofMillis(10))
                .joinLeave(new JoinLeaveRooms(List.of("jl-*"), 100)).backend(proxies.build()).build(), true);
        strict = new GatewayHarness(GatewayConfig.builder().backend(proxies.build()).build(), false);
        expiring = new GatewayHarness(GatewayConfig.builder().pingInterval(Duration.ofMillis(200))
                .closeOnTokenExpiry(true).backend(proxies.build()).build(), true);
        tight = new GatewayHarness(GatewayConfig.builder().backend(proxies.rpcUrl(URI.create(base + "/rpc"))
                .maxInFlight(2).build()).build(), true);
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        down = new GatewayHarness(GatewayConfig.builder().backend(BackendConfig.builder()
                .connectUrl(URI.create("http://127.0.0.1:" + closedPort + "/connect"))
                .publishUrl(URI.create("http://127.0.0.1:" + closedPort + "/publish")).build()).build(), true);
    }

    @AfterAll
    static void stop() {
        for (GatewayHarness g : new GatewayHarness[] {gw, strict, expiring, tight, down}) {
            if (g != null) {
                g.close();
            }
        }
        backend.stop(0);
    }

    // ---- the backend ---------------------------------------------------------------------------------------------

    static Call record(HttpExchange ex, List<Call> into) throws IOException {
        JsonNode body = Json.MAPPER.readTree(ex.getRequestBody().readAllBytes());
        Map<String, List<String>> headers = new java.util.HashMap<>();
        ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), List.copyOf(v)));
        Call call = new Call(body, headers, new AtomicLong());
        into.add(call);
        return call;
    }

    static void connect(HttpExchange ex) throws IOException {
        Call call = record(ex, connects);
        JsonNode d = call.body().path("data");
        sleep(d.path("sleepMs").asLong(0));
        if (d.has("big")) {
            byte[] big = ("{\"result\":{\"user\":\"" + "x".repeat(d.path("big").asInt()) + "\"}}")
                    .getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, d.path("chunked").asBoolean() ? 0 : big.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(big);
            } catch (IOException e) {
                // the gateway stopped reading past its limit
            }
            return;
        }
        call.answeredAt().set(System.nanoTime());
        answer(ex, d.path("status").asInt(200), d.path("reply").asText("{\"result\":{\"user\":\"\"}}"));
    }

    static void publish(HttpExchange ex) throws IOException {
        Call call = record(ex, publishes);
        String text = call.body().path("data").path("text").asText();
        String reply = "{\"result\":{}}";
        if (text.startsWith("deny")) {
            reply = "{\"error\":{\"code\":1403,\"message\":\"not in this room\"}}";
        } else if (text.startsWith("kick")) {
            reply = "{\"disconnect\":{\"code\":4501,\"reason\":\"moderated\"}}";
        } else if (text.startsWith("replace:")) {
            reply = "{\"result\":{\"data\":{\"text\":\"" + text.substring("replace:".length()) + " (edited)\"}}}";
        } else if (text.startsWith("badreplace")) {
            reply = "{\"result\":{\"data\":{\"text\":5}}}";
        } else if (text.startsWith("slow")) {
            sleep(Long.parseLong(text.substring(4, text.indexOf('-'))));
        }
        call.answeredAt().set(System.nanoTime());
        answer(ex, 200, reply);
    }

    static void answer(HttpExchange ex, int status, String body) throws IOException {
        BackendProxyEndToEndTest.answer(ex, status, body);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /** A connect command whose data tells the backend to answer {@code reply}. */
    static ObjectNode connectAnswering(String reply) {
        ObjectNode p = Json.MAPPER.createObjectNode();
        p.putObject("data").put("reply", reply);
        return p;
    }

    static CentrifugeTestClient open(GatewayHarness g) {
        return CentrifugeTestClient.open(g.port());
    }

    /** Connects through the connect proxy as {@code user} (with no other field); asserts the connect result. */
    static CentrifugeTestClient connectAs(GatewayHarness g, String user) {
        CentrifugeTestClient c = open(g);
        JsonNode r = c.command("connect", connectAnswering("{\"result\":{\"user\":\"" + user + "\"}}"));
        assertThat(r.has("connect")).as("reply %s", r).isTrue();
        return c;
    }

    static double count(GatewayHarness g, String kind, String outcome) {
        var counter = g.meters.find("danmaku.gateway.backend.calls").tag("kind", kind).tag("outcome", outcome)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    static Call connectCallOf(String client) {
        return connects.stream().filter(c -> c.body().path("client").asText().equals(client)).findFirst()
                .orElseThrow(() -> new AssertionError("no connect call for client " + client));
    }

    static JsonNode publish(CentrifugeTestClient c, String room, String text) {
        return c.publish(room, text);
    }

    /** The texts of the room's history, oldest first. */
    static List<String> history(CentrifugeTestClient c, String room) {
        JsonNode h = c.command("history", Json.MAPPER.createObjectNode().put("channel", room).put("limit", -1));
        assertThat(h.has("history")).as("reply %s", h).isTrue();
        return java.util.stream.StreamSupport.stream(h.path("history").path("publications").spliterator(), false)
                .map(p -> p.path("data").path("text").asText()).toList();
    }

    // ---- connect -------------------------------------------------------------------------------------------------

    @Test
    void aConnectWithoutATokenIsAuthenticatedByTheBackendWithItsDataChannelsAndInfo() {
        String reply = "{\"result\":{\"user\":\"ann\",\"info\":{\"name\":\"Ann\",\"role\":\"host\"},"
                + "\"data\":{\"welcome\":\"hi\"},\"channels\":[\"proxy-news\",\"jl-proxy\"]}}";
        try (var watcher = CentrifugeTestClient.connect(gw.port(), TestTokens.hs256(GatewayHarness.SECRET, "wat",
                "Wat"));
             var ann = CentrifugeTestClient.over(TestWebSocket.connect(URI.create("ws://127.0.0.1:" + gw.port()
                     + "/connection/websocket"), null, Map.of("Cookie", "session=s3cr3t", "X-App", "web",
                     "X-Other", "not forwarded")))) {
            assertThat(watcher.command("subscribe", Json.MAPPER.createObjectNode().put("channel", "jl-proxy")
                    .put("join_leave", true)).has("subscribe")).isTrue();
            ObjectNode params = connectAnswering(reply);
            params.put("name", "test-app").put("version", "1.2.3");
            JsonNode r = ann.command("connect", params);

            assertThat(r.path("connect").path("data").path("welcome").asText()).as("reply %s", r).isEqualTo("hi");
            String client = r.path("connect").path("client").asText();
            Call call = connectCallOf(client);
            assertThat(call.body().path("transport").asText()).isEqualTo("websocket");
            assertThat(call.body().path("protocol").asText()).isEqualTo("json");
            assertThat(call.body().path("encoding").asText()).isEqualTo("json");
            assertThat(call.body().path("name").asText()).isEqualTo("test-app");
            assertThat(call.body().path("version").asText()).isEqualTo("1.2.3");
            assertThat(call.body().has("user")).as("a connect has no user yet").isFalse();
            assertThat(call.headers().get("cookie")).containsExactly("session=s3cr3t");
            assertThat(call.headers().get("x-app")).containsExactly("web");
            assertThat(call.headers()).as("only the allowed headers").doesNotContainKey("x-other");

            // the channels are server-side subscriptions: subscribe pushes, then the rooms' publications
            for (String room : List.of("proxy-news", "jl-proxy")) {
                ann.socket().await(n -> n.path("push").path("channel").asText().equals(room)
                        && n.path("push").has("subscribe"));
            }
            gw.publish("proxy-news", "extra, extra");
            assertThat(ann.awaitPublications("proxy-news", 1).get(0).path("data").path("text").asText())
                    .isEqualTo("extra, extra");
            // the info is the connection's info in join pushes
            JsonNode join = watcher.socket().await(n -> n.path("push").path("join").path("info").path("client")
                    .asText().equals(client));
            assertThat(join.path("push").path("join").path("info").path("user").asText()).isEqualTo("ann");
            assertThat(join.path("push").path("join").path("info").path("conn_info"))
                    .isEqualTo(Json.MAPPER.createObjectNode().put("name", "Ann").put("role", "host"));
            // the user posts under the name of its info
            assertThat(publish(ann, "proxy-news", "hello from ann").has("publish")).isTrue();
            JsonNode pub = ann.awaitPublications("proxy-news", 2).get(1);
            assertThat(pub.path("data").path("user").path("id").asText()).isEqualTo("ann");
            assertThat(pub.path("data").path("user").path("name").asText()).isEqualTo("Ann");
        }
    }

    @Test
    void aProtobufConnectCarriesItsDataBytesBothWaysAndGetsItsChannels() throws Exception {
        String reply = "{\"result\":{\"user\":\"pat\",\"data\":{\"plan\":\"gold\"},\"channels\":[\"pb-proxy\"]}}";
        String data = Json.MAPPER.createObjectNode().put("reply", reply).toString();
        try (TestWebSocket ws = TestWebSocket.connect(URI.create("ws://127.0.0.1:" + gw.port()
                + "/connection/websocket"), null, "centrifuge-protobuf")) {
            CentrifugeProtobufEndToEndTest.send(ws, Command.newBuilder().setId(1).setConnect(ConnectRequest
                    .newBuilder().setData(ByteString.copyFromUtf8(data)).setName("pb-app")).build());
            Reply r = CentrifugeProtobufEndToEndTest.await(ws, x -> x.getId() == 1);
            assertThat(Json.MAPPER.readTree(r.getConnect().getData().toByteArray()).path("plan").asText())
                    .as("reply %s", r).isEqualTo("gold");
            Call call = connectCallOf(r.getConnect().getClient());
            assertThat(call.body().path("protocol").asText()).isEqualTo("protobuf");
            assertThat(call.body().path("data").path("reply").asText()).isEqualTo(reply);
            CentrifugeProtobufEndToEndTest.await(ws, x -> x.hasPush() && x.getPush().getChannel().equals("pb-proxy")
                    && x.getPush().hasSubscribe());
            // and it posts through the publish proxy
            CentrifugeProtobufEndToEndTest.send(ws, Command.newBuilder().setId(2).setPublish(PublishRequest
                    .newBuilder().setChannel("pb-proxy").setData(ByteString.copyFromUtf8("{\"text\":\"from pb\"}")))
                    .build());
            assertThat(CentrifugeProtobufEndToEndTest.await(ws, x -> x.getId() == 2).hasPublish()).isTrue();
            Reply pub = CentrifugeProtobufEndToEndTest.await(ws, x -> x.hasPush() && x.getPush().hasPub());
            assertThat(Json.MAPPER.readTree(pub.getPush().getPub().getData().toByteArray()).path("text").asText())
                    .isEqualTo("from pb");
            assertThat(publishes).anySatisfy(p -> {
                assertThat(p.body().path("user").asText()).isEqualTo("pat");
                assertThat(p.body().path("protocol").asText()).isEqualTo("protobuf");
            });
        }
    }

    @Test
    void theBackendsErrorIsTheConnectsErrorAndTheConnectionMayConnectAgain() {
        try (var c = open(gw)) {
            JsonNode r = c.command("connect", connectAnswering(
                    "{\"error\":{\"code\":1001,\"message\":\"banned for now\"}}"));
            assertThat(r.path("error").path("code").asInt()).as("reply %s", r).isEqualTo(1001);
            assertThat(r.path("error").path("message").asText()).isEqualTo("banned for now");
            assertThat(r.path("error").has("temporary")).isFalse();
            JsonNode again = c.command("connect", connectAnswering("{\"result\":{\"user\":\"bob\"}}"));
            assertThat(again.has("connect")).as("reply %s", again).isTrue();
        }
    }

    @Test
    void theBackendsDisconnectClosesWithItsCode() {
        try (var c = open(gw)) {
            c.socket().send("{\"id\":1,\"connect\":" + connectAnswering(
                    "{\"disconnect\":{\"code\":4501,\"reason\":\"unauthorized\"}}") + "}");
            assertThat(c.socket().awaitClose()).isEqualTo(new TestWebSocket.Close(4501, "unauthorized"));
        }
    }

    @Test
    void everyFailureOfTheCallIsTemporaryError100CountedByWhatWentWrong() {
        double timeouts = count(gw, "connect", "timeout");
        double tooLarge = count(gw, "connect", "too_large");
        double bad = count(gw, "connect", "bad_response");
        double status = count(gw, "connect", "status");
        List<ObjectNode> failing = List.of(
                slow(TIMEOUT.toMillis() + 1000),
                big(MAX_RESPONSE + 1, false),
                big(MAX_RESPONSE * 8, true),
                connectAnswering("this is not JSON"),
                connectAnswering("{\"result\":{\"user\":5}}"),
                connectAnswering("{\"result\":{\"user\":\"x\",\"channels\":[\"not a room!\"]}}"),
                connectAnswering("{\"result\":{\"user\":\"x\",\"expire_at\":\"soon\"}}"),
                connectAnswering("{\"result\":{\"user\":\"x\",\"b64data\":\"AAAA\"}}"),
                status(500));
        try (var c = open(gw)) {
            for (ObjectNode params : failing) {
                JsonNode r = c.command("connect", params);
                assertThat(r.path("error").path("code").asInt()).as("%s: %s", params, r).isEqualTo(100);
                assertThat(r.path("error").path("temporary").asBoolean()).isTrue();
            }
            // none of them connected the connection
            assertThat(c.command("connect", connectAnswering("{\"result\":{\"user\":\"cy\"}}")).has("connect"))
                    .isTrue();
        }
        assertThat(count(gw, "connect", "timeout")).isEqualTo(timeouts + 1);
        assertThat(count(gw, "connect", "too_large")).isEqualTo(tooLarge + 2);
        assertThat(count(gw, "connect", "bad_response")).isEqualTo(bad + 5);
        assertThat(count(gw, "connect", "status")).isEqualTo(status + 1);
    }

    static ObjectNode status(int status) {
        ObjectNode p = connectAnswering("{\"result\":{\"user\":\"x\"}}");
        ((ObjectNode) p.get("data")).put("status", status);
        return p;
    }

    static ObjectNode slow(long ms) {
        ObjectNode p = connectAnswering("{\"result\":{\"user\":\"late\"}}");
        ((ObjectNode) p.get("data")).put("sleepMs", ms);
        return p;
    }

    static ObjectNode big(int bytes, boolean chunked) {
        ObjectNode p = Json.MAPPER.createObjectNode();
        p.putObject("data").put("big", bytes).put("chunked", chunked);
        return p;
    }

    @Test
    void aBackendThatCannotBeReachedIsError100() {
        try (var c = open(down)) {
            JsonNode r = c.command("connect", connectAnswering("{\"result\":{\"user\":\"x\"}}"));
            assertThat(r.path("error").path("code").asInt()).as("reply %s", r).isEqualTo(100);
        }
        assertThat(count(down, "connect", "failed")).isPositive();
    }

    @Test
    void aConnectWithATokenIsStillVerifiedAsAJwtAndNeverReachesTheBackend() {
        int before = connects.size();
        try (var c = CentrifugeTestClient.connect(gw.port(), TestTokens.hs256(GatewayHarness.SECRET, "tia", "Tia"));
             var forged = open(gw)) {
            assertThat(c.subscribe("jwt-room").has("subscribe")).isTrue();
            assertThat(publish(c, "jwt-room", "as tia").has("publish")).isTrue();
            assertThat(c.awaitPublications("jwt-room", 1).get(0).path("data").path("user").path("id").asText())
                    .isEqualTo("tia");
            forged.socket().send("{\"id\":1,\"connect\":{\"token\":\"not.a.jwt\"}}");
            assertThat(forged.socket().awaitClose().code()).isEqualTo(3500);
        }
        assertThat(connects).hasSize(before);
    }

    @Test
    void anAnonymousAnswerFollowsTheAnonymousRules() {
        try (var anon = connectAs(gw, "")) {
            JsonNode r = publish(anon, "anon-room", "hi");
            assertThat(r.path("error").path("code").asInt()).as("reply %s", r).isEqualTo(103);
        }
        try (var c = open(strict)) {
            c.socket().send("{\"id\":1,\"connect\":" + connectAnswering("{\"result\":{\"user\":\"\"}}") + "}");
            assertThat(c.socket().awaitClose().code()).isEqualTo(3500);
        }
        try (var named = connectAs(strict, "nia")) {
            assertThat(named.subscribe("strict-room").has("subscribe")).isTrue();
        }
    }

    @Test
    void expireAtIsAnExpiryLikeATokensExpAnExpiredOneIsError109() {
        long soon = Instant.now().plusSeconds(2).getEpochSecond();
        try (var c = open(expiring); var past = open(expiring)) {
            JsonNode r = c.command("connect", connectAnswering("{\"result\":{\"user\":\"eve\",\"expire_at\":" + soon
                    + "}}"));
            assertThat(r.has("connect")).as("reply %s", r).isTrue();
            JsonNode expired = past.command("connect", connectAnswering("{\"result\":{\"user\":\"eve\","
                    + "\"expire_at\":" + (Instant.now().getEpochSecond() - 60) + "}}"));
            assertThat(expired.path("error").path("code").asInt()).as("reply %s", expired).isEqualTo(109);
            assertThat(expired.path("error").path("temporary").asBoolean()).isTrue();
            assertThat(c.socket().awaitClose(Duration.ofSeconds(20)))
                    .isEqualTo(new TestWebSocket.Close(3005, "connection expired"));
        }
    }

    @Test
    void aCommandWhileTheBackendDecidesIsABadRequest() {
        try (var c = open(gw)) {
            c.socket().send("{\"id\":1,\"connect\":" + slow(500) + "}\n{\"id\":2,\"subscribe\":{\"channel\":\"r\"}}");
            assertThat(c.socket().awaitClose()).isEqualTo(new TestWebSocket.Close(3501, "bad request: connect first"));
        }
    }

    @Test
    void theUnidirectionalStreamIsAuthenticatedByTheConnectProxyToo() throws Exception {
        String reply = "{\"result\":{\"user\":\"uma\",\"data\":{\"hello\":1},\"channels\":[\"uni-proxy\"]}}";
        ObjectNode request = Json.MAPPER.createObjectNode();
        request.putObject("data").put("reply", reply);
        try (var s = UniTransportsEndToEndTest.httpStream(gw, request.toString(), Map.of("Cookie", "sid=7"))) {
            JsonNode connect = s.nextNonPing().path("connect");
            assertThat(connect.path("data").path("hello").asInt()).as("push %s", connect).isEqualTo(1);
            assertThat(connect.path("subs").has("uni-proxy")).isTrue();
            Call call = connectCallOf(connect.path("client").asText());
            assertThat(call.body().path("transport").asText()).isEqualTo("uni_http_stream");
            assertThat(call.headers().get("cookie")).containsExactly("sid=7");
            gw.publish("uni-proxy", "to the stream");
            assertThat(s.publications(1).get(0).path("pub").path("data").path("text").asText())
                    .isEqualTo("to the stream");
        }
        ObjectNode refused = Json.MAPPER.createObjectNode();
        refused.putObject("data").put("reply", "{\"error\":{\"code\":1001,\"message\":\"banned\"}}");
        try (var s = UniTransportsEndToEndTest.httpStream(gw, refused.toString(), Map.of())) {
            JsonNode d = s.nextNonPing().path("disconnect");
            assertThat(d.path("code").asInt()).as("push %s", d).isEqualTo(3004);
            assertThat(d.path("reason").asText()).isEqualTo("banned");
        }
        ObjectNode closed = Json.MAPPER.createObjectNode();
        closed.putObject("data").put("reply", "{\"disconnect\":{\"code\":4502,\"reason\":\"go\"}}");
        try (var s = UniTransportsEndToEndTest.httpStream(gw, closed.toString(), Map.of())) {
            assertThat(s.nextNonPing().path("disconnect").path("code").asInt()).isEqualTo(4502);
        }
    }

    // ---- publish -------------------------------------------------------------------------------------------------

    @Test
    void anAllowedPublishIsDeliveredAndTheBackendLearnsWhoPostedWhere() {
        try (var reader = connectAs(gw, "rea"); var writer = connectAs(gw, "wri")) {
            assertThat(reader.subscribe("pub-ok").has("subscribe")).isTrue();
            assertThat(publish(writer, "pub-ok", "allowed").has("publish")).isTrue();
            assertThat(reader.awaitPublications("pub-ok", 1).get(0).path("data").path("text").asText())
                    .isEqualTo("allowed");
            Call call = publishes.stream().filter(p -> p.body().path("channel").asText().equals("pub-ok"))
                    .findFirst().orElseThrow();
            assertThat(call.body().path("user").asText()).isEqualTo("wri");
            assertThat(call.body().path("transport").asText()).isEqualTo("websocket");
            assertThat(call.body().path("protocol").asText()).isEqualTo("json");
            assertThat(call.body().path("encoding").asText()).isEqualTo("json");
            assertThat(call.body().path("client").asText()).isNotEmpty();
            assertThat(call.body().path("data").path("text").asText()).isEqualTo("allowed");
        }
    }

    @Test
    void aDeniedPublishIsTheBackendsErrorAndIsNeverStored() {
        try (var c = connectAs(gw, "den")) {
            assertThat(c.subscribe("pub-deny").has("subscribe")).isTrue();
            JsonNode r = publish(c, "pub-deny", "deny this");
            assertThat(r.path("error").path("code").asInt()).as("reply %s", r).isEqualTo(1403);
            assertThat(r.path("error").path("message").asText()).isEqualTo("not in this room");
            assertThat(publish(c, "pub-deny", "but this").has("publish")).isTrue();
            assertThat(c.awaitPublications("pub-deny", 1).get(0).path("data").path("text").asText())
                    .isEqualTo("but this");
            await().atMost(Duration.ofSeconds(10)).until(() -> history(c, "pub-deny").contains("but this"));
            assertThat(history(c, "pub-deny")).containsExactly("but this");
        }
    }

    @Test
    void dataTheBackendReplacesIsWhatIsDeliveredAndCheckedLikeAClients() {
        try (var c = connectAs(gw, "rep")) {
            assertThat(c.subscribe("pub-replace").has("subscribe")).isTrue();
            assertThat(publish(c, "pub-replace", "replace:nicer words").has("publish")).isTrue();
            assertThat(c.awaitPublications("pub-replace", 1).get(0).path("data").path("text").asText())
                    .isEqualTo("nicer words (edited)");
            JsonNode bad = publish(c, "pub-replace", "badreplace");
            assertThat(bad.path("error").path("code").asInt()).as("reply %s", bad).isEqualTo(107);
            assertThat(bad.path("error").path("message").asText()).contains("publish.data.text");
            assertThat(publish(c, "pub-replace", "last").has("publish")).isTrue();
            assertThat(c.awaitPublications("pub-replace", 2).get(1).path("data").path("text").asText())
                    .isEqualTo("last");
        }
    }

    @Test
    void aDisconnectAnswerClosesTheConnectionAndNothingIsPosted() {
        try (var reader = connectAs(gw, "rdr"); var c = connectAs(gw, "kik")) {
            assertThat(reader.subscribe("pub-kick").has("subscribe")).isTrue();
            c.socket().send("{\"id\":5,\"publish\":{\"channel\":\"pub-kick\",\"data\":{\"text\":\"kick me\"}}}");
            assertThat(c.socket().awaitClose()).isEqualTo(new TestWebSocket.Close(4501, "moderated"));
            assertThat(publish(reader, "pub-kick", "after").has("publish")).isTrue();
            assertThat(reader.awaitPublications("pub-kick", 1)).extracting(p -> p.path("data").path("text").asText())
                    .containsExactly("after");
        }
    }

    @Test
    void aPublishTheGatewayRefusesItselfNeverReachesTheBackend() {
        int before = publishes.size();
        try (var c = connectAs(gw, "chk")) {
            JsonNode r = c.command("publish", Json.MAPPER.createObjectNode().put("channel", "pub-check")
                    .put("data", "just a string"));
            assertThat(r.path("error").path("code").asInt()).as("reply %s", r).isEqualTo(107);
            JsonNode room = publish(c, "not a room!", "x");
            assertThat(room.path("error").path("code").asInt()).as("reply %s", room).isEqualTo(107);
        }
        assertThat(publishes).hasSize(before);
    }

    @Test
    void aBackendThatIsDownIsError100AndNothingIsPosted() {
        try (var c = CentrifugeTestClient.connect(down.port(), TestTokens.hs256(GatewayHarness.SECRET, "dov",
                "Dov"))) {
            assertThat(c.subscribe("pub-down").has("subscribe")).isTrue();
            JsonNode r = publish(c, "pub-down", "lost");
            assertThat(r.path("error").path("code").asInt()).as("reply %s", r).isEqualTo(100);
            assertThat(r.path("error").path("temporary").asBoolean()).isTrue();
            assertThat(history(c, "pub-down")).isEmpty();
            assertThat(down.storedTop("pub-down")).isZero();
        }
        assertThat(count(down, "publish", "failed")).isPositive();
    }

    @Test
    void aConnectionsPostsKeepTheirOrderWhenTheBackendAnswersOutOfOrder() {
        List<String> texts = List.of("slow600-a", "slow0-b", "slow300-c", "slow0-d", "slow150-e");
        try (var c = connectAs(gw, "ord")) {
            assertThat(c.subscribe("pub-order").has("subscribe")).isTrue();
            StringBuilder frame = new StringBuilder();
            for (int i = 0; i < texts.size(); i++) {
                frame.append("{\"id\":").append(100 + i).append(",\"publish\":{\"channel\":\"pub-order\",\"data\":")
                        .append("{\"text\":\"").append(texts.get(i)).append("\"}}}\n");
            }
            c.socket().send(frame.toString());
            for (int i = 0; i < texts.size(); i++) {
                long id = 100 + i;
                assertThat(c.socket().await(n -> n.path("id").asLong() == id).has("publish")).isTrue();
            }
            assertThat(c.awaitPublications("pub-order", texts.size()))
                    .extracting(p -> p.path("data").path("text").asText()).containsExactlyElementsOf(texts);
        }
        // the backend did answer out of order: b before a
        Call a = publishes.stream().filter(p -> p.body().path("data").path("text").asText().equals("slow600-a"))
                .findFirst().orElseThrow();
        Call b = publishes.stream().filter(p -> p.body().path("data").path("text").asText().equals("slow0-b"))
                .findFirst().orElseThrow();
        assertThat(b.answeredAt().get()).isLessThan(a.answeredAt().get());
    }

    @Test
    void theInFlightBoundCoversEveryKindOfCall() {
        try (var c = connectAs(tight, "tig")) {
            c.socket().send("{\"id\":201,\"publish\":{\"channel\":\"pub-tight\",\"data\":{\"text\":\"slow700-1\"}}}\n"
                    + "{\"id\":202,\"publish\":{\"channel\":\"pub-tight\",\"data\":{\"text\":\"slow700-2\"}}}\n"
                    + "{\"id\":203,\"rpc\":{\"method\":\"x\"}}\n"
                    + "{\"id\":204,\"publish\":{\"channel\":\"pub-tight\",\"data\":{\"text\":\"third\"}}}");
            for (long id : new long[] {203, 204}) {
                JsonNode r = c.socket().await(n -> n.path("id").asLong() == id);
                assertThat(r.path("error").path("code").asInt()).as("reply %s", r).isEqualTo(111);
            }
            assertThat(c.socket().await(n -> n.path("id").asLong() == 201).has("publish")).isTrue();
            assertThat(c.socket().await(n -> n.path("id").asLong() == 202).has("publish")).isTrue();
            // free again
            assertThat(c.command("rpc", Json.MAPPER.createObjectNode().put("method", "x")).has("rpc")).isTrue();
        }
        assertThat(count(tight, "publish", "limited")).isEqualTo(1);
        assertThat(count(tight, "rpc", "limited")).isEqualTo(1);
    }
}
