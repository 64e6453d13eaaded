package io.danmaku.store.redis;

import io.danmaku.testkit.redis.OverTls;
import io.danmaku.testkit.redis.RedisCluster;

/**
 * The hot store contract on a real 6-node Redis Cluster that speaks only TLS ({@code tls-cluster yes}, client
 * certificates required): every case, through {@code rediss://} seeds and the {@code store.redis.tls.*} files.
 */
class RedisHotStoreTlsClusterContractTest extends RedisHotStoreContractBase {
    RedisHotStoreTlsClusterContractTest(@OverTls RedisCluster shared) {
        super(shared, 10);
    }
}
