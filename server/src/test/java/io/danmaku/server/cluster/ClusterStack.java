package io.danmaku.server.cluster;

import static java.util.Objects.requireNonNull;

import io.danmaku.rpc.internal.Rendezvous;
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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.IdentityHashMap;
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
 *
 * <p>A stack may have several logic instances, each with its own gRPC port; every gateway lists all of them in
 * {@code gateway.logic.target}, so a user's posts go to the instance the gateways choose for it by rendezvous
 * hashing ({@link #logicFor}). {@link #stop} ends one role (a logic instance going away) while the rest run on;
 * {@link #meter} reads a role's meters from its admin server, as Prometheus would.
 */
final class ClusterStack implements AutoCloseable {
    static final String SECRET = "cluster-test-secret-cluster-test-secret-0123";
    static final String API_KEY = "cluster-test-api-key";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final String name;
    private final String topic;
    private final String group;
    private final List<Integer> grpcPorts;
    private final List<String> common;
    private final Deque<RoleRunner> runners = new ArrayDeque<>();
    private final Map<Role, RoleRunner> runnerOf = new IdentityHashMap<>();

    /**
     * @param name a short name for node ids, the topic and the group
     * @param extra further {@code key=value} settings for every role of the stack
     */
    ClusterStack(String name, String bootstrapServers, RedisCluster redis, String... extra) {
        this(name, bootstrapServers, redis, 1, extra);
    }

    /**
     * @param logicInstances how many logic instances the gateways know ({@link #startLogic(int)} 1 to n)
     * @param extra further {@code key=value} settings for every role of the stack
     */
    ClusterStack(String name, String bootstrapServers, RedisCluster redis, int logicInstances, String... extra) {
        this.name = requireNonNull(name, "name");
        if (logicInstances < 1) {
            throw new IllegalArgumentException("logicInstances: " + logicInstances + " (expected: >= 1)");
        }
        String unique = UUID.randomUUID().toString().substring(0, 8);
        this.topic = "danmaku.cluster-" + name + "-" + unique;
        this.group = "danmaku-storage-" + name + "-" + unique;
        List<Integer> ports = new ArrayList<>();
        while (ports.size() < logicInstances) {
            int port = freePort();
            if (!ports.contains(port)) {
                ports.add(port);
            }
        }
        this.grpcPorts = List.copyOf(ports);
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
                "gateway.logic.target=" + String.join(",", logicAddresses()),
                "logic.grpc.host=127.0.0.1",
                "logic.grpc.port=" + grpcPorts.get(0),
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
        return startLogic(1);
    }

    /** Starts logic instance {@code n} (1-based) on its own gRPC port. */
    LogicRole startLogic(int n) {
        return start(new LogicRole(), "node.id=" + name + "-logic-" + n, "logic.grpc.port=" + grpcPorts.get(n - 1));
    }

    /** The gRPC addresses of the logic instances, as every gateway's {@code gateway.logic.target} lists them. */
    List<String> logicAddresses() {
        return grpcPorts.stream().map(port -> "127.0.0.1:" + port).toList();
    }

    /** The logic instance (1-based) the gateways send {@code user}'s posts to while every instance is up. */
    int logicFor(String user) {
        return logicAddresses().indexOf(Rendezvous.pick(user, logicAddresses())) + 1;
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
        runnerOf.put(role, runner);
        return role;
    }

    /** Stops one role of this stack now (drains it as a shutdown signal would); the others keep running. */
    void stop(Role role) {
        RoleRunner runner;
        synchronized (this) {
            runner = requireNonNull(runnerOf.remove(role), "role not running in this stack");
            runners.remove(runner);
        }
        runner.close();
    }

    /** The admin port of a running role. */
    synchronized int adminPort(Role role) {
        return requireNonNull(runnerOf.get(role), "role not running in this stack").adminPort();
    }

    /**
     * The sum of the samples of meter {@code name} (Prometheus name, e.g. {@code danmaku_logic_posts_total}) with
     * every label of {@code labels} ({@code result="accepted"}), scraped from {@code role}'s admin server.
     */
    double meter(Role role, String name, String... labels) {
        String body = admin(role, "/metrics").body();
        double sum = 0;
        for (String line : body.split("\n")) {
            if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
                continue;
            }
            int end = line.lastIndexOf(' ');
            String series = line.substring(0, end);
            if (Arrays.stream(labels).allMatch(series::contains)) {
                sum += Double.parseDouble(line.substring(end + 1));
            }
        }
        return sum;
    }

    /** {@code GET path} on {@code role}'s admin server ({@code /metrics}, {@code /healthz}, {@code /readyz}). */
    HttpResponse<String> admin(Role role, String path) {
        RoleRunner runner;
        synchronized (this) {
            runner = requireNonNull(runnerOf.get(role), "role not running in this stack");
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + runner.adminPort() + path))
                .timeout(Duration.ofSeconds(10)).build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + path + " of " + role.getClass().getSimpleName(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public synchronized void close() {
        while (!runners.isEmpty()) {
            runners.pop().close();
        }
        runnerOf.clear();
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
