package io.danmaku.store.redis;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.contract.HotStoreContract;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The hot store contract on a real Redis that a subclass names through its constructor's {@link RedisCluster}
 * parameter (the JVM's shared one of that kind, see {@link RedisClusterExtension}); every store, and the second
 * client of the same backend, is a fresh connection to it.
 */
@ExtendWith(RedisClusterExtension.class)
abstract class RedisHotStoreContractBase extends HotStoreContract {
    private final RedisCluster redis;
    private final int capacity;

    RedisHotStoreContractBase(RedisCluster redis, int capacity) {
        this.redis = requireNonNull(redis, "redis");
        this.capacity = capacity;
    }

    @Override
    protected HotStore newStore() {
        return TestRedis.connectForContract(redis, capacity);
    }

    @Override
    protected HotStore newStoreOnSameBackend() {
        return TestRedis.connectForContract(redis, capacity);
    }

    @Override
    protected int historyCapacity() {
        return capacity;
    }
}
