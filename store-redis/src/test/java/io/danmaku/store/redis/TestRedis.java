package io.danmaku.store.redis;

import io.danmaku.testkit.redis.RedisCluster;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;

/**
 * Connections for the tests: one set of Lettuce threads for the whole test JVM (creating them per store would
 * dominate the suite's time), shut down when the JVM exits.
 */
final class TestRedis {
    private static ClientResources resources;

    private TestRedis() {
    }

    static synchronized ClientResources resources() {
        if (resources == null) {
            ClientResources created = DefaultClientResources.create();
            Runtime.getRuntime().addShutdownHook(new Thread(
                    () -> created.shutdown(0, 2, TimeUnit.SECONDS), "lettuce-test-resources-stop"));
            resources = created;
        }
        return resources;
    }

    static RedisStoreConfig config(RedisCluster redis, int historyCapacity) {
        RedisStoreConfig config = redis.layout().clustered() ? RedisStoreConfig.cluster(redis.seeds())
                : RedisStoreConfig.single(redis.uri());
        return config.withHistoryCapacity(historyCapacity);
    }

    static RedisHotStore connect(RedisCluster redis, int historyCapacity) {
        return connect(redis, historyCapacity, new SimpleMeterRegistry());
    }

    static RedisHotStore connect(RedisCluster redis, int historyCapacity, MeterRegistry registry) {
        return RedisHotStore.connect(config(redis, historyCapacity), registry, resources());
    }

    /**
     * A store with Lettuce threads of its own, for tests that break connections: reconnect attempts still pending
     * when such a store closes would otherwise fire on the shared threads and log errors in later tests.
     */
    static RedisHotStore connectAlone(RedisCluster redis, int historyCapacity, MeterRegistry registry) {
        return RedisHotStore.connect(config(redis, historyCapacity), registry);
    }
}
