package io.danmaku.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmaku.server.Main;
import io.danmaku.server.ServerException;
import io.danmaku.server.admin.Readiness;
import io.danmaku.server.config.ConfigDocs;
import io.danmaku.server.config.ConfigException;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.server.role.Role;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class MainTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final ManualShutdown shutdown = new ManualShutdown();
    private final AtomicInteger rolesMade = new AtomicInteger();

    private int run(Map<String, String> env, Supplier<Role> role, String... args) {
        Supplier<Role> counted = () -> {
            rolesMade.incrementAndGet();
            return role.get();
        };
        return Main.execute(args, env, shutdown, counted, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    private int run(String... args) {
        return run(Map.of(), RecordingRole::new, args);
    }

    @Test
    void helpListsTheCommandsAndExitsZero() {
        assertThat(run("--help")).isZero();

        assertThat(out.toString()).contains("Usage: danmaku", "standalone", "config-docs", "--version");
        assertThat(out.toString()).containsPattern("(?m)^  gateway\\b").containsPattern("(?m)^  logic\\b")
                .containsPattern("(?m)^  storage\\b");
    }

    @Test
    void standaloneHelpShowsItsOptionsAndExitStatuses() {
        assertThat(run("standalone", "--help")).isZero();

        assertThat(out.toString()).contains("Usage: danmaku standalone", "--config=FILE", "--set=KEY=VALUE",
                "Exit status:", "2   bad command line or configuration");
        assertThat(rolesMade).hasValue(0);
    }

    @Test
    void versionNamesTheProjectVersion() {
        assertThat(run("--version")).isZero();

        assertThat(out.toString()).containsPattern("^danmaku \\d+\\.\\d+\\.\\d+").contains("JVM: ");
    }

    @Test
    void noCommandOrAnUnknownOneIsAUsageError() {
        assertThat(run()).isEqualTo(2);
        assertThat(err.toString()).contains("Missing a command: standalone, gateway, logic, storage, token or config-docs");

        assertThat(run("gateway")).isEqualTo(2);
        assertThat(run("standalone", "--bogus")).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option: '--bogus'");
    }

    @Test
    void badConfigurationExitsTwoWithTheProblemsAndNoStackTrace() {
        int status = run(Map.of("DANMAKU_GATEWAY_BATCH_WINDOW", "fast"), RecordingRole::new,
                "standalone", "--set", "gateway.prot=1");

        assertThat(status).isEqualTo(RoleCommand.EXIT_BAD_CONFIG);
        assertThat(err.toString()).isEqualTo("""
                danmaku standalone: invalid configuration:
                gateway.prot: unknown key in flag --set (did you mean gateway.port?)
                gateway.batch.window: "fast" from env DANMAKU_GATEWAY_BATCH_WINDOW (expected: a duration like 50ms, 2s; 0..10s)
                """);
        assertThat(rolesMade).hasValue(0);
        assertThat(shutdown.drain).isNull();
    }

    @Test
    void aMissingConfigFileExitsTwo() {
        assertThat(run("standalone", "--config", "/nonexistent/danmaku.yaml")).isEqualTo(2);

        assertThat(err.toString()).isEqualTo(
                "danmaku standalone: invalid configuration: --config: \"/nonexistent/danmaku.yaml\" (expected: an existing YAML file)\n");
    }

    @Test
    void configDocsPrintsTheMarkdown() {
        assertThat(run("config-docs")).isZero();

        assertThat(out.toString()).isEqualTo(ConfigDocs.markdown(DanmakuKeys.DEFINITION));
    }

    @Test
    void standaloneRunsUntilShutdownThenDrainsAndExitsZero() throws Exception {
        RecordingRole role = new RecordingRole();
        CompletableFuture<Integer> status = CompletableFuture.supplyAsync(() -> run(Map.of(), () -> role,
                "standalone", "--set", "admin.host=127.0.0.1", "--set", "admin.port=0", "--set", "gateway.port=9999"));

        assertThat(role.started.await(30, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> role.readiness.isReady());
        assertThat(role.config.getInt(DanmakuKeys.GATEWAY_PORT)).isEqualTo(9999);
        assertThat(status).isNotDone();

        shutdown.signal();

        assertThat(status.get(30, TimeUnit.SECONDS)).isZero();
        assertThat(role.closes).hasValue(1);
        assertThat(role.readiness.state()).isEqualTo(Readiness.State.DRAINING);
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void aRoleThatCannotStartExitsOneWithItsMessage() {
        RecordingRole role = new RecordingRole(new ServerException("gateway.port 8080: address in use"));

        int status = run(Map.of(), () -> role, "standalone", "--set", "admin.host=127.0.0.1", "--set", "admin.port=0");

        assertThat(status).isEqualTo(RoleCommand.EXIT_START_FAILED);
        assertThat(err.toString()).isEqualTo("danmaku standalone: cannot start: gateway.port 8080: address in use\n");
        assertThat(role.closes).hasValue(1);
        assertThat(shutdown.cancelled).isTrue();
    }

    @Test
    void aRoleThatFindsBadConfigurationExitsTwo() {
        RecordingRole role = new RecordingRole(new ConfigException("token.rsa.public-key-file: \"k.pem\" (expected: a PEM public key)"));

        int status = run(Map.of(), () -> role, "standalone", "--set", "admin.host=127.0.0.1", "--set", "admin.port=0");

        assertThat(status).isEqualTo(RoleCommand.EXIT_BAD_CONFIG);
        assertThat(err.toString()).contains("invalid configuration: token.rsa.public-key-file");
        assertThat(shutdown.cancelled).isTrue();
    }

    @Test
    void anUnexpectedStartFailureExitsOne() {
        RecordingRole role = new RecordingRole(new IllegalStateException("bug"));

        int status = run(Map.of(), () -> role, "standalone", "--set", "admin.host=127.0.0.1", "--set", "admin.port=0");

        assertThat(status).isEqualTo(RoleCommand.EXIT_START_FAILED);
        assertThat(err.toString()).isEqualTo("danmaku standalone: cannot start: bug\n");
    }
}
