package io.danmaku.store.redis;

import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.SingleNode;

/** The hot store contract on a real plain (non-cluster) Redis node. */
class RedisHotStoreSingleNodeContractTest extends RedisHotStoreContractBase {
    RedisHotStoreSingleNodeContractTest(@SingleNode RedisCluster shared) {
        super(shared, 7);
    }
}
