package io.danmaku.server.role;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.json.Json;
import io.danmaku.server.cli.RoleRunner;
import io.danmaku.server.config.ConfigException;
import io.danmaku.server.config.ConfigLoader;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A first run with no secret: the demo page can get a token and post, as the README promises. */
class StandaloneDevModeTest {

    @Test
    void withoutASecretDemoTokensAreServedAndWorkForPosting() throws Exception {
        StandaloneRole role = new StandaloneRole();
        try (RoleRunner runner = new RoleRunner(new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(),
                List.of("gateway.host=127.0.0.1", "gateway.port=0", "admin.port=0", "gateway.drain.window=0s")), role)) {
            runner.start();
            HttpResponse<String> res = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + role.gatewayPort() + "/demo/token"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"demo user\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(res.statusCode()).isEqualTo(200);
            String token = Json.MAPPER.readTree(res.body()).path("token").asText();
            try (var c = CentrifugeTestClient.connect(role.gatewayPort(), token)) {
                c.subscribe("lobby");
                assertThat(c.publish("lobby", "hello from the demo").has("publish")).isTrue();
                JsonNode pub = c.awaitPublications("lobby", 1).get(0);
                assertThat(pub.path("data").path("user").path("name").asText()).isEqualTo("demo user");
            }
        }
    }

    @Test
    void demoTokensWithOnlyAnRsaKeyIsAConfigError() throws Exception {
        java.nio.file.Path pem = java.nio.file.Files.createTempFile("rsa", ".pem");
        var kp = java.security.KeyPairGenerator.getInstance("RSA");
        kp.initialize(2048);
        java.nio.file.Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n"
                + java.util.Base64.getMimeEncoder().encodeToString(kp.generateKeyPair().getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
        StandaloneRole role = new StandaloneRole();
        RoleRunner runner = new RoleRunner(new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(),
                List.of("gateway.port=0", "admin.port=0", "demo.tokens=true", "token.rsa.public-key-file=" + pem)), role);
        assertThatThrownBy(runner::start).isInstanceOf(ConfigException.class).hasMessageContaining("demo.tokens");
    }
}
