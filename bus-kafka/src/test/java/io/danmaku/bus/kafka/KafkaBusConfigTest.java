package io.danmaku.bus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

class KafkaBusConfigTest {
    private static final KafkaBusConfig DEFAULTS = KafkaBusConfig.defaults("127.0.0.1:9092");

    @Test
    void defaultsAreTheDocumentedOnes() {
        assertThat(DEFAULTS.topic()).isEqualTo("danmaku.room-messages");
        assertThat(DEFAULTS.partitions()).isEqualTo(12);
        assertThat(DEFAULTS.replicationFactor()).isEqualTo(1);
        assertThat(DEFAULTS.publishTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(DEFAULTS.producer()).isEmpty();
    }

    @Test
    void theProducerKeepsAcksAllAndIdempotenceAndBatchesForThroughputUnlessOverridden() {
        Map<String, Object> defaults = KafkaMessageBus.producerProperties(DEFAULTS);
        assertThat(defaults).containsEntry(ProducerConfig.ACKS_CONFIG, "all")
                .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true)
                .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4")
                .containsEntry(ProducerConfig.LINGER_MS_CONFIG, 10)
                .containsEntry(ProducerConfig.BATCH_SIZE_CONFIG, 262_144)
                .containsEntry(ProducerConfig.BUFFER_MEMORY_CONFIG, 67_108_864L)
                .containsEntry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 5_000)
                .containsEntry(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 4_990);

        Map<String, Object> overridden = KafkaMessageBus.producerProperties(DEFAULTS.withProducer(Map.of(
                "linger.ms", "2", "batch.size", "16384", "buffer.memory", "33554432")));
        assertThat(overridden).containsEntry("linger.ms", "2").containsEntry("batch.size", "16384")
                .containsEntry("buffer.memory", "33554432")
                .containsEntry(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 4_998);
    }

    @Test
    void outOfRangeValuesAreRejectedNamingTheKey() {
        assertThatThrownBy(() -> DEFAULTS.withPartitions(0))
                .hasMessage("bus.kafka.partitions: 0 (expected: 1..10000)");
        assertThatThrownBy(() -> DEFAULTS.withReplicationFactor(0))
                .hasMessage("bus.kafka.replicationFactor: 0 (expected: 1..32767)");
        assertThatThrownBy(() -> DEFAULTS.withPublishTimeout(Duration.ofMillis(10)))
                .hasMessage("bus.kafka.publishTimeout: PT0.01S (expected: PT0.1S..PT10M)");
        assertThatThrownBy(() -> DEFAULTS.withPublishQueueCapacity(0))
                .hasMessage("bus.kafka.publishQueueCapacity: 0 (expected: 1..1000000)");
        assertThatThrownBy(() -> DEFAULTS.withTopic("rooms/all"))
                .hasMessageStartingWith("bus.kafka.topic: \"rooms/all\" (expected: 1..249 of");
        assertThatThrownBy(() -> KafkaBusConfig.defaults(" "))
                .hasMessageStartingWith("bus.kafka.bootstrapServers: \" \"");
    }

    @Test
    void clientPropertiesPassThroughExceptTheOnesTheBusOwns() {
        KafkaBusConfig c = DEFAULTS.withProducer(Map.of("compression.type", "zstd", "some.plugin.setting", "x"));
        assertThat(c.producer()).containsEntry("compression.type", "zstd").containsEntry("some.plugin.setting", "x");

        assertThatThrownBy(() -> DEFAULTS.withConsumer(Map.of("group.id", "mine")))
                .hasMessage("bus.kafka.consumer.group.id: \"mine\" (expected: not set; the bus sets group.id itself)");
        assertThatThrownBy(() -> DEFAULTS.withProducer(Map.of("bootstrap.servers", "elsewhere:9092")))
                .hasMessageStartingWith("bus.kafka.producer.bootstrap.servers:");
        Map<String, String> withNull = new HashMap<>();
        withNull.put("linger.ms", null);
        assertThatThrownBy(() -> DEFAULTS.withProducer(withNull))
                .hasMessage("bus.kafka.producer.linger.ms: null (expected: a value)");
    }

    @Test
    void clientPropertyMapsAreCopied() {
        Map<String, String> producer = new HashMap<>(Map.of("linger.ms", "10"));
        KafkaBusConfig c = DEFAULTS.withProducer(producer);
        producer.put("linger.ms", "20");
        assertThat(c.producer()).containsEntry("linger.ms", "10");
    }

    @Test
    void secretsAreMaskedInTheLoggedForm() {
        KafkaBusConfig c = DEFAULTS.withProducer(Map.of("sasl.jaas.config", "user=\"a\" password=\"b\"",
                "ssl.truststore.password", "hunter2", "linger.ms", "10"));
        assertThat(c.toString()).doesNotContain("hunter2").doesNotContain("password=\"b\"").contains("linger.ms=10");
    }
}
