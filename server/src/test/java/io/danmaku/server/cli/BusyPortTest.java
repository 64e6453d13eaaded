package io.danmaku.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.server.Main;
import io.danmaku.server.role.StandaloneRole;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A port that another process holds: the command exits 1 with one line naming the key, the address and the cause,
 * and leaves nothing bound (the other ports are free again). The distributed roles' ports are covered on real Kafka
 * and Redis in {@code io.danmaku.server.cluster.BusyPortClusterTest}.
 */
class BusyPortTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final ManualShutdown shutdown = new ManualShutdown();
    private ServerSocket held;

    @BeforeEach
    void hold() throws IOException {
        held = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
    }

    @AfterEach
    void release() throws IOException {
        held.close();
    }

    private int standalone(String... settings) {
        String[] args = new String[1 + 2 * settings.length];
        args[0] = "standalone";
        for (int i = 0; i < settings.length; i++) {
            args[1 + 2 * i] = "--set";
            args[2 + 2 * i] = settings[i];
        }
        return Main.execute(args, Map.of(), shutdown, StandaloneRole::new, new PrintWriter(out, true),
                new PrintWriter(err, true));
    }

    @Test
    void aBusyGatewayPortExitsOneNamingTheKeyAndAddress() throws IOException {
        int port = held.getLocalPort();
        int admin = freePort();

        int status = standalone("admin.host=127.0.0.1", "admin.port=" + admin, "gateway.host=127.0.0.1",
                "gateway.port=" + port);

        assertThat(status).isEqualTo(RoleCommand.EXIT_START_FAILED);
        assertThat(err.toString()).isEqualTo("danmaku standalone: cannot start: gateway.port: cannot listen on 127.0.0.1:"
                + port + ": address already in use\n");
        assertThat(shutdown.cancelled).isTrue();
        try (ServerSocket again = new ServerSocket(admin, 1, InetAddress.getByName("127.0.0.1"))) {
            assertThat(again.getLocalPort()).as("the admin port is released").isEqualTo(admin);
        }
    }

    @Test
    void aBusyAdminPortExitsOneNamingTheKeyAndAddress() {
        int port = held.getLocalPort();

        int status = standalone("admin.host=127.0.0.1", "admin.port=" + port, "gateway.host=127.0.0.1", "gateway.port=0");

        assertThat(status).isEqualTo(RoleCommand.EXIT_START_FAILED);
        assertThat(err.toString()).isEqualTo("danmaku standalone: cannot start: admin.port: cannot listen on 127.0.0.1:"
                + port + ": address already in use\n");
    }

    @Test
    void badConfigurationIsReportedBeforeAnyPortIsBound() {
        int port = held.getLocalPort();

        int status = Main.execute(new String[] {"gateway", "--set", "admin.host=127.0.0.1", "--set", "admin.port=" + port},
                Map.of(), shutdown, StandaloneRole::new, new PrintWriter(out, true), new PrintWriter(err, true));

        assertThat(status).isEqualTo(RoleCommand.EXIT_BAD_CONFIG);
        assertThat(err.toString()).startsWith("danmaku gateway: invalid configuration: ")
                .contains("(expected: kafka for the gateway role").doesNotContain("cannot listen");
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
