package io.danmaku.bus.kafka;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Settings of {@link KafkaMessageBus} (config section {@code bus.kafka}).
 *
 * <ul>
 *   <li>{@code bootstrapServers}: {@code host:port[,host:port…]} of the Kafka cluster.</li>
 *   <li>{@code topic}: the room-message topic, default {@value #DEFAULT_TOPIC}; created if absent.</li>
 *   <li>{@code partitions}: partitions of a topic this bus creates, default {@value #DEFAULT_PARTITIONS}. An
 *       existing topic keeps its own count (the bus uses what it finds).</li>
 *   <li>{@code replicationFactor}: of a topic this bus creates, default {@value #DEFAULT_REPLICATION_FACTOR}
 *       (single-broker development and tests). Production: 3, with the broker's {@code min.insync.replicas=2}, so
 *       that {@code acks=all} survives the loss of one broker.</li>
 *   <li>{@code publishTimeout}: the deadline of a publish, default 5 s: a batch not acknowledged by then fails
 *       with {@code BusUnavailableException}, and the producer's {@code delivery.timeout.ms} is set to it.</li>
 *   <li>{@code publishQueueCapacity}: batches waiting for the producer thread, default
 *       {@value #DEFAULT_PUBLISH_QUEUE_CAPACITY}; beyond it publishes fail at once.</li>
 *   <li>{@code startTimeout}: bound of the blocking start-up (topic creation, leaders) and of
 *       {@code subscribeAll}'s end-offset lookup, default 30 s.</li>
 *   <li>{@code closeTimeout}: bound of each step of a close (the batch in progress, the producer flush, leaving
 *       the group), default 10 s.</li>
 *   <li>{@code producer}, {@code consumer}, {@code admin}: raw Kafka client properties
 *       ({@code bus.kafka.producer.*} …) applied over the bus's defaults and passed to Kafka as they are (Kafka
 *       warns about keys it does not know). The keys the bus owns are refused: {@code bootstrap.servers} (use
 *       {@code bootstrapServers}), the (de)serializers, and the consumer's {@code group.id} and
 *       {@code enable.auto.commit}.</li>
 * </ul>
 */
public record KafkaBusConfig(
        String bootstrapServers,
        String topic,
        int partitions,
        int replicationFactor,
        Duration publishTimeout,
        int publishQueueCapacity,
        Duration startTimeout,
        Duration closeTimeout,
        Map<String, String> producer,
        Map<String, String> consumer,
        Map<String, String> admin) {

    public static final String DEFAULT_TOPIC = "danmaku.room-messages";
    public static final int DEFAULT_PARTITIONS = 12;
    public static final int DEFAULT_REPLICATION_FACTOR = 1;
    public static final Duration DEFAULT_PUBLISH_TIMEOUT = Duration.ofSeconds(5);
    public static final int DEFAULT_PUBLISH_QUEUE_CAPACITY = 8192;
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private static final String PREFIX = "bus.kafka.";
    private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,249}");
    private static final Set<String> PRODUCER_OWNED = Set.of("bootstrap.servers", "key.serializer",
            "value.serializer");
    private static final Set<String> CONSUMER_OWNED = Set.of("bootstrap.servers", "key.deserializer",
            "value.deserializer", "group.id", "enable.auto.commit");
    private static final Set<String> ADMIN_OWNED = Set.of("bootstrap.servers");
    private static final Duration MIN_TIMEOUT = Duration.ofMillis(100);
    private static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);

    public KafkaBusConfig {
        requireNonNull(bootstrapServers, "bootstrapServers");
        requireNonNull(topic, "topic");
        requireNonNull(publishTimeout, "publishTimeout");
        requireNonNull(startTimeout, "startTimeout");
        requireNonNull(closeTimeout, "closeTimeout");
        requireNonNull(producer, "producer");
        requireNonNull(consumer, "consumer");
        requireNonNull(admin, "admin");
        if (bootstrapServers.isBlank()) {
            throw new IllegalArgumentException(PREFIX + "bootstrapServers: \"" + bootstrapServers
                    + "\" (expected: host:port[,host:port...])");
        }
        if (!TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            throw new IllegalArgumentException(PREFIX + "topic: \"" + topic
                    + "\" (expected: 1..249 of A-Z a-z 0-9 . _ -, not \".\" or \"..\")");
        }
        checkRange("partitions", partitions, 1, 10_000);
        checkRange("replicationFactor", replicationFactor, 1, Short.MAX_VALUE);
        checkRange("publishQueueCapacity", publishQueueCapacity, 1, 1_000_000);
        checkDuration("publishTimeout", publishTimeout);
        checkDuration("startTimeout", startTimeout);
        checkDuration("closeTimeout", closeTimeout);
        producer = clientProperties("producer", producer, PRODUCER_OWNED);
        consumer = clientProperties("consumer", consumer, CONSUMER_OWNED);
        admin = clientProperties("admin", admin, ADMIN_OWNED);
    }

    /** The defaults, on the given cluster. */
    public static KafkaBusConfig defaults(String bootstrapServers) {
        return new KafkaBusConfig(bootstrapServers, DEFAULT_TOPIC, DEFAULT_PARTITIONS, DEFAULT_REPLICATION_FACTOR,
                DEFAULT_PUBLISH_TIMEOUT, DEFAULT_PUBLISH_QUEUE_CAPACITY, DEFAULT_START_TIMEOUT,
                DEFAULT_CLOSE_TIMEOUT, Map.of(), Map.of(), Map.of());
    }

    public KafkaBusConfig withTopic(String topic) {
        return new KafkaBusConfig(bootstrapServers, topic, partitions, replicationFactor, publishTimeout,
                publishQueueCapacity, startTimeout, closeTimeout, producer, consumer, admin);
    }

    public KafkaBusConfig withPartitions(int partitions) {
        return new KafkaBusConfig(bootstrapServers, topic, partitions, replicationFactor, publishTimeout,
                publishQueueCapacity, startTimeout, closeTimeout, producer, consumer, admin);
    }

    public KafkaBusConfig withReplicationFactor(int replicationFactor) {
        return new KafkaBusConfig(bootstrapServers, topic, partitions, replicationFactor, publishTimeout,
                publishQueueCapacity, startTimeout, closeTimeout, producer, consumer, admin);
    }

    public KafkaBusConfig withPublishTimeout(Duration publishTimeout) {
        return new KafkaBusConfig(bootstrapServers, topic, partitions, replicationFactor, publishTimeout,
                publishQueueCapacity, startTimeout, closeTimeout, producer, consumer, admin);
    }

    public KafkaBusConfig withPublishQueueCapacity(int publishQueueCapacity) {
        return new KafkaBusConfig(bootstrapServers, topic, partitions, replicationFactor, publishTimeout,
                publishQueueCapacity, startTimeout, closeTimeout, producer, consumer, admin);
    }

    public KafkaBusConfig withStartTimeout(Duration startTimeout) {
        return new KafkaBusConfig(bootstrapServers, topic, partitions, replicationFactor, publishTimeout,
                publishQueueCapacity, startTimeout, closeTimeout, producer, consumer, admin);
    }

    public KafkaBusConfig withCloseTimeout(Duration closeTimeout) {
        return new KafkaBusConfig(bootstrapServers, topic, partitions, replicationFactor, publishTimeout,
                publishQueueCapacity, startTimeout, closeTimeout, producer, consumer, admin);
    }

    public KafkaBusConfig withProducer(Map<String, String> producer) {
        return new KafkaBusConfig(bootstrapServers, topic, partitions, replicationFactor, publishTimeout,
                publishQueueCapacity, startTimeout, closeTimeout, producer, consumer, admin);
    }

    public KafkaBusConfig withConsumer(Map<String, String> consumer) {
        return new KafkaBusConfig(bootstrapServers, topic, partitions, replicationFactor, publishTimeout,
                publishQueueCapacity, startTimeout, closeTimeout, producer, consumer, admin);
    }

    public KafkaBusConfig withAdmin(Map<String, String> admin) {
        return new KafkaBusConfig(bootstrapServers, topic, partitions, replicationFactor, publishTimeout,
                publishQueueCapacity, startTimeout, closeTimeout, producer, consumer, admin);
    }

    /** Like the record's, with the values of secret-looking client properties masked (for the start-up log). */
    @Override
    public String toString() {
        return "KafkaBusConfig[bootstrapServers=" + bootstrapServers + ", topic=" + topic + ", partitions="
                + partitions + ", replicationFactor=" + replicationFactor + ", publishTimeout=" + publishTimeout
                + ", publishQueueCapacity=" + publishQueueCapacity + ", startTimeout=" + startTimeout
                + ", closeTimeout=" + closeTimeout + ", producer=" + masked(producer) + ", consumer="
                + masked(consumer) + ", admin=" + masked(admin) + "]";
    }

    private static Map<String, String> masked(Map<String, String> properties) {
        Map<String, String> out = new TreeMap<>();
        properties.forEach((k, v) -> {
            String key = k.toLowerCase(Locale.ROOT);
            boolean secret = key.contains("password") || key.contains("secret") || key.contains("jaas")
                    || key.contains("token") || key.endsWith(".key");
            out.put(k, secret ? "******" : v);
        });
        return out;
    }

    private static void checkRange(String key, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(PREFIX + key + ": " + value + " (expected: " + min + ".." + max + ")");
        }
    }

    private static void checkDuration(String key, Duration value) {
        if (value.compareTo(MIN_TIMEOUT) < 0 || value.compareTo(MAX_TIMEOUT) > 0) {
            throw new IllegalArgumentException(PREFIX + key + ": " + value + " (expected: " + MIN_TIMEOUT + ".."
                    + MAX_TIMEOUT + ")");
        }
    }

    private static Map<String, String> clientProperties(String section, Map<String, String> properties,
            Set<String> owned) {
        for (Map.Entry<String, String> e : properties.entrySet()) {
            String key = e.getKey();
            if (key == null || key.isBlank()) {
                throw new IllegalArgumentException(PREFIX + section + ": \"" + key
                        + "\" (expected: a Kafka client property name)");
            }
            if (e.getValue() == null) {
                throw new IllegalArgumentException(PREFIX + section + "." + key + ": null (expected: a value)");
            }
            if (owned.contains(key)) {
                throw new IllegalArgumentException(PREFIX + section + "." + key + ": \"" + e.getValue()
                        + "\" (expected: not set; the bus sets " + key + " itself)");
            }
        }
        return Map.copyOf(properties);
    }
}
