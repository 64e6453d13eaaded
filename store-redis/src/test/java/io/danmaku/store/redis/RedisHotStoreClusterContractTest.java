package io.danmaku.store.redis;

import io.danmaku.protocol.contract.HotStoreContract;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** The hot store contract on a real 6-node Redis Cluster. */
@ExtendWith(RedisClusterExtension.class)
class RedisHotStoreClusterContractTest extends HotStoreContract {
    private static final int CAPACITY = 10;
    private static RedisCluster cluster;

    @BeforeAll
    static void useCluster(RedisCluster shared) {
        cluster = shared;
    }

    @Override
    protected HotStore newStore() {
        return TestRedis.connectForContract(cluster, CAPACITY);
    }

    @Override
    protected HotStore newStoreOnSameBackend() {
        return TestRedis.connectForContract(cluster, CAPACITY);
    }

    @Override
    protected int historyCapacity() {
        return CAPACITY;
    }
}
