package io.danmaku.testkit.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaExtension.class)
class KafkaBrokerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void producesAndConsumesOneRecord(KafkaBroker kafka) throws Exception {
        String topic = "testkit.smoke";
        createTopic(kafka, topic);

        RecordMetadata sent = produce(kafka, topic, "room-1", "hello");

        assertThat(consumeAll(kafka, topic, 1)).singleElement().satisfies(rec -> {
            assertThat(rec.key()).isEqualTo("room-1");
            assertThat(rec.value()).isEqualTo("hello");
            assertThat(rec.offset()).isEqualTo(sent.offset());
        });
    }

    @Test
    void theSameBrokerIsInjectedEverywhereInTheJvm(KafkaBroker first, KafkaBroker second) {
        assertThat(first).isSameAs(second);
        assertThat(first.isRunning()).isTrue();
        assertThat(first.bootstrapServers()).isEqualTo("127.0.0.1:" + first.port());
    }

    @Test
    void aRestartedBrokerKeepsItsAddressAndItsRecordsAndCloseRemovesItsData() throws Exception {
        KafkaBroker own = KafkaBroker.launch();
        try (own) {
            String address = own.bootstrapServers();
            createTopic(own, "testkit.restart");
            produce(own, "testkit.restart", "k", "before stop");

            own.stop();
            assertThat(own.isRunning()).isFalse();
            own.start();

            assertThat(own.bootstrapServers()).isEqualTo(address);
            produce(own, "testkit.restart", "k", "after start");
            assertThat(consumeAll(own, "testkit.restart", 2)).extracting(ConsumerRecord::value)
                    .containsExactly("before stop", "after start");
        }
        assertThat(own.isRunning()).isFalse();
        assertThat(own.dataDir()).doesNotExist();
        assertThat(Files.readString(own.logFile())).contains(EmbeddedKafkaMain.READY + " " + own.bootstrapServers());
    }

    private static void createTopic(KafkaBroker kafka, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
            // The partition has a live leader once ListOffsets answers: only then may an idempotent producer send.
            admin.listOffsets(Map.of(new TopicPartition(topic, 0), OffsetSpec.latest())).all()
                    .get(60, TimeUnit.SECONDS);
        }
    }

    private static RecordMetadata produce(KafkaBroker kafka, String topic, String key, String value)
            throws Exception {
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
            return producer.send(new ProducerRecord<>(topic, key, value)).get(60, TimeUnit.SECONDS);
        }
    }

    private static List<ConsumerRecord<String, String>> consumeAll(KafkaBroker kafka, String topic, int expected) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            await().atMost(TIMEOUT).pollInSameThread().until(() -> {
                consumer.poll(Duration.ofMillis(100)).forEach(records::add);
                return records.size() >= expected;
            });
        }
        assertThat(records).hasSize(expected);
        return records;
    }
}
