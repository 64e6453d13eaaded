package io.danmaku.gateway.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.gateway.GatewayConfig;
import io.danmaku.gateway.auth.DemoTokenIssuer;
import io.danmaku.gateway.auth.Identity;
import io.danmaku.gateway.auth.TokenVerifier;
import io.danmaku.gateway.room.FanoutMetrics;
import io.danmaku.gateway.room.RoomRegistry;
import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.protocol.api.ApiRequest;
import io.danmaku.protocol.api.ApiResponse;
import io.danmaku.protocol.api.HttpApi;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpRouterHandlerTest {
    static final String SECRET = "router-secret-router-secret-router-0123";
    final MemoryMessageBus bus = new MemoryMessageBus();
    final AtomicReference<ApiRequest> seen = new AtomicReference<>();

    @AfterEach
    void tearDown() {
        bus.close();
    }

    EmbeddedChannel channel(HttpApi api, DemoTokenIssuer demo) {
        EmbeddedChannel ch = new EmbeddedChannel();
        RoomRegistry registry = new RoomRegistry(ch.eventLoop(), 0, 100, 16,
                new FanoutMetrics(new SimpleMeterRegistry()));
        GatewayContext ctx = new GatewayContext(GatewayConfig.defaults(), registry, bus, new MemoryHotStore(),
                req -> new CompletableFuture<>(), TokenVerifier.create(SECRET, null, Clock.systemUTC()), true,
                new SimpleMeterRegistry());
        ch.pipeline().addLast(new HttpRouterHandler(ctx, api, demo, new StaticFiles()));
        return ch;
    }

    static FullHttpRequest request(HttpMethod method, String uri, String body) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        req.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length());
        return req;
    }

    static String respond(EmbeddedChannel ch, FullHttpRequest req, int expectedStatus) {
        ch.writeInbound(req);
        ch.runPendingTasks();
        FullHttpResponse res = ch.readOutbound();
        try {
            assertThat(res.status().code()).isEqualTo(expectedStatus);
            return res.content().toString(StandardCharsets.UTF_8);
        } finally {
            res.release();
        }
    }

    @Test
    void servesTheDemoPageAtRootIgnoringTheQuery() {
        EmbeddedChannel ch = channel(null, null);
        assertThat(respond(ch, request(HttpMethod.GET, "/?room=x&name=y", ""), 200)).contains("<html");
        assertThat(respond(ch, request(HttpMethod.GET, "/app.js", ""), 200)).contains("connection/websocket");
        assertThat(respond(ch, request(HttpMethod.GET, "/../pom.xml", ""), 404)).contains("not found");
        assertThat(respond(ch, request(HttpMethod.POST, "/index.html", ""), 405)).contains("GET");
        assertFalse(ch.finish());
    }

    @Test
    void demoTokenIsAVerifiableTokenWithTheRequestedName() throws Exception {
        EmbeddedChannel ch = channel(null, new DemoTokenIssuer(SECRET, Clock.systemUTC()));
        JsonNode out = Json.MAPPER.readTree(respond(ch, request(HttpMethod.POST, "/demo/token", "{\"name\":\" Ann \"}"), 200));
        Identity who = TokenVerifier.create(SECRET, null, Clock.systemUTC()).verify(out.path("token").asText());
        assertThat(who.user().name()).isEqualTo("Ann");
        assertThat(who.user().id()).isEqualTo(out.path("user").path("id").asText()).startsWith("demo-");
        assertThat(respond(ch, request(HttpMethod.POST, "/demo/token", "{bad"), 400)).contains("bad request");
        assertThat(respond(ch, request(HttpMethod.GET, "/demo/token", ""), 405)).contains("POST");
        assertFalse(ch.finish());
    }

    @Test
    void demoTokenIs404WhenDisabled() {
        EmbeddedChannel ch = channel(null, null);
        assertThat(respond(ch, request(HttpMethod.POST, "/demo/token", "{}"), 404)).contains("disabled");
        assertFalse(ch.finish());
    }

    @Test
    void apiRequestsAreHandedOverWithHeadersQueryAndBody() {
        HttpApi api = req -> {
            seen.set(req);
            return CompletableFuture.completedFuture(ApiResponse.json(201, "{\"result\":{}}"));
        };
        EmbeddedChannel ch = channel(api, null);
        FullHttpRequest req = request(HttpMethod.POST, "/api/publish?x=1", "{\"channel\":\"c\"}");
        req.headers().set("X-API-Key", "k");
        assertThat(respond(ch, req, 201)).isEqualTo("{\"result\":{}}");
        assertThat(seen.get().path()).isEqualTo("/api/publish");
        assertThat(seen.get().query()).containsEntry("x", "1");
        assertThat(seen.get().header("x-api-key")).isEqualTo("k");
        assertThat(new String(seen.get().body(), StandardCharsets.UTF_8)).isEqualTo("{\"channel\":\"c\"}");
        assertFalse(ch.finish());
    }

    @Test
    void apiIs404WhenThisProcessDoesNotServeIt() {
        EmbeddedChannel ch = channel(null, null);
        assertThat(respond(ch, request(HttpMethod.POST, "/api/publish", "{}"), 404)).contains("104");
        assertFalse(ch.finish());
    }

    @Test
    void websocketPathWithoutUpgradeIs400() {
        EmbeddedChannel ch = channel(null, null);
        assertThat(respond(ch, request(HttpMethod.GET, "/connection/websocket", ""), 400)).contains("WebSocket upgrade");
        assertFalse(ch.finish());
    }
}
