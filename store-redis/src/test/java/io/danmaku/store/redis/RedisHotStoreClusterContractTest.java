package io.danmaku.store.redis;

import io.danmaku.testkit.redis.RedisCluster;

/** The hot store contract on a real 6-node Redis Cluster. */
class RedisHotStoreClusterContractTest extends RedisHotStoreContractBase {
    RedisHotStoreClusterContractTest(RedisCluster shared) {
        super(shared, 10);
    }
}
