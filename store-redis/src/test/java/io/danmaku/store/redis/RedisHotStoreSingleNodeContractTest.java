package io.danmaku.store.redis;

import io.danmaku.protocol.contract.HotStoreContract;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import io.danmaku.testkit.redis.SingleNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** The hot store contract on a real plain (non-cluster) Redis node. */
@ExtendWith(RedisClusterExtension.class)
class RedisHotStoreSingleNodeContractTest extends HotStoreContract {
    private static final int CAPACITY = 7;
    private static RedisCluster node;

    @BeforeAll
    static void useNode(@SingleNode RedisCluster shared) {
        node = shared;
    }

    @Override
    protected HotStore newStore() {
        return TestRedis.connectForContract(node, CAPACITY);
    }

    @Override
    protected HotStore newStoreOnSameBackend() {
        return TestRedis.connectForContract(node, CAPACITY);
    }

    @Override
    protected int historyCapacity() {
        return CAPACITY;
    }
}
