package io.danmaku.store.redis;

import static io.danmaku.store.redis.RedisHotStoreTest.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmaku.protocol.DanmakuException;
import io.danmaku.protocol.store.RateLimit;
import io.danmaku.testkit.redis.RedisCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** A plain Redis node that goes away and comes back: its own node, so the shared ones stay untouched. */
class RedisHotStoreOutageTest {

    @Test
    void callsFailRetriablyWhileRedisIsDownAndWorkAgainWhenItReturns() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (RedisCluster redis = RedisCluster.start(RedisCluster.Layout.SINGLE, 0);
                RedisHotStore store = TestRedis.connectAlone(redis, 10, registry)) {
            RateLimit limit = new RateLimit(100, 100);
            assertThat(get(store.acquire("rl:u:a", limit)).allowed()).isTrue();

            RedisCluster.Node node = redis.kill(redis.nodes().get(0));
            assertThat(store.acquire("rl:u:a", limit)).failsWithin(Duration.ofSeconds(5))
                    .withThrowableOfType(ExecutionException.class)
                    .havingCause()
                    .isInstanceOfSatisfying(DanmakuException.class, e -> assertThat(e.retriable()).isTrue())
                    .withMessageStartingWith("redis acquire failed");
            assertThat(registry.get("danmaku.store.redis.errors").tag("op", "acquire").counter().count())
                    .isEqualTo(1);
            assertThat(registry.get("danmaku.store.redis.latency").tag("op", "acquire").timer().count())
                    .isEqualTo(2);

            redis.restart(node);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .until(() -> store.acquire("rl:u:a", limit).handle((d, e) -> e == null).join());
            assertThat(get(store.markOnce("dd:a:1", Duration.ofMinutes(1)))).isTrue();
        }
    }
}
