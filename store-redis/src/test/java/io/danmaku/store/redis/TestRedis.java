package io.danmaku.store.redis;

import io.danmaku.testkit.redis.RedisCluster;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Transports;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Connections for the tests: one set of Lettuce threads for the whole test JVM (creating them per store would
 * dominate the suite's time), kept up between stores and shut down when the JVM exits.
 */
final class TestRedis {
    private static ClientResources resources;

    private TestRedis() {
    }

    static synchronized ClientResources resources() {
        if (resources == null) {
            ClientResources created = DefaultClientResources.create();
            // Lettuce shuts its I/O threads down when the last client using them does, with no quiet period: a
            // connection that a store's topology refresh or a refused connect was still opening then registers on
            // a loop that is terminating, and its buffers are never released (LEAK:). One reference held for the
            // JVM's lifetime keeps them up between stores (and saves starting them for each).
            created.eventLoopGroupProvider().allocate(Transports.eventLoopGroupClass());
            Runtime.getRuntime().addShutdownHook(new Thread(
                    () -> created.shutdown(0, 2, TimeUnit.SECONDS), "lettuce-test-resources-stop"));
            resources = created;
        }
        return resources;
    }

    /** Settings for {@code redis}: its {@code rediss://} URIs and its client files when it speaks TLS. */
    static RedisStoreConfig config(RedisCluster redis, int historyCapacity) {
        RedisStoreConfig config = redis.layout().clustered() ? RedisStoreConfig.cluster(redis.uris())
                : RedisStoreConfig.single(redis.uri());
        return config.withHistoryCapacity(historyCapacity).withTls(redis.tlsFiles()
                .map(f -> new RedisTls(f.caFile(), f.certFile(), f.keyFile())).orElse(null));
    }

    /** A fresh name whose Redis key ({@code toKey} of it) is served by {@code master} of {@code cluster}. */
    static String nameServedBy(RedisCluster cluster, RedisCluster.Node master, UnaryOperator<String> toKey) {
        for (int attempt = 0; attempt < 1000; attempt++) {
            String name = RedisHotStoreTest.unique("on-" + master.port());
            if (cluster.masterOf(toKey.apply(name)).port() == master.port()) {
                return name;
            }
        }
        throw new AssertionError("no key served by " + master.address() + " in 1000 names");
    }

    /** The masters of {@code cluster} now. */
    static List<RedisCluster.Node> masters(RedisCluster cluster) {
        return cluster.nodes().stream().filter(n -> n.role() == RedisCluster.Role.MASTER).toList();
    }

    static RedisHotStore connect(RedisCluster redis, int historyCapacity) {
        return connect(redis, historyCapacity, new SimpleMeterRegistry());
    }

    static RedisHotStore connect(RedisCluster redis, int historyCapacity, MeterRegistry registry) {
        return RedisHotStore.connect(config(redis, historyCapacity), registry, resources());
    }

    /**
     * A store for the contract tests: what it answers is checked, not how fast, so its commands may take up to
     * {@link #CONTRACT_COMMAND_TIMEOUT} (the production 500 ms fails batches of thousands of keys on a loaded
     * two-core machine). The failover and outage tests keep the production timeout.
     */
    static RedisHotStore connectForContract(RedisCluster redis, int historyCapacity) {
        return RedisHotStore.connect(config(redis, historyCapacity).withCommandTimeout(CONTRACT_COMMAND_TIMEOUT),
                new SimpleMeterRegistry(), resources());
    }

    static final java.time.Duration CONTRACT_COMMAND_TIMEOUT = java.time.Duration.ofSeconds(5);

    /**
     * A store with Lettuce threads of its own, for tests that break connections: reconnect attempts still pending
     * when such a store closes would otherwise fire on the shared threads and log errors in later tests.
     */
    static RedisHotStore connectAlone(RedisCluster redis, int historyCapacity, MeterRegistry registry) {
        return RedisHotStore.connect(config(redis, historyCapacity), registry);
    }
}
