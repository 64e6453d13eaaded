package io.danmaku.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.server.role.GatewayRole;
import io.danmaku.server.role.LogicRole;
import io.danmaku.server.role.Role;
import io.danmaku.server.role.StorageRole;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.kafka.KafkaExtension;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every metric that the Grafana dashboards, the alert rules and the autoscalers (the prometheus-adapter rules behind
 * the gateway's Pods metric and the storage tier's External metric) use exists in {@code /metrics} of a running role:
 * a gateway, a logic and a storage role on the real Kafka broker and Redis Cluster, after one post went through, so
 * that a renamed meter breaks this test instead of a dashboard in production. The names are read from the files
 * under {@code deploy/} as PromQL, by their prefixes ({@code danmaku_}, {@code jvm_}, {@code process_},
 * {@code kafka_}); series of other exporters (kube-state-metrics, cAdvisor) are not ours to check.
 */
@ExtendWith({KafkaExtension.class, RedisClusterExtension.class})
class DeployMetricsTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** A metric name of ours inside a PromQL expression. */
    private static final Pattern OURS = Pattern.compile("\\b((?:danmaku|jvm|process|kafka)_[a-zA-Z0-9_]+)");
    private static final Path DEPLOY = Path.of("..", "deploy");

    @Test
    void everyMetricTheDashboardsAlertsAndAutoscalersUseIsServedByARole(KafkaBroker kafka, RedisCluster redis,
            @TempDir Path dir) throws Exception {
        Map<String, Set<String>> used = usedMetrics();
        try (ClusterStack stack = new ClusterStack("deploy-metrics", kafka.bootstrapServers(), redis)) {
            LogicRole logic = stack.startLogic();
            StorageRole storage = stack.startStorage(dir.resolve("archive"));
            GatewayRole gateway = stack.startGateway(1);
            String room = ClusterStack.room("metrics");
            try (CentrifugeTestClient viewer = CentrifugeTestClient.connect(gateway.gatewayPort(),
                    ClusterStack.token("metrics-poster"))) {
                assertThat(viewer.subscribe(room).has("subscribe")).isTrue();
                JsonNode reply = viewer.publish(room, "hello metrics");
                assertThat(reply.has("publish")).as("reply %s", reply).isTrue();
                await().atMost(WAIT).until(() -> stack.meter(storage, "danmaku_storage_records_total") >= 1
                        && stack.meter(gateway, "danmaku_gateway_deliveries_total") >= 1);

                // JVM meters such as jvm_gc_pause_seconds appear with the first collection: have one (the roles
                // run in this JVM), as any pod that ran for a while has had
                System.gc();
                await().atMost(WAIT).untilAsserted(() -> {
                    Set<String> served = new TreeSet<>();
                    for (Role role : List.of(gateway, logic, storage)) {
                        served.addAll(sampleNames(stack.admin(role, "/metrics").body()));
                    }
                    // for whoever edits a dashboard: every name a role serves
                    Files.write(Path.of("target", "deploy-metrics-served.txt"), served);
                    assertThat(used).as("metric names found under deploy/").hasSizeGreaterThan(20);
                    Map<String, Set<String>> missing = new TreeMap<>();
                    used.forEach((name, files) -> {
                        if (!served.contains(name)) {
                            missing.put(name, files);
                        }
                    });
                    assertThat(missing).as("metrics used under deploy/ (name -> files) but served by no role")
                            .isEmpty();
                });
            }
        }
    }

    /** Metric name -> the files under deploy/ that use it. */
    static Map<String, Set<String>> usedMetrics() throws IOException {
        List<Path> files = new ArrayList<>();
        for (String sub : List.of("grafana", "prometheus-adapter", "helm/danmaku/templates")) {
            try (Stream<Path> walk = Files.walk(DEPLOY.resolve(sub))) {
                walk.filter(Files::isRegularFile).forEach(files::add);
            }
        }
        files.add(DEPLOY.resolve("helm/danmaku/values.yaml"));
        Map<String, Set<String>> used = new TreeMap<>();
        for (Path file : files) {
            Matcher m = OURS.matcher(Files.readString(file));
            while (m.find()) {
                used.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(DEPLOY.relativize(file).toString());
            }
        }
        // names the adapter serves (not series in Prometheus): checked through the series they are made of
        used.remove("danmaku_storage_kafka_lag");
        return used;
    }

    /** The sample names of a Prometheus text exposition (histogram buckets, counts and sums included). */
    static Set<String> sampleNames(String exposition) {
        Set<String> names = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                end++;
            }
            names.add(line.substring(0, end));
        }
        return names;
    }
}
