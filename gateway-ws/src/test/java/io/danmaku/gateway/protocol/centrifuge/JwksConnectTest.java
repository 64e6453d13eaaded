package io.danmaku.gateway.protocol.centrifuge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.danmaku.gateway.GatewayConfig;
import io.danmaku.gateway.auth.JwksKeys;
import io.danmaku.gateway.auth.TokenRules;
import io.danmaku.gateway.auth.TokenVerifier;
import io.danmaku.gateway.room.FanoutMetrics;
import io.danmaku.gateway.room.RoomRegistry;
import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A connect whose token names a key rotated in at the key server but not fetched yet is answered with error 109
 * (temporary: the SDK gets a token and reconnects), not closed with the final 3500; the next connect passes.
 */
class JwksConnectTest {
    final AtomicReference<String> document = new AtomicReference<>("{\"keys\":[]}");
    HttpServer server;
    JwksKeys keys;
    MemoryMessageBus bus = new MemoryMessageBus();

    @AfterEach
    void stop() {
        if (keys != null) {
            keys.close();
        }
        if (server != null) {
            server.stop(0);
        }
        bus.close();
    }

    EmbeddedChannel connection(TokenVerifier tokens) {
        EmbeddedChannel ch = new EmbeddedChannel();
        GatewayConfig config = GatewayConfig.builder().batchWindow(Duration.ZERO).postLinger(Duration.ZERO).build();
        RoomRegistry registry = new RoomRegistry(ch.eventLoop(), 0, 100, 16,
                new FanoutMetrics(new SimpleMeterRegistry()));
        ch.pipeline().addLast(new CentrifugeHandler(new GatewayContext(config, registry, bus, new MemoryHotStore(),
                batch -> CompletableFuture.failedFuture(new AssertionError("no posts")), tokens, false,
                new SimpleMeterRegistry())));
        return ch;
    }

    static JsonNode connect(EmbeddedChannel ch, String token) throws Exception {
        ch.writeInbound(new TextWebSocketFrame("{\"id\":1,\"connect\":{\"token\":\"" + token + "\"}}"));
        ch.runPendingTasks();
        Object out = ch.readOutbound();
        assertThat(out).isInstanceOf(TextWebSocketFrame.class);
        TextWebSocketFrame f = (TextWebSocketFrame) out;
        try {
            return Json.MAPPER.readTree(f.text());
        } finally {
            f.release();
        }
    }

    @Test
    void aTokenSignedWithAKeyNotFetchedYetIsATemporaryError() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/jwks.json", exchange -> {
            byte[] body = document.get().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        keys = new JwksKeys(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/jwks.json"),
                Duration.ZERO, Duration.ZERO).start();
        TokenVerifier tokens = TokenVerifier.create(TokenRules.keys(null, null, null).withJwks(keys),
                Clock.systemUTC());

        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = g.generateKeyPair();
        ECPublicKey pub = (ECPublicKey) pair.getPublic();
        document.set("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k2\",\"x\":\""
                + b64(pub.getW().getAffineX()) + "\",\"y\":\"" + b64(pub.getW().getAffineY()) + "\"}]}");
        String token = JWT.create().withKeyId("k2").withSubject("u1").withExpiresAt(Instant.now().plusSeconds(600))
                .sign(Algorithm.ECDSA256(null, (ECPrivateKey) pair.getPrivate()));

        EmbeddedChannel first = connection(tokens);
        JsonNode error = connect(first, token).path("error");
        assertThat(error.path("code").asInt()).isEqualTo(109);
        assertThat(error.path("temporary").asBoolean()).isTrue();
        assertThat(first.isOpen()).as("an error reply, not a close").isTrue();
        first.finishAndReleaseAll();

        await().atMost(Duration.ofSeconds(10)).until(() -> keys.kids().contains("k2"));
        EmbeddedChannel second = connection(tokens);
        assertThat(connect(second, token).has("connect")).isTrue();
        second.finishAndReleaseAll();
    }

    static String b64(BigInteger n) {
        byte[] bytes = n.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
