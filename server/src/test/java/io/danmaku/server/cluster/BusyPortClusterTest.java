package io.danmaku.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.server.Main;
import io.danmaku.server.cli.RoleCommand;
import io.danmaku.server.role.StandaloneRole;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.kafka.KafkaExtension;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each distributed role started, as {@code danmaku <role>}, on a port another process holds (on the real Kafka
 * broker and Redis Cluster, so it gets as far as binding): exit status 1 and one line naming the key, the address
 * and the cause.
 */
@ExtendWith({KafkaExtension.class, RedisClusterExtension.class})
class BusyPortClusterTest {
    private final StringWriter err = new StringWriter();
    private ClusterStack stack;
    private ServerSocket held;
    private int port;

    @BeforeEach
    void setUp(KafkaBroker kafka, RedisCluster redis) throws IOException {
        stack = new ClusterStack("busy", kafka.bootstrapServers(), redis);
        held = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        port = held.getLocalPort();
    }

    @AfterEach
    void tearDown() throws IOException {
        held.close();
        stack.close();
    }

    private int run(String role, String... extra) {
        List<String> args = new ArrayList<>(List.of(role));
        for (String setting : stack.settings(extra)) {
            args.add("--set");
            args.add(setting);
        }
        return Main.execute(args.toArray(String[]::new), Map.of(), drain -> () -> { }, StandaloneRole::new,
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    }

    private String line(String role, String key) {
        return "danmaku " + role + ": cannot start: " + key + ": cannot listen on 127.0.0.1:" + port
                + ": address already in use\n";
    }

    @Test
    void gatewayPort() {
        assertThat(run("gateway", "gateway.port=" + port)).isEqualTo(RoleCommand.EXIT_START_FAILED);
        assertThat(err.toString()).isEqualTo(line("gateway", "gateway.port"));
    }

    @Test
    void logicGrpcPort() {
        assertThat(run("logic", "logic.grpc.port=" + port)).isEqualTo(RoleCommand.EXIT_START_FAILED);
        assertThat(err.toString()).isEqualTo(line("logic", "logic.grpc.port"));
    }

    @Test
    void logicHttpPort() {
        assertThat(run("logic", "logic.http.port=" + port)).isEqualTo(RoleCommand.EXIT_START_FAILED);
        assertThat(err.toString()).isEqualTo(line("logic", "logic.http.port"));
    }

    @Test
    void storageHttpPort(@TempDir Path archive) {
        assertThat(run("storage", "storage.http.port=" + port, "storage.archive.dir=" + archive))
                .isEqualTo(RoleCommand.EXIT_START_FAILED);
        assertThat(err.toString()).isEqualTo(line("storage", "storage.http.port"));
    }
}
