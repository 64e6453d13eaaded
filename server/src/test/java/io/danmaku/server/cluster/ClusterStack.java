package io.danmaku.server.cluster;

import static java.util.Objects.requireNonNull;

import io.danmaku.server.cli.RoleRunner;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.ConfigLoader;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.server.role.GatewayRole;
import io.danmaku.server.role.LogicRole;
import io.danmaku.server.role.Role;
import io.danmaku.server.role.StorageRole;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.ws.TestTokens;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One distributed deployment inside the test JVM, as the roles run in production: each {@link LogicRole},
 * {@link GatewayRole} and {@link StorageRole} with its own {@link RoleRunner} (admin server, meters), its own
 * Kafka bus and Redis store, talking to the others only through Kafka, Redis and gRPC. A stack has its own topic
 * and storage group, so test classes sharing the JVM's broker and cluster never see each other's messages.
 * Rate limits are lifted: these tests count messages, they do not test the limiter. {@link #close()} stops the
 * roles in reverse start order.
 */
final class ClusterStack implements AutoCloseable {
    static final String SECRET = "cluster-test-secret-cluster-test-secret-0123";
    static final String API_KEY = "cluster-test-api-key";

    private final String name;
    private final String topic;
    private final String group;
    private final int grpcPort;
    private final List<String> common;
    private final Deque<RoleRunner> runners = new ArrayDeque<>();

    /**
     * @param name a short name for node ids, the topic and the group
     * @param extra further {@code key=value} settings for every role of the stack
     */
    ClusterStack(String name, String bootstrapServers, RedisCluster redis, String... extra) {
        this.name = requireNonNull(name, "name");
        String unique = UUID.randomUUID().toString().substring(0, 8);
        this.topic = "danmaku.cluster-" + name + "-" + unique;
        this.group = "danmaku-storage-" + name + "-" + unique;
        this.grpcPort = freePort();
        List<String> settings = new ArrayList<>(List.of(
                "bus.type=kafka",
                "bus.kafka.bootstrap-servers=" + bootstrapServers,
                "bus.kafka.topic=" + topic,
                "bus.kafka.partitions=6",
                "store.type=redis",
                "store.redis.mode=cluster",
                "store.redis.uris=" + String.join(",", redis.uris()),
                "token.hmac.secret=" + SECRET,
                "api.key=" + API_KEY,
                "admin.host=127.0.0.1",
                "admin.port=0",
                "gateway.host=127.0.0.1",
                "gateway.port=0",
                "gateway.batch.window=20ms",
                "gateway.online.report-interval=100ms",
                "gateway.drain.window=0s",
                "gateway.logic.target=127.0.0.1:" + grpcPort,
                "logic.grpc.host=127.0.0.1",
                "logic.grpc.port=" + grpcPort,
                "logic.http.host=127.0.0.1",
                "logic.http.port=0",
                "logic.rate.user.burst=10000",
                "logic.rate.user.per-second=100000",
                "logic.rate.room.burst=1000000",
                "logic.rate.room.per-second=1000000",
                "storage.group=" + group,
                "storage.http.host=127.0.0.1",
                "storage.http.port=0",
                "storage.archive.segment-max-bytes=8192"));
        settings.addAll(Arrays.asList(extra));
        this.common = List.copyOf(settings);
    }

    String topic() {
        return topic;
    }

    String group() {
        return group;
    }

    /** The settings every role of this stack gets, plus {@code extra} (later ones win). */
    List<String> settings(String... extra) {
        List<String> all = new ArrayList<>(common);
        all.addAll(Arrays.asList(extra));
        return all;
    }

    LogicRole startLogic() {
        return start(new LogicRole(), "node.id=" + name + "-logic");
    }

    GatewayRole startGateway(int n) {
        return start(new GatewayRole(), "node.id=" + name + "-gateway-" + n);
    }

    StorageRole startStorage(Path archiveDir) {
        return start(new StorageRole(), "node.id=" + name + "-storage", "storage.archive.dir=" + archiveDir);
    }

    /** Starts {@code role} with this stack's settings and {@code extra}; it is closed by {@link #close()}. */
    synchronized <R extends Role> R start(R role, String... extra) {
        Config config = new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(), settings(extra));
        RoleRunner runner = new RoleRunner(config, role);
        runner.start();
        runners.push(runner);
        return role;
    }

    @Override
    public synchronized void close() {
        while (!runners.isEmpty()) {
            runners.pop().close();
        }
    }

    static String token(String user) {
        return TestTokens.hs256(SECRET, user, user + "-name");
    }

    static String room(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A loopback port that was free a moment ago. */
    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
