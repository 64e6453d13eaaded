package io.danmaku.server.role;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.sun.net.httpserver.HttpServer;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.ConfigException;
import io.danmaku.server.config.ConfigLoader;
import io.danmaku.server.config.DanmakuKeys;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code token.jwks-url} from the configuration to a verifier, served by a loopback HTTP server. */
class TokensJwksTest {
    KeyPair ec;
    HttpServer server;
    String url;

    @BeforeEach
    void serve() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        ec = g.generateKeyPair();
        ECPublicKey pub = (ECPublicKey) ec.getPublic();
        byte[] body = ("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k1\",\"x\":\""
                + b64(pub.getW().getAffineX()) + "\",\"y\":\"" + b64(pub.getW().getAffineY()) + "\"}]}")
                .getBytes(StandardCharsets.UTF_8);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/jwks.json", exchange -> {
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks.json";
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    static Config config(String... entries) {
        return new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(), List.of(entries));
    }

    @Test
    void es256TokensAreVerifiedWithTheKeyOfTheConfiguredSet() {
        try (Tokens tokens = Tokens.from(config("token.jwks-url=" + url, "token.audience=danmaku"), false,
                Clock.systemUTC())) {
            String token = JWT.create().withKeyId("k1").withSubject("u1").withAudience("danmaku")
                    .withExpiresAt(Instant.now().plusSeconds(600))
                    .sign(Algorithm.ECDSA256(null, (ECPrivateKey) ec.getPrivate()));
            assertThat(tokens.verifier().verify(token).user().id()).isEqualTo("u1");
            assertThat(tokens.demoIssuer()).as("a key set is a real key: no development mode").isNull();
        }
    }

    @Test
    void aKeySetTogetherWithAKeyFileIsAConfigurationError(@TempDir Path dir) throws Exception {
        Path pem = dir.resolve("ec.pem");
        Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(ec.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
        assertThatThrownBy(() -> Tokens.from(config("token.jwks-url=" + url, "token.ec.public-key-file=" + pem),
                false, Clock.systemUTC())).isInstanceOf(ConfigException.class).hasMessageContaining("token.jwks-url");
    }

    static String b64(BigInteger n) {
        byte[] bytes = n.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
