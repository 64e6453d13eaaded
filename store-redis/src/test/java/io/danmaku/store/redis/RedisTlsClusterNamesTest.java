package io.danmaku.store.redis;

import static io.danmaku.store.redis.RedisHotStoreTest.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.danmaku.protocol.DanmakuException;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisCluster.Node;
import io.danmaku.testkit.tls.TestCa;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the nodes' certificate must name in a Redis Cluster over TLS: the address each node announces, which the
 * client connects to whatever seed it was given. A cluster of its own (3 masters) whose certificate names only
 * {@code localhost}: seeded with {@code rediss://localhost:<port>}, the seed answers, but the nodes announce
 * {@code 127.0.0.1}, so the start fails, naming the address; once the nodes announce {@code localhost}
 * ({@code cluster-announce-hostname}, and {@code cluster-preferred-endpoint-type hostname} for the redirections),
 * the same settings work; when one node announces an address its certificate does not name, the start fails
 * naming that node. The tests set the announced names they need first.
 */
class RedisTlsClusterNamesTest {
    private static RedisCluster cluster;

    @BeforeAll
    static void startCluster() {
        RedisCluster.installIfMissing();
        TestCa ca = TestCa.create("redis-names-ca");
        cluster = RedisCluster.start(RedisCluster.Layout.MASTERS_ONLY, 0,
                new RedisCluster.Tls(ca, ca.issueServer("redis-localhost", List.of("localhost"))));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void theCertificateMustNameTheAddressEveryNodeAnnounces() {
        for (Node node : cluster.nodes()) {
            announce(node, "");
        }
        awaitAnnounced(0);
        RedisStoreConfig config = config(cluster.nodes().get(0));

        assertThatThrownBy(() -> connect(config))
                .isInstanceOfSatisfying(DanmakuException.class, e -> assertThat(e.retriable()).isFalse())
                .hasMessageContaining("does not name the address")
                .hasMessageContaining("127.0.0.1")
                .hasMessageContaining("cluster-announce-hostname");

        for (Node node : cluster.nodes()) {
            cluster.call(node, "CONFIG", "SET", "cluster-preferred-endpoint-type", "hostname");
            announce(node, "localhost");
        }
        awaitAnnounced(cluster.nodes().size());
        try (RedisHotStore store = connect(config)) {
            for (Node master : TestRedis.masters(cluster)) {
                String mark = TestRedis.nameServedBy(cluster, master, RedisKeys::dedupe);
                assertThat(get(store.markOnce(mark, Duration.ofMinutes(1)))).as(master.address()).isTrue();
                assertThat(cluster.call(master, "EXISTS", RedisKeys.dedupe(mark))).isEqualTo(1L);
            }
        }
    }

    /**
     * One node announces an address its certificate does not name, the others are fine: the cluster connection
     * goes to the first node that takes it and to the others only when a command needs them, so without the
     * start-up check every command routed to that node would fail. The start fails instead, naming the node.
     */
    @Test
    void oneNodeWhoseCertificateDoesNotNameItsAnnouncedAddressFailsTheStartNamingIt() {
        Node odd = cluster.nodes().get(1);
        try {
            for (Node node : cluster.nodes()) {
                cluster.call(node, "CONFIG", "SET", "cluster-preferred-endpoint-type", "hostname");
                announce(node, node.equals(odd) ? "" : "localhost");
            }
            awaitAnnounced(cluster.nodes().size() - 1);

            assertThatThrownBy(() -> connect(config(cluster.nodes().get(0))))
                    .isInstanceOfSatisfying(DanmakuException.class, e -> assertThat(e.retriable()).isFalse())
                    .hasMessageContaining("node 127.0.0.1:" + odd.port() + ", as the cluster announces it:")
                    .hasMessageContaining("does not name the address");
        } finally {
            announce(odd, "localhost");
            awaitAnnounced(cluster.nodes().size());
        }
    }

    private static RedisStoreConfig config(Node seed) {
        RedisCluster.TlsFiles files = cluster.tlsFiles().orElseThrow();
        return RedisStoreConfig.cluster(List.of("rediss://localhost:" + seed.port()))
                .withTls(new RedisTls(files.caFile(), files.certFile(), files.keyFile()));
    }

    /** {@code hostname} as {@code node}'s {@code cluster-announce-hostname}; empty = none (its IP only). */
    private static void announce(Node node, String hostname) {
        cluster.call(node, "CONFIG", "SET", "cluster-announce-hostname", hostname);
    }

    /** Waits until every node's {@code CLUSTER NODES} shows {@code count} nodes announcing {@code localhost}. */
    private static void awaitAnnounced(int count) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> cluster.nodes()
                .stream().allMatch(n -> announcedHostnames(n) == count));
    }

    /** How many lines of {@code node}'s {@code CLUSTER NODES} carry the hostname {@code localhost}. */
    private static long announcedHostnames(Node node) {
        String lines = (String) cluster.call(node, "CLUSTER", "NODES");
        return lines.lines().filter(l -> l.split(" ")[1].endsWith(",localhost")).count();
    }

    private static RedisHotStore connect(RedisStoreConfig config) {
        return RedisHotStore.connect(config, new SimpleMeterRegistry(), TestRedis.resources());
    }
}
