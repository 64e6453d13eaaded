package io.danmaku.bus.kafka;

import io.danmaku.protocol.bus.BusUnavailableException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up of the bus's topic through the Admin client: create it when absent, then wait until every partition
 * has a live leader by asking each for its end offset (ListOffsets is answered only by the leader). Producing
 * with an idempotent producer before that can lose records silently (KAFKA-15591, fixed in Kafka 4.5), so the
 * bus never produces before this returned. Blocks, bounded by {@code startTimeout}.
 */
final class TopicSetup {
    /** What the bus needs to know about its topic. */
    record TopicInfo(Uuid id, int partitions) {
    }

    private static final long RETRY_MILLIS = 50;
    private static final Logger log = LoggerFactory.getLogger(TopicSetup.class);

    private TopicSetup() {
    }

    static TopicInfo prepare(KafkaBusConfig config) {
        long deadline = System.nanoTime() + config.startTimeout().toNanos();
        try (Admin admin = Admin.create(adminProperties(config))) {
            TopicDescription description = describe(admin, config.topic(), deadline);
            if (description == null) {
                create(admin, config, deadline);
                while ((description = describe(admin, config.topic(), deadline)) == null) {
                    Thread.sleep(RETRY_MILLIS);
                }
            }
            int partitions = description.partitions().size();
            if (partitions != config.partitions()) {
                log.warn("Kafka topic {} has {} partitions, bus.kafka.partitions is {}: using {} (the setting "
                        + "applies only when the bus creates the topic)", config.topic(), partitions,
                        config.partitions(), partitions);
            }
            Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                ends.put(new TopicPartition(config.topic(), p), OffsetSpec.latest());
            }
            get(admin.listOffsets(ends).all(), deadline);
            return new TopicInfo(description.topicId(), partitions);
        } catch (ExecutionException e) {
            throw unavailable(config, e.getCause());
        } catch (TimeoutException e) {
            throw unavailable(config, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(config, e);
        }
    }

    private static void create(Admin admin, KafkaBusConfig config, long deadline)
            throws ExecutionException, TimeoutException, InterruptedException {
        NewTopic topic = new NewTopic(config.topic(), config.partitions(), (short) config.replicationFactor());
        try {
            get(admin.createTopics(List.of(topic)).all(), deadline);
            log.info("created Kafka topic {} ({} partitions, replication factor {})", config.topic(),
                    config.partitions(), config.replicationFactor());
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
            // Another process created it meanwhile: use theirs.
        }
    }

    /** The topic's description, or null when it does not exist (yet). */
    private static TopicDescription describe(Admin admin, String topic, long deadline)
            throws ExecutionException, TimeoutException, InterruptedException {
        try {
            return get(admin.describeTopics(List.of(topic)).allTopicNames(), deadline).get(topic);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return null;
            }
            throw e;
        }
    }

    private static <T> T get(KafkaFuture<T> future, long deadline)
            throws ExecutionException, TimeoutException, InterruptedException {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
            throw new TimeoutException("start timeout passed");
        }
        return future.get(remaining, TimeUnit.NANOSECONDS);
    }

    private static Map<String, Object> adminProperties(KafkaBusConfig config) {
        return adminProperties(config, config.startTimeout().toMillis());
    }

    /** The admin client's settings: bootstrap servers, the timeouts from {@code timeoutMillis}, then {@code bus.kafka.admin.*}. */
    static Map<String, Object> adminProperties(KafkaBusConfig config, long timeout) {
        int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, timeout);
        Map<String, Object> props = new HashMap<>();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMillis);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(timeoutMillis, 30_000));
        props.putAll(config.admin());
        return props;
    }

    private static BusUnavailableException unavailable(KafkaBusConfig config, Throwable cause) {
        return new BusUnavailableException("Kafka at " + config.bootstrapServers() + ": topic " + config.topic()
                + " not ready within " + config.startTimeout().toMillis() + " ms: " + cause, cause);
    }
}
