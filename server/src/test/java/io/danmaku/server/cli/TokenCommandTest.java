package io.danmaku.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.server.Main;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.ConfigLoader;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.server.role.StandaloneRole;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code danmaku token} prints a token that a gateway configured the same way accepts. */
class TokenCommandTest {
    private static final String SECRET = "token-command-test-secret-0123456789abcdef";

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int token(Map<String, String> env, String... args) {
        List<String> all = new ArrayList<>(List.of("token"));
        all.addAll(List.of(args));
        return Main.execute(all.toArray(String[]::new), env, new ManualShutdown(), StandaloneRole::new,
                new PrintWriter(out, true), new PrintWriter(err, true));
    }

    /** A standalone server (its gateway verifies tokens as a distributed one does) on a free port. */
    private record Server(RoleRunner runner, StandaloneRole role) implements AutoCloseable {
        int port() {
            return role.gatewayPort();
        }

        @Override
        public void close() {
            runner.close();
        }
    }

    private static Server gateway(String... settings) {
        List<String> all = new ArrayList<>(List.of("gateway.host=127.0.0.1", "gateway.port=0", "admin.host=127.0.0.1",
                "admin.port=0", "gateway.drain.window=0s"));
        all.addAll(List.of(settings));
        Config config = new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(), all);
        StandaloneRole role = new StandaloneRole();
        RoleRunner runner = new RoleRunner(config, role);
        runner.start();
        return new Server(runner, role);
    }

    @Test
    void anHs256TokenFromTheSameSecretIsAcceptedAndLimitedToItsRooms() {
        int status = token(Map.of("DANMAKU_TOKEN_HMAC_SECRET", SECRET), "--user", "alice", "--name", "Alice",
                "--rooms", "lobby,stage", "--ttl", "1h");

        assertThat(status).isZero();
        assertThat(err.toString()).isEmpty();
        String jwt = out.toString().strip();
        assertThat(jwt).matches("[\\w-]+\\.[\\w-]+\\.[\\w-]+");
        try (Server server = gateway("token.hmac.secret=" + SECRET);
             CentrifugeTestClient alice = CentrifugeTestClient.connect(server.port(), jwt)) {
            assertThat(alice.subscribe("lobby").has("subscribe")).isTrue();
            JsonNode published = alice.publish("lobby", "hello");
            assertThat(published.has("publish")).as(published.toString()).isTrue();
            assertThat(alice.awaitPublications("lobby", 1).get(0).path("data").path("user").path("name").asText())
                    .isEqualTo("Alice");
            assertThat(alice.subscribe("backstage").has("error")).as("a room outside the token's rooms").isTrue();
        }
    }

    @Test
    void anRs256TokenFromThePrivateKeyIsAcceptedByTheConfiguredPublicKey(@TempDir Path dir) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        Path privateKey = dir.resolve("private.pem");
        Path publicKey = dir.resolve("public.pem");
        Files.writeString(privateKey, pem("PRIVATE KEY", pair.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
        Files.writeString(publicKey, pem("PUBLIC KEY", pair.getPublic().getEncoded()), StandardCharsets.US_ASCII);

        assertThat(token(Map.of(), "--user", "bob", "--rsa-private-key", privateKey.toString())).isZero();

        try (Server server = gateway("token.rsa.public-key-file=" + publicKey);
             CentrifugeTestClient bob = CentrifugeTestClient.connect(server.port(), out.toString().strip())) {
            assertThat(bob.subscribe("anywhere").has("subscribe")).isTrue();
        }
    }

    @Test
    void aTokenMintedWithTheConfiguredAudienceAndIssuerPassesAGatewayThatRequiresThem() {
        Map<String, String> env = Map.of("DANMAKU_TOKEN_HMAC_SECRET", SECRET, "DANMAKU_TOKEN_AUDIENCE", "danmaku",
                "DANMAKU_TOKEN_ISSUER", "https://auth.example.com");
        assertThat(token(env, "--user", "carol")).isZero();

        try (Server server = gateway("token.hmac.secret=" + SECRET, "token.audience=danmaku",
                "token.issuer=https://auth.example.com", "allow.anonymous=false");
             CentrifugeTestClient carol = CentrifugeTestClient.connect(server.port(), out.toString().strip())) {
            assertThat(carol.subscribe("anywhere").has("subscribe")).isTrue();
        }
    }

    @Test
    void withoutASecretOrKeyItExitsTwoSayingWhatIsMissing() {
        assertThat(token(Map.of(), "--user", "alice")).isEqualTo(RoleCommand.EXIT_BAD_CONFIG);

        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).startsWith("danmaku token: token.hmac.secret: unset (expected: ");
    }

    @Test
    void aBadTtlOrAMissingUserIsAUsageError() {
        assertThat(token(Map.of("DANMAKU_TOKEN_HMAC_SECRET", SECRET), "--user", "a", "--ttl", "forever")).isEqualTo(2);
        assertThat(err.toString()).contains("--ttl: \"forever\" (expected: a duration like 30m, 24h)");
        assertThat(token(Map.of())).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required option: '--user=ID'");
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }
}
