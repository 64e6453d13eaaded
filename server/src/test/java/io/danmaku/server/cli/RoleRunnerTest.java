package io.danmaku.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.server.admin.Readiness;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.ConfigLoader;
import io.danmaku.server.config.DanmakuKeys;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoleRunnerTest {
    private static final Config LOCAL = new ConfigLoader(DanmakuKeys.DEFINITION)
            .load(null, Map.of(), List.of("admin.host=127.0.0.1", "admin.port=0"));

    private final HttpClient client = HttpClient.newHttpClient();

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void startsAdminThenRoleThenIsReadyAndDrainsOnClose() throws Exception {
        RecordingRole role = new RecordingRole();
        RoleRunner runner = new RoleRunner(LOCAL, role);

        runner.start();
        int port = runner.adminPort();

        assertThat(role.config).isSameAs(LOCAL);
        assertThat(role.readiness).isSameAs(runner.readiness());
        assertThat(get(port, "/readyz").statusCode()).isEqualTo(200);
        assertThat(get(port, "/metrics").body()).contains("danmaku_test_started_total 1.0");

        runner.close();
        runner.close();

        assertThat(role.closes).hasValue(1);
        assertThat(runner.readiness().state()).isEqualTo(Readiness.State.DRAINING);
        assertThatThrownBy(() -> get(port, "/healthz")).isInstanceOf(ConnectException.class);
        assertThatThrownBy(runner::start).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aRoleThatFailsToStartIsClosedWithTheAdminServer() {
        RecordingRole role = new RecordingRole(new IllegalStateException("boom"));
        RoleRunner runner = new RoleRunner(LOCAL, role);

        assertThatThrownBy(runner::start).isInstanceOf(IllegalStateException.class).hasMessage("boom");

        assertThat(role.closes).hasValue(1);
        assertThat(runner.readiness().isReady()).isFalse();
        assertThatThrownBy(runner::adminPort).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closingBeforeStartingClosesNothingAndForbidsStart() {
        RecordingRole role = new RecordingRole();
        RoleRunner runner = new RoleRunner(LOCAL, role);

        runner.close();

        assertThat(role.closes).hasValue(0);
        assertThatThrownBy(runner::start).isInstanceOf(IllegalStateException.class);
    }
}
