package io.danmaku.server.role;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.protocol.DanmakuException;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.server.ServerException;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.ConfigLoader;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.testkit.redis.RedisCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ConnectWaitTest {
    @Test
    void retriesARetriableFailureUntilItSucceeds() {
        AtomicInteger attempts = new AtomicInteger();

        String result = ConnectWait.connect("Thing", "thing.connect-wait", Duration.ofSeconds(30), () -> {
            if (attempts.incrementAndGet() < 3) {
                throw new DanmakuException("thing down", true);
            }
            return "up";
        });

        assertThat(result).isEqualTo("up");
        assertThat(attempts).hasValue(3);
    }

    @Test
    void givesUpAfterTheWaitNamingTheCauseAndTheKey() {
        AtomicInteger attempts = new AtomicInteger();

        assertThatThrownBy(() -> ConnectWait.connect("Thing", "thing.connect-wait", Duration.ofMillis(600), () -> {
            attempts.incrementAndGet();
            throw new DanmakuException("cannot connect to thing", true);
        })).isInstanceOf(ServerException.class)
                .hasMessageStartingWith("cannot connect to thing (gave up after ")
                .hasMessageEndingWith(" in 600ms, thing.connect-wait)");
        assertThat(attempts.get()).isGreaterThan(1);
    }

    @Test
    void zeroMeansOneAttemptAndAFatalFailureIsNotRetried() {
        AtomicInteger attempts = new AtomicInteger();

        assertThatThrownBy(() -> ConnectWait.connect("Thing", "k", Duration.ZERO, () -> {
            attempts.incrementAndGet();
            throw new DanmakuException("down", true);
        })).hasMessage("down (gave up after 1 attempt in 0, k)");
        assertThatThrownBy(() -> ConnectWait.connect("Thing", "k", Duration.ofMinutes(1), () -> {
            attempts.incrementAndGet();
            throw new DanmakuException("bad password", false);
        })).hasMessage("bad password");
        assertThat(attempts).hasValue(2);
    }

    @Test
    void aRoleStartedBeforeRedisWaitsForIt() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = probe.getLocalPort();
        }
        Config config = new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(), List.of("store.type=redis",
                "store.redis.mode=single", "store.redis.uris=redis://127.0.0.1:" + port,
                "store.redis.connect-wait=60s"));
        CompletableFuture<HotStore> store = CompletableFuture.supplyAsync(
                () -> Seams.store(config, new SimpleMeterRegistry(), "logic"));
        Thread.sleep(1500); // the first attempts fail: nothing listens yet
        assertThat(store).isNotDone();

        try (RedisCluster redis = RedisCluster.start(RedisCluster.Layout.SINGLE, port);
             HotStore connected = store.get(60, TimeUnit.SECONDS)) {
            assertThat(connected.online("room-a").get(10, TimeUnit.SECONDS)).isZero();
        }
    }
}
