package io.danmaku.deploy;

import static io.danmaku.deploy.Chart.FULL;
import static io.danmaku.deploy.Chart.NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.danmaku.server.config.ConfigKey;
import io.danmaku.server.config.ConfigLoader;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.server.config.DurationFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chart rendered offline for the default, the production and the KEDA value sets ({@code ci/}): lint, every
 * object valid against the Kubernetes types, and what the chart promises (docs/DEPLOY.md) checked on the objects.
 */
class ChartTest {
    private static final List<String> TIERS = List.of("gateway", "logic", "storage");
    /**
     * Settings the chart renders that come with other parts of issue 12 (JSON logs, the S3 archive), as key
     * prefixes: accepted even while the server of this branch does not define them yet; once it does, they are
     * validated like any other.
     */
    private static final List<String> PENDING_PREFIXES = List.of("log.", "storage.archive.s3.", "storage.archive.type",
            "storage.archive.retention");

    @Test
    void lintsWithoutErrors() {
        LintResult lint = new Helm(Chart.DIR).lint().strict().call();
        assertThat(lint.isFailed()).as("helm lint --strict: %s", lint.getMessages()).isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "production", "keda"})
    void everyRenderedObjectIsValidAgainstItsKubernetesModel(String valueSet) throws Exception {
        String manifest = Chart.template(Chart.valueSet(valueSet), Map.of());
        // for reading: target/rendered-<value set>.yaml
        Files.writeString(Path.of("target", "rendered-" + valueSet + ".yaml"), manifest);
        Chart.Rendered rendered = new Chart.Rendered(Chart.parse(manifest));
        List<String> problems = new ArrayList<>();
        Set<String> unvalidated = new TreeSet<>();
        for (ObjectNode o : rendered.objects()) {
            String id = o.path("kind").asText() + "/" + o.path("metadata").path("name").asText();
            assertThat(o.path("metadata").path("labels").path("app.kubernetes.io/instance").asText())
                    .as("instance label of %s", id).isEqualTo(Chart.RELEASE);
            if (StrictModels.modelOf(o).isEmpty()) {
                unvalidated.add(o.path("apiVersion").asText() + "/" + o.path("kind").asText());
                continue;
            }
            StrictModels.problems(o).forEach(p -> problems.add(id + ": " + p));
        }
        assertThat(problems).as("objects not valid against their models").isEmpty();
        // custom resources without a Java model: the only ones left unvalidated, checked field by field below
        assertThat(unvalidated).isSubsetOf("keda.sh/v1alpha1/ScaledObject", "redis.redis.opstreelabs.in/v1beta2/RedisCluster");
    }

    @Test
    void theValidatorRefusesAnUnknownFieldAndAWrongType() {
        ObjectNode deployment = Chart.render("default").get("Deployment", FULL + "-gateway").deepCopy();
        ((ObjectNode) deployment.path("spec").path("template").path("spec")).put("enableServiceLinkz", false);
        assertThat(StrictModels.problems(deployment)).anyMatch(p -> p.contains("enableServiceLinkz"));

        ObjectNode hpa = Chart.render("default").get("HorizontalPodAutoscaler", FULL + "-gateway").deepCopy();
        ((ObjectNode) hpa.path("spec")).put("minReplicas", "two");
        assertThat(StrictModels.problems(hpa)).isNotEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "production", "keda"})
    void everyTierRunsTheImageWithItsRoleProbesOnTheAdminPortAndRollsOnConfigChanges(String valueSet) {
        Chart.Rendered rendered = Chart.render(valueSet);
        for (String tier : TIERS) {
            JsonNode pod = rendered.get("Deployment", FULL + "-" + tier).path("spec").path("template");
            JsonNode spec = pod.path("spec");
            assertThat(spec.path("enableServiceLinks").asBoolean(true)).as("%s enableServiceLinks", tier).isFalse();
            assertThat(pod.path("metadata").path("annotations").path("checksum/config").asText())
                    .as("%s checksum/config", tier).matches("[0-9a-f]{64}");
            assertThat(spec.path("topologySpreadConstraints")).as("%s topology spread", tier).isNotEmpty();
            assertThat(spec.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
            JsonNode container = spec.path("containers").get(0);
            assertThat(container.has("command")).as("%s uses the image's entrypoint", tier).isFalse();
            assertThat(texts(container.path("args"))).isEqualTo(List.of(tier));
            int admin = port(container, "admin");
            assertThat(admin).isEqualTo(9100);
            assertProbe(container.path("livenessProbe"), "/healthz");
            assertProbe(container.path("startupProbe"), "/healthz");
            assertProbe(container.path("readinessProbe"), "/readyz");
            assertThat(env(rendered, tier)).containsEntry("DANMAKU_ADMIN_PORT", String.valueOf(admin));
        }
    }

    @Test
    void aChangedSettingChangesTheChecksumSoPodsRollOver() {
        String before = Chart.render("default").get("Deployment", FULL + "-gateway").path("spec").path("template")
                .path("metadata").path("annotations").path("checksum/config").asText();
        String after = Chart.render(Optional.empty(), Map.of("gateway.config.gateway\\.batch\\.window", "20ms"))
                .get("Deployment", FULL + "-gateway").path("spec").path("template").path("metadata")
                .path("annotations").path("checksum/config").asText();
        assertThat(after).isNotEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "production", "keda"})
    void theEnvironmentOfEveryTierIsAcceptedByTheServersOwnConfigLoader(String valueSet) {
        Chart.Rendered rendered = Chart.render(valueSet);
        for (String tier : TIERS) {
            Map<String, String> env = env(rendered, tier);
            Map<String, String> known = new HashMap<>();
            env.forEach((name, value) -> {
                if (!name.startsWith("DANMAKU_") || value.startsWith("<")) {
                    return; // from a Secret or the pod's fields: known only in the cluster
                }
                Optional<ConfigKey> key = DanmakuKeys.DEFINITION.keyForEnv(name);
                if (key.isPresent()) {
                    known.put(name, value);
                } else {
                    assertThat(PENDING_PREFIXES).as("%s: %s is no setting of the server", tier, name)
                            .anyMatch(p -> name.startsWith(ConfigKey.envName(p)));
                }
            });
            // as the server would read it at start: types, ranges and the rules across keys
            new ConfigLoader(DanmakuKeys.DEFINITION).load(null, known, List.of());
        }
    }

    @Test
    void defaultsReachTheContainers() {
        Chart.Rendered rendered = Chart.render("default");
        Map<String, String> gateway = env(rendered, "gateway");
        assertThat(gateway).containsEntry("DANMAKU_BUS_TYPE", "kafka")
                .containsEntry("DANMAKU_BUS_KAFKA_BOOTSTRAP_SERVERS", "danmaku-kafka-kafka-bootstrap:9092")
                .containsEntry("DANMAKU_STORE_TYPE", "redis")
                .containsEntry("DANMAKU_STORE_REDIS_URIS", "redis://danmaku-redis-leader:6379")
                .containsEntry("DANMAKU_GATEWAY_DRAIN_WINDOW", "30s")
                .containsEntry("DANMAKU_LOG_FORMAT", "json")
                .doesNotContainKey("DANMAKU_LOG_LEVEL")
                .containsEntry("DANMAKU_NODE_ID", "<metadata.name>");
        assertThat(env(rendered, "storage")).containsEntry("DANMAKU_STORAGE_ARCHIVE_DIR", "/var/lib/danmaku/archive");
    }

    @Test
    void productionValuesReachTheContainers() {
        Chart.Rendered rendered = Chart.render("production");
        Map<String, String> gateway = env(rendered, "gateway");
        assertThat(gateway).containsEntry("DANMAKU_GATEWAY_BATCH_WINDOW", "50ms")
                .containsEntry("DANMAKU_GATEWAY_CONNECTIONS_MAX", "100000")
                .containsEntry("DANMAKU_GATEWAY_ALLOWED_ORIGINS", "https://live.example.com,https://www.example.com")
                .containsEntry("DANMAKU_LOG_FORMAT", "json")
                .containsEntry("DANMAKU_LOG_LEVEL", "info")
                .containsEntry("DANMAKU_TOKEN_HMAC_SECRET", "<secret danmaku-secrets/token-hmac-secret>")
                .containsEntry("DANMAKU_API_KEY", "<secret danmaku-secrets/api-key>");
        Map<String, String> storage = env(rendered, "storage");
        assertThat(storage).containsEntry("DANMAKU_STORAGE_ARCHIVE_S3_BUCKET", "danmaku-archive")
                .containsEntry("DANMAKU_STORAGE_ARCHIVE_S3_ENDPOINT", "https://s3.eu-west-1.amazonaws.com")
                .containsEntry("DANMAKU_STORAGE_ARCHIVE_S3_PREFIX", "prod/danmaku")
                .containsEntry("DANMAKU_STORAGE_ARCHIVE_S3_REGION", "eu-west-1")
                .containsEntry("DANMAKU_STORAGE_ARCHIVE_TYPE", "s3")
                .containsEntry("DANMAKU_STORAGE_ARCHIVE_RETENTION", "2160h")
                .containsEntry("DANMAKU_STORAGE_ARCHIVE_S3_ACCESS_KEY", "<secret danmaku-s3/access-key>")
                .containsEntry("DANMAKU_STORAGE_ARCHIVE_S3_SECRET_KEY", "<secret danmaku-s3/secret-key>");
        assertThat(env(rendered, "logic")).doesNotContainKey("DANMAKU_STORAGE_ARCHIVE_S3_BUCKET");
        JsonNode logic = rendered.get("Deployment", FULL + "-logic").path("spec").path("template").path("spec");
        assertThat(logic.path("volumes").findValuesAsText("name")).contains("tmp", "words");
        assertThat(logic.path("containers").get(0).path("volumeMounts").findValuesAsText("mountPath"))
                .contains("/tmp", "/etc/danmaku/words");
        assertThat(rendered.get("Deployment", FULL + "-gateway").path("spec").path("template").path("spec")
                .path("containers").get(0).path("image").asText())
                .isEqualTo("registry.example.com/danmaku@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "production", "keda"})
    void gatewaysGetAGracePeriodLongerThanPreStopPlusTheDrainWindow(String valueSet) {
        Chart.Rendered rendered = Chart.render(valueSet);
        JsonNode spec = rendered.get("Deployment", FULL + "-gateway").path("spec").path("template").path("spec");
        JsonNode preStop = spec.path("containers").get(0).path("lifecycle").path("preStop").path("exec").path("command");
        assertThat(texts(preStop).get(0)).isEqualTo("sleep");
        long preStopSeconds = Long.parseLong(texts(preStop).get(1));
        Duration drain = DurationFormat.parse(env(rendered, "gateway").get("DANMAKU_GATEWAY_DRAIN_WINDOW"));
        long grace = spec.path("terminationGracePeriodSeconds").asLong();
        assertThat(grace).as("grace period vs preStop %d s + drain %s", preStopSeconds, drain)
                .isGreaterThanOrEqualTo(preStopSeconds + drain.toSeconds() + 5);
    }

    @Test
    void aGracePeriodShorterThanTheDrainIsRefused() {
        assertThatThrownBy(() -> Chart.template(Optional.empty(), Map.of("gateway.terminationGracePeriodSeconds", "20")))
                .hasMessageContaining("gateway.terminationGracePeriodSeconds: 20 (expected: 0 or at least")
                .hasMessageContaining("= 50");
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "production", "keda"})
    void gatewaysScaleOnCpuAndConnectionsPerPodAndScaleDownSlowly(String valueSet) {
        Chart.Rendered rendered = Chart.render(valueSet);
        JsonNode hpa = rendered.get("HorizontalPodAutoscaler", FULL + "-gateway").path("spec");
        assertThat(hpa.path("scaleTargetRef").path("name").asText()).isEqualTo(FULL + "-gateway");
        List<JsonNode> metrics = list(hpa.path("metrics"));
        assertThat(metrics).anySatisfy(m -> {
            assertThat(m.path("type").asText()).isEqualTo("Resource");
            assertThat(m.path("resource").path("name").asText()).isEqualTo("cpu");
            assertThat(m.path("resource").path("target").path("type").asText()).isEqualTo("Utilization");
        });
        assertThat(metrics).anySatisfy(m -> {
            assertThat(m.path("type").asText()).isEqualTo("Pods");
            assertThat(m.path("pods").path("metric").path("name").asText()).isEqualTo("danmaku_gateway_connections");
            assertThat(m.path("pods").path("target").path("type").asText()).isEqualTo("AverageValue");
        });
        JsonNode down = hpa.path("behavior").path("scaleDown");
        assertThat(down.path("stabilizationWindowSeconds").asInt()).isGreaterThanOrEqualTo(300);
        assertThat(list(down.path("policies"))).allSatisfy(p -> {
            assertThat(p.path("type").asText()).isEqualTo("Percent");
            assertThat(p.path("value").asInt()).isLessThanOrEqualTo(10);
        });
        // the Deployment leaves the replica count to the autoscaler
        assertThat(rendered.get("Deployment", FULL + "-gateway").path("spec").has("replicas")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "production", "keda"})
    void everyTierHasADisruptionBudgetSelectingItsPods(String valueSet) {
        Chart.Rendered rendered = Chart.render(valueSet);
        for (String tier : TIERS) {
            JsonNode pdb = rendered.get("PodDisruptionBudget", FULL + "-" + tier).path("spec");
            JsonNode podLabels = rendered.get("Deployment", FULL + "-" + tier).path("spec").path("template")
                    .path("metadata").path("labels");
            pdb.path("selector").path("matchLabels").fields().forEachRemaining(e ->
                    assertThat(podLabels.path(e.getKey()).asText()).as("%s pdb selects %s", tier, e.getKey())
                            .isEqualTo(e.getValue().asText()));
            assertThat(pdb.path("maxUnavailable").asInt()).isEqualTo(1);
        }
    }

    @Test
    void logicScalesOnCpuAndGatewaysFindItThroughAHeadlessService() {
        Chart.Rendered rendered = Chart.render("default");
        JsonNode hpa = rendered.get("HorizontalPodAutoscaler", FULL + "-logic").path("spec");
        assertThat(list(hpa.path("metrics"))).singleElement()
                .satisfies(m -> assertThat(m.path("resource").path("name").asText()).isEqualTo("cpu"));
        JsonNode headless = rendered.get("Service", FULL + "-logic-grpc").path("spec");
        assertThat(headless.path("clusterIP").asText()).isEqualTo("None");
        int port = list(headless.path("ports")).get(0).path("port").asInt();
        assertThat(env(rendered, "gateway")).containsEntry("DANMAKU_GATEWAY_LOGIC_TARGET",
                "dns:///" + FULL + "-logic-grpc." + NAMESPACE + ".svc.cluster.local:" + port);
        assertThat(env(rendered, "logic")).containsEntry("DANMAKU_LOGIC_GRPC_PORT", String.valueOf(port));
    }

    @Test
    void kedaScalesStorageOnConsumerGroupLagAndNoHpaCompetes() {
        Chart.Rendered rendered = Chart.render("keda");
        JsonNode scaled = rendered.get("ScaledObject", FULL + "-storage").path("spec");
        assertThat(scaled.path("scaleTargetRef").path("name").asText()).isEqualTo(FULL + "-storage");
        assertThat(scaled.path("maxReplicaCount").asInt()).isLessThanOrEqualTo(12);
        JsonNode trigger = scaled.path("triggers").get(0);
        assertThat(trigger.path("type").asText()).isEqualTo("kafka");
        JsonNode meta = trigger.path("metadata");
        assertThat(meta.path("consumerGroup").asText()).isEqualTo("danmaku-storage");
        assertThat(meta.path("topic").asText()).isEqualTo("danmaku.room-messages");
        assertThat(meta.path("bootstrapServers").asText()).isEqualTo(env(rendered, "storage").get("DANMAKU_BUS_KAFKA_BOOTSTRAP_SERVERS"));
        assertThat(meta.path("lagThreshold").asText()).isEqualTo("5000");
        assertThat(meta.path("allowIdleConsumers").asText()).isEqualTo("false");
        // every value of a KEDA trigger's metadata is a string
        meta.fields().forEachRemaining(e -> assertThat(e.getValue().isTextual()).as(e.getKey()).isTrue());
        assertThat(rendered.find("HorizontalPodAutoscaler", FULL + "-storage")).isEmpty();
        assertThat(rendered.get("Deployment", FULL + "-storage").path("spec").has("replicas")).isFalse();
    }

    @Test
    void theExternalLagMetricScalesStorageWithoutKeda() {
        Chart.Rendered rendered = Chart.render("production");
        assertThat(rendered.ofKind("ScaledObject")).isEmpty();
        JsonNode hpa = rendered.get("HorizontalPodAutoscaler", FULL + "-storage").path("spec");
        JsonNode metric = hpa.path("metrics").get(0);
        assertThat(metric.path("type").asText()).isEqualTo("External");
        assertThat(metric.path("external").path("metric").path("name").asText()).isEqualTo("danmaku_storage_kafka_lag");
        assertThat(metric.path("external").path("metric").path("selector").path("matchLabels").path("group").asText())
                .isEqualTo("danmaku-storage");
        assertThat(hpa.path("maxReplicas").asInt()).isLessThanOrEqualTo(24);
    }

    @Test
    void storageIsNeverScaledBeyondThePartitionCount() {
        assertThatThrownBy(() -> Chart.template(Chart.valueSet("keda"), Map.of("storage.autoscaling.maxReplicas", "13")))
                .hasMessageContaining("storage.autoscaling.maxReplicas: 13 (expected: at most kafka.partitions = 12");
    }

    @Test
    void theDefaultsCreateNoCustomResources() {
        Chart.Rendered rendered = Chart.render("default");
        assertThat(rendered.objects()).extracting(o -> o.path("apiVersion").asText())
                .allMatch(v -> v.equals("v1") || v.equals("apps/v1") || v.equals("autoscaling/v2") || v.equals("policy/v1"));
    }

    @Test
    void productionCreatesMonitoringStrimziAndRedisResources() throws Exception {
        Chart.Rendered rendered = Chart.render("production");
        JsonNode kafka = rendered.get("Kafka", "danmaku-kafka").path("spec").path("kafka").path("config");
        assertThat(kafka.path("min.insync.replicas").asInt()).isEqualTo(2);
        assertThat(kafka.path("default.replication.factor").asInt()).isEqualTo(3);
        assertThat(rendered.get("KafkaNodePool", "danmaku-kafka-pool").path("spec").path("replicas").asInt()).isEqualTo(3);
        JsonNode topic = rendered.get("KafkaTopic", "danmaku.room-messages").path("spec");
        assertThat(topic.path("topicName").asText()).isEqualTo("danmaku.room-messages");
        assertThat(topic.path("partitions").asInt()).isEqualTo(24);
        assertThat(topic.path("replicas").asInt()).isEqualTo(3);
        assertThat(topic.path("config").path("min.insync.replicas").asInt()).isEqualTo(2);
        JsonNode redis = rendered.get("RedisCluster", "danmaku-redis").path("spec");
        assertThat(redis.path("clusterSize").asInt()).isEqualTo(3);
        assertThat(redis.path("kubernetesConfig").path("image").asText()).isNotEmpty();

        JsonNode monitor = rendered.get("ServiceMonitor", FULL).path("spec");
        assertThat(monitor.path("endpoints").get(0).path("port").asText()).isEqualTo("admin");
        JsonNode metricsService = rendered.get("Service", FULL + "-metrics");
        monitor.path("selector").path("matchLabels").fields().forEachRemaining(e ->
                assertThat(metricsService.path("metadata").path("labels").path(e.getKey()).asText()).isEqualTo(e.getValue().asText()));

        JsonNode rules = rendered.get("PrometheusRule", FULL).path("spec");
        JsonNode file = Chart.YAML.readTree(Files.readString(Path.of("..", "deploy", "grafana", "alerts.yaml")));
        assertThat(rules).as("the PrometheusRule carries deploy/grafana/alerts.yaml").isEqualTo(file);
        assertThat(StreamSupport.stream(rules.path("groups").get(0).path("rules").spliterator(), false)
                .map(r -> r.path("alert").asText()).toList())
                .contains("DanmakuStorageLagGrowing", "DanmakuPostsUnavailable", "DanmakuDeliveriesDropped",
                        "DanmakuReadinessFlapping");

        ObjectNode dashboards = rendered.get("ConfigMap", FULL + "-dashboard-danmaku-overview");
        assertThat(dashboards.path("metadata").path("labels").path("grafana_dashboard").asText()).isEqualTo("1");
        String json = dashboards.path("data").path("danmaku-overview.json").asText();
        assertThat(Chart.YAML.readTree(json)).as("the dashboard ConfigMap carries deploy/grafana/danmaku-overview.json")
                .isEqualTo(Chart.YAML.readTree(Files.readString(Path.of("..", "deploy", "grafana", "danmaku-overview.json"))));
    }

    @Test
    void theSchemaRefusesWrongValuesNamingTheField() {
        assertThatThrownBy(() -> Chart.template(Optional.empty(), Map.of("gateway.replicaz", "3")))
                .hasMessageContaining("at '/gateway'")
                .hasMessageContaining("replicaz");
        assertThatThrownBy(() -> Chart.template(Optional.empty(), Map.of("storage.autoscaling.mode", "both")))
                .hasMessageContaining("at '/storage/autoscaling/mode': value must be one of 'none', 'keda', 'external'");
        assertThatThrownBy(() -> Chart.template(Optional.empty(), Map.of("gateway.autoscaling.targetCPUUtilizationPercentage", "0")))
                .hasMessageContaining("at '/gateway/autoscaling/targetCPUUtilizationPercentage'");
        // a server setting the server does not know, and one the chart sets itself
        assertThatThrownBy(() -> Chart.template(Optional.empty(), Map.of("config.gateway\\.batch\\.windw", "5ms")))
                .hasMessageContaining("gateway.batch.windw");
        assertThatThrownBy(() -> Chart.template(Optional.empty(), Map.of("gateway.config.gateway\\.drain\\.window", "5s")))
                .hasMessageContaining("gateway.drain.window");
        assertThatThrownBy(() -> Chart.template(Optional.empty(), Map.of("log.format", "xml")))
                .hasMessageContaining("at '/log/format'");
        assertThatThrownBy(() -> Chart.template(Optional.empty(), Map.of("log.level", "verbose")))
                .hasMessageContaining("at '/log/level'");
        assertThat(env(Chart.render(Optional.empty(), Map.of("log.level", "info,io.danmaku.logic=debug")), "logic"))
                .containsEntry("DANMAKU_LOG_LEVEL", "info,io.danmaku.logic=debug");
    }

    @Test
    void theSchemaOffersEveryServerSettingTheChartDoesNotSetItself() throws Exception {
        JsonNode schema = Chart.YAML.readTree(Files.readString(Chart.DIR.resolve("values.schema.json")));
        Set<String> offered = new TreeSet<>();
        schema.path("properties").path("config").path("properties").fieldNames().forEachRemaining(offered::add);
        Set<String> managed = Set.of("admin.host", "admin.port", "bus.type", "bus.kafka.bootstrap-servers",
                "bus.kafka.topic", "bus.kafka.partitions", "bus.kafka.replication-factor", "store.type",
                "store.redis.mode", "store.redis.uris", "node.id", "gateway.host", "gateway.port",
                "gateway.drain.window", "gateway.logic.target", "logic.grpc.host", "logic.grpc.port",
                "logic.http.host", "logic.http.port", "storage.http.host", "storage.http.port", "storage.archive.dir",
                "token.hmac.secret", "api.key", "store.memory.history-per-room", "bus.memory.queue-capacity",
                "storage.archive.type", "storage.archive.retention");
        Set<String> server = DanmakuKeys.DEFINITION.keys().stream().map(ConfigKey::name)
                .filter(k -> !managed.contains(k))
                .filter(k -> PENDING_PREFIXES.stream().noneMatch(k::startsWith))
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(offered).as("values.schema.json config keys vs the server's settings (add or remove them in "
                + "properties.config.properties and the tiers' config)").isEqualTo(server);
        for (String tier : TIERS) {
            assertThat(schema.path("properties").path(tier).path("properties").path("config"))
                    .as("%s.config is the same block", tier).isEqualTo(schema.path("properties").path("config"));
        }
    }

    @Test
    void everyObjectOfTheSchemaRefusesUnknownProperties() throws Exception {
        JsonNode schema = Chart.YAML.readTree(Files.readString(Chart.DIR.resolve("values.schema.json")));
        List<String> open = new ArrayList<>();
        walkSchema(schema, "", open);
        // the open ones hold Kubernetes types passed through as they are (validated as rendered objects above)
        // or Helm's globals
        List<String> expected = new ArrayList<>(List.of("/properties/global", "/properties/podSecurityContext",
                "/properties/containerSecurityContext"));
        for (String tier : TIERS) {
            expected.add("/properties/" + tier + "/properties/affinity");
            expected.add("/properties/" + tier + "/properties/extraEnv/items/properties/valueFrom");
            expected.add("/properties/" + tier + "/properties/extraVolumes/items");
        }
        assertThat(open).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void dashboardsAndAlertsInTheChartAreTheOnesUnderDeployGrafana() throws Exception {
        assertThat(Files.readString(Chart.DIR.resolve("files/dashboards/danmaku-overview.json")))
                .isEqualTo(Files.readString(Path.of("..", "deploy", "grafana", "danmaku-overview.json")));
        assertThat(Chart.YAML.readTree(Files.readString(Chart.DIR.resolve("files/alerts.yaml"))))
                .isEqualTo(Chart.YAML.readTree(Files.readString(Path.of("..", "deploy", "grafana", "alerts.yaml"))));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static void walkSchema(JsonNode node, String path, List<String> open) {
        if (node.isObject()) {
            if (node.path("type").asText().equals("object") && !node.has("additionalProperties")) {
                open.add(path);
            }
            node.fields().forEachRemaining(e -> walkSchema(e.getValue(), path + "/" + e.getKey(), open));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walkSchema(node.get(i), path + "/" + i, open);
            }
        }
    }

    private static void assertProbe(JsonNode probe, String path) {
        assertThat(probe.path("httpGet").path("path").asText()).isEqualTo(path);
        assertThat(probe.path("httpGet").path("port").asText()).isEqualTo("admin");
    }

    private static int port(JsonNode container, String name) {
        for (JsonNode p : container.path("ports")) {
            if (p.path("name").asText().equals(name)) {
                return p.path("containerPort").asInt();
            }
        }
        throw new AssertionError("no port " + name + " in " + container.path("ports"));
    }

    /**
     * The environment a tier's container starts with: its ConfigMap (envFrom), then its env entries; a value from
     * a Secret as {@code <secret name/key>}, from the pod's fields as {@code <field>}.
     */
    static Map<String, String> env(Chart.Rendered rendered, String tier) {
        JsonNode container = rendered.get("Deployment", FULL + "-" + tier).path("spec").path("template").path("spec")
                .path("containers").get(0);
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode from : container.path("envFrom")) {
            String name = from.path("configMapRef").path("name").asText();
            rendered.get("ConfigMap", name).path("data").fields()
                    .forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        }
        for (JsonNode e : container.path("env")) {
            JsonNode from = e.path("valueFrom");
            String value;
            if (from.has("secretKeyRef")) {
                value = "<secret " + from.path("secretKeyRef").path("name").asText() + "/"
                        + from.path("secretKeyRef").path("key").asText() + ">";
            } else if (from.has("fieldRef")) {
                value = "<" + from.path("fieldRef").path("fieldPath").asText() + ">";
            } else {
                value = e.path("value").asText();
            }
            env.put(e.path("name").asText(), value);
        }
        return env;
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(n -> texts.add(n.asText()));
        return texts;
    }

    private static List<JsonNode> list(JsonNode array) {
        List<JsonNode> list = new ArrayList<>();
        array.forEach(list::add);
        return list;
    }
}
