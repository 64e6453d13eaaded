package io.danmaku.server.role;

import io.danmaku.bus.kafka.KafkaBusConfig;
import io.danmaku.bus.kafka.KafkaTls;
import io.danmaku.bus.kafka.KafkaMessageBus;
import io.danmaku.protocol.bus.MessageBus;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.ConfigException;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.store.redis.RedisHotStore;
import io.danmaku.store.redis.RedisStoreConfig;
import io.danmaku.store.redis.RedisTls;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;

/**
 * Builds the configured implementation of each seam: {@code bus.type} memory or kafka, {@code store.type}
 * memory or redis. The distributed roles need the real ones (several processes share them). Kafka and Redis are
 * waited for at start ({@code bus.kafka.connect-wait}, {@code store.redis.connect-wait}): a process started before
 * them retries with backoff instead of exiting.
 */
final class Seams {
    private Seams() {
    }

    /** Validates the seams' settings for {@code role} without connecting to anything. */
    static void check(Config c, String role) {
        if (c.getString(DanmakuKeys.BUS_TYPE).orElseThrow().equals("memory")) {
            requireStandalone(role, DanmakuKeys.BUS_TYPE, "kafka");
        } else {
            kafkaConfig(c);
        }
        if (c.getString(DanmakuKeys.STORE_TYPE).orElseThrow().equals("memory")) {
            requireStandalone(role, DanmakuKeys.STORE_TYPE, "redis");
        } else {
            redisConfig(c);
        }
    }

    static MessageBus bus(Config c, MeterRegistry registry, String role) {
        String type = c.getString(DanmakuKeys.BUS_TYPE).orElseThrow();
        if (type.equals("memory")) {
            requireStandalone(role, DanmakuKeys.BUS_TYPE, "kafka");
            return new MemoryMessageBus(c.getInt(DanmakuKeys.BUS_MEMORY_QUEUE_CAPACITY));
        }
        KafkaBusConfig config = kafkaConfig(c);
        return ConnectWait.connect("Kafka at " + config.bootstrapServers(), DanmakuKeys.BUS_KAFKA_CONNECT_WAIT,
                c.getDuration(DanmakuKeys.BUS_KAFKA_CONNECT_WAIT), () -> new KafkaMessageBus(config, registry));
    }

    private static KafkaBusConfig kafkaConfig(Config c) {
        KafkaBusConfig config = TierConfigs.build(() -> KafkaBusConfig
                .defaults(c.getString(DanmakuKeys.BUS_KAFKA_BOOTSTRAP_SERVERS).orElseThrow())
                .withTopic(c.getString(DanmakuKeys.BUS_KAFKA_TOPIC).orElseThrow())
                .withPartitions(c.getInt(DanmakuKeys.BUS_KAFKA_PARTITIONS))
                .withReplicationFactor(c.getInt(DanmakuKeys.BUS_KAFKA_REPLICATION_FACTOR))
                .withPublishTimeout(c.getDuration(DanmakuKeys.LOGIC_PUBLISH_TIMEOUT))
                .withProducer(c.getPrefixed(DanmakuKeys.BUS_KAFKA_PRODUCER))
                .withConsumer(consumerSettings(c))
                .withAdmin(c.getPrefixed(DanmakuKeys.BUS_KAFKA_ADMIN)));
        if (!c.getBoolean(DanmakuKeys.BUS_KAFKA_TLS_ENABLED)) {
            return config;
        }
        return TierConfigs.build(() -> new KafkaTls(c.getPath(DanmakuKeys.BUS_KAFKA_TLS_CA_FILE).orElse(null),
                c.getPath(DanmakuKeys.BUS_KAFKA_TLS_CERT_FILE).orElse(null),
                c.getPath(DanmakuKeys.BUS_KAFKA_TLS_KEY_FILE).orElse(null)).applyTo(config));
    }

    /**
     * The configured consumer settings, with a 10 s session timeout unless set: Kafka's 45 s default would leave
     * a crashed storage member's partitions unconsumed for that long before a restarted one takes them over.
     */
    private static java.util.Map<String, String> consumerSettings(Config c) {
        java.util.Map<String, String> settings = new java.util.HashMap<>(c.getPrefixed(DanmakuKeys.BUS_KAFKA_CONSUMER));
        settings.putIfAbsent("session.timeout.ms", "10000");
        settings.putIfAbsent("heartbeat.interval.ms", "1000");
        return settings;
    }

    static HotStore store(Config c, MeterRegistry registry, String role) {
        String type = c.getString(DanmakuKeys.STORE_TYPE).orElseThrow();
        if (type.equals("memory")) {
            requireStandalone(role, DanmakuKeys.STORE_TYPE, "redis");
            return new MemoryHotStore(Clock.systemUTC(), c.getInt(DanmakuKeys.STORE_MEMORY_HISTORY_PER_ROOM));
        }
        RedisStoreConfig config = redisConfig(c);
        return ConnectWait.connect("Redis at " + config.uris(), DanmakuKeys.STORE_REDIS_CONNECT_WAIT,
                c.getDuration(DanmakuKeys.STORE_REDIS_CONNECT_WAIT), () -> RedisHotStore.connect(config, registry));
    }

    private static RedisStoreConfig redisConfig(Config c) {
        return TierConfigs.build(() -> new RedisStoreConfig(
                c.getString(DanmakuKeys.STORE_REDIS_MODE).orElseThrow().equals("single")
                        ? RedisStoreConfig.Mode.SINGLE : RedisStoreConfig.Mode.CLUSTER,
                c.getList(DanmakuKeys.STORE_REDIS_URIS),
                c.getDuration(DanmakuKeys.STORE_REDIS_COMMAND_TIMEOUT),
                RedisStoreConfig.DEFAULT_CONNECT_TIMEOUT,
                RedisStoreConfig.DEFAULT_TOPOLOGY_REFRESH_PERIOD,
                c.getInt(DanmakuKeys.STORE_REDIS_HISTORY_PER_ROOM),
                c.getDuration(DanmakuKeys.STORE_REDIS_HISTORY_RETENTION),
                redisTls(c)));
    }

    /** The TLS files for rediss:// URIs, or null when none is set. */
    private static RedisTls redisTls(Config c) {
        var ca = c.getPath(DanmakuKeys.STORE_REDIS_TLS_CA_FILE);
        var cert = c.getPath(DanmakuKeys.STORE_REDIS_TLS_CERT_FILE);
        if (ca.isEmpty() && cert.isEmpty()) {
            return null;
        }
        return new RedisTls(ca.orElse(null), cert.orElse(null),
                c.getPath(DanmakuKeys.STORE_REDIS_TLS_KEY_FILE).orElse(null));
    }

    private static void requireStandalone(String role, String key, String real) {
        if (!role.equals("standalone")) {
            throw new ConfigException(key + ": \"memory\" (expected: " + real + " for the " + role
                    + " role: its processes share the " + (real.equals("kafka") ? "bus" : "store") + ")");
        }
    }
}
