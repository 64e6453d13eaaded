package io.danmaku.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmaku.server.role.LogicRole;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Readiness follows Kafka, liveness does not: a logic role on a broker of its own answers {@code /readyz} 503
 * {@code unavailable: kafka} once that broker is stopped, while {@code /healthz} stays 200 (Kubernetes takes the pod
 * out of its Services without restarting it), and is ready again once the broker is back.
 */
@ExtendWith(RedisClusterExtension.class)
class KafkaReadinessTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void readinessIsLostWhileKafkaIsDownAndLivenessIsNot(RedisCluster redis) {
        try (KafkaBroker kafka = KafkaBroker.launch();
                ClusterStack stack = new ClusterStack("ready", kafka.bootstrapServers(), redis)) {
            LogicRole logic = stack.startLogic();
            assertThat(stack.admin(logic, "/readyz").statusCode()).isEqualTo(200);
            assertThat(stack.meter(logic, "danmaku_bus_kafka_reachable")).isEqualTo(1.0);

            kafka.stop();
            await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                HttpResponse<String> ready = stack.admin(logic, "/readyz");
                assertThat(ready.statusCode()).isEqualTo(503);
                assertThat(ready.body()).isEqualTo("unavailable: kafka\n");
            });
            HttpResponse<String> live = stack.admin(logic, "/healthz");
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(stack.meter(logic, "danmaku_bus_kafka_reachable")).isEqualTo(0.0);

            kafka.start();
            await().atMost(WAIT).pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> assertThat(stack.admin(logic, "/readyz").statusCode()).isEqualTo(200));
        }
    }
}
