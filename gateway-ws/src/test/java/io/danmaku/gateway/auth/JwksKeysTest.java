package io.danmaku.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.sun.net.httpserver.HttpServer;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Keys from a JWKS document served by {@code com.sun.net.httpserver} on loopback: RS256 and ES256 tokens verified
 * by {@code kid}, a key rotated in (fetched when a token names it) and out (gone after the next refresh), and the
 * rate limit on fetches asked for by unknown {@code kid}s.
 */
class JwksKeysTest {
    final KeyPair rsa = generate("RSA", null);
    final KeyPair ec = generate("EC", "secp256r1");
    final AtomicReference<String> document = new AtomicReference<>("{\"keys\":[]}");
    final AtomicInteger fetches = new AtomicInteger();
    HttpServer server;
    JwksKeys keys;

    @BeforeEach
    void serve() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/jwks.json", exchange -> {
            fetches.incrementAndGet();
            byte[] body = document.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        if (keys != null) {
            keys.close();
        }
        server.stop(0);
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/jwks.json");
    }

    TokenVerifier verifier(Duration minRefetch) {
        keys = new JwksKeys(url(), Duration.ZERO, minRefetch).start();
        return TokenVerifier.create(TokenRules.keys(null, null, null).withJwks(keys), Clock.systemUTC());
    }

    String rs256(String kid) {
        return JWT.create().withKeyId(kid).withSubject("u1").withExpiresAt(Instant.now().plusSeconds(600))
                .sign(Algorithm.RSA256(null, (RSAPrivateKey) rsa.getPrivate()));
    }

    String es256(String kid) {
        return JWT.create().withKeyId(kid).withSubject("u2").withExpiresAt(Instant.now().plusSeconds(600))
                .sign(Algorithm.ECDSA256(null, (ECPrivateKey) ec.getPrivate()));
    }

    @Test
    void rs256AndEs256TokensAreVerifiedWithTheKeyTheirKidNames() {
        document.set(set(rsaJwk("r1"), ecJwk("e1")));
        TokenVerifier verifier = verifier(Duration.ofSeconds(10));

        assertThat(verifier.algorithms()).containsExactlyInAnyOrder("RS256", "ES256");
        assertThat(verifier.verify(rs256("r1")).user().id()).isEqualTo("u1");
        assertThat(verifier.verify(es256("e1")).user().id()).isEqualTo("u2");
        assertThatThrownBy(() -> verifier.verify(rs256("e1")))
                .as("an RS256 token naming the EC key").isInstanceOf(TokenException.class);
        assertThatThrownBy(() -> verifier.verify(JWT.create().withSubject("u1")
                .sign(Algorithm.RSA256(null, (RSAPrivateKey) rsa.getPrivate()))))
                .as("no kid").isInstanceOf(TokenException.class).hasMessageContaining("kid");
    }

    @Test
    void aKeyRotatedInIsFetchedWhenATokenNamesItAndAKeyRotatedOutIsRefusedAfterTheRefresh() {
        document.set(set(rsaJwk("old")));
        TokenVerifier verifier = verifier(Duration.ZERO);
        assertThat(verifier.verify(rs256("old"))).isNotNull();

        // the issuer publishes a second key and starts signing with it
        document.set(set(rsaJwk("old"), ecJwk("new")));
        assertThatThrownBy(() -> verifier.verify(es256("new")))
                .as("not fetched yet: temporary, the client gets a new token and retries")
                .isInstanceOfSatisfying(TokenException.class, e -> assertThat(e.temporary()).isTrue());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(verifier.verify(es256("new"))
                .user().id()).isEqualTo("u2"));
        assertThat(verifier.verify(rs256("old"))).as("both keys during the rotation").isNotNull();

        // the old key is withdrawn
        document.set(set(ecJwk("new")));
        keys.refresh();
        assertThat(keys.kids()).containsExactly("new");
        assertThatThrownBy(() -> verifier.verify(rs256("old"))).isInstanceOf(TokenException.class);
        assertThat(verifier.verify(es256("new"))).isNotNull();
    }

    @Test
    void unknownKidsAskForAtMostOneFetchPerInterval() throws Exception {
        document.set(set(rsaJwk("r1")));
        TokenVerifier verifier = verifier(Duration.ofMinutes(10));
        int afterStart = fetches.get();
        for (int i = 0; i < 100; i++) {
            String kid = "forged-" + i;
            assertThatThrownBy(() -> verifier.verify(rs256(kid))).isInstanceOf(TokenException.class);
        }
        Thread.sleep(300);
        assertThat(fetches.get()).as("the first fetch was less than the interval ago").isEqualTo(afterStart);
    }

    @Test
    void aDocumentThatCannotBeParsedKeepsTheKeysHeld() {
        document.set(set(rsaJwk("r1")));
        TokenVerifier verifier = verifier(Duration.ZERO);
        document.set("<html>maintenance</html>");
        keys.refresh();
        assertThat(keys.kids()).containsExactly("r1");
        assertThat(verifier.verify(rs256("r1"))).isNotNull();
    }

    static String set(String... jwks) {
        return "{\"keys\":[" + String.join(",", jwks) + "]}";
    }

    String rsaJwk(String kid) {
        RSAPublicKey k = (RSAPublicKey) rsa.getPublic();
        return "{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"" + kid + "\",\"n\":\""
                + b64(k.getModulus()) + "\",\"e\":\"" + b64(k.getPublicExponent()) + "\"}";
    }

    String ecJwk(String kid) {
        ECPublicKey k = (ECPublicKey) ec.getPublic();
        return "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"" + kid + "\",\"x\":\"" + b64(k.getW().getAffineX())
                + "\",\"y\":\"" + b64(k.getW().getAffineY()) + "\"}";
    }

    static String b64(BigInteger n) {
        byte[] bytes = n.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static KeyPair generate(String algorithm, String curve) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
            if (curve != null) {
                g.initialize(new ECGenParameterSpec(curve));
            } else {
                g.initialize(2048);
            }
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
