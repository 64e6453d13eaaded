package io.danmaku.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.store.redis.RedisStoreConfig.Mode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RedisStoreConfigTest {

    @Test
    void bareSeedsBecomeRedisUrisAndDefaultsApply() {
        RedisStoreConfig config = RedisStoreConfig.cluster(List.of("10.0.0.1:7000", "redis://10.0.0.2:7000"));
        assertThat(config.uris()).containsExactly("redis://10.0.0.1:7000", "redis://10.0.0.2:7000");
        assertThat(config.commandTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.historyCapacity()).isEqualTo(1000);
        assertThat(config.redisUris()).allSatisfy(u -> assertThat(u.getTimeout()).isEqualTo(Duration.ofMillis(500)));
    }

    @Test
    void badValuesAreRejectedNamingTheKey() {
        assertThatThrownBy(() -> new RedisStoreConfig(Mode.SINGLE, List.of("a:1", "b:2"),
                RedisStoreConfig.DEFAULT_COMMAND_TIMEOUT, RedisStoreConfig.DEFAULT_CONNECT_TIMEOUT,
                RedisStoreConfig.DEFAULT_TOPOLOGY_REFRESH_PERIOD, 10, RedisStoreConfig.DEFAULT_HISTORY_RETENTION))
                .hasMessage("redis.uris: [a:1, b:2] (expected: exactly one URI in single mode)");
        assertThatThrownBy(() -> RedisStoreConfig.cluster(List.of()))
                .hasMessage("redis.uris: [] (expected: at least one cluster seed)");
        assertThatThrownBy(() -> RedisStoreConfig.single("redis://").withHistoryCapacity(1))
                .hasMessageStartingWith("redis.uris[0]: \"redis://\" (expected:");
        assertThatThrownBy(() -> RedisStoreConfig.single("localhost:6379").withHistoryCapacity(0))
                .hasMessage("redis.history.capacity: 0 (expected: 1..1000000)");
        assertThatThrownBy(() -> RedisStoreConfig.single("localhost:6379").withCommandTimeout(Duration.ZERO))
                .hasMessage("redis.command-timeout: PT0S (expected: PT0.001S..PT1M)");
    }

    @Test
    void passwordsInUrisAreNotPrinted() {
        RedisStoreConfig config = RedisStoreConfig.single("redis://:hunter2@localhost:6379");
        assertThat(config.toString()).doesNotContain("hunter2").contains("redis://[hidden]@localhost:6379");
        // what the store's connect and disconnect lines print
        assertThat(config.urisForLog()).containsExactly("redis://[hidden]@localhost:6379");
        assertThat(config.uris()).containsExactly("redis://:hunter2@localhost:6379");
        assertThatThrownBy(() -> RedisStoreConfig.single("redis://:hunter2@"))
                .message().doesNotContain("hunter2");
    }
}
