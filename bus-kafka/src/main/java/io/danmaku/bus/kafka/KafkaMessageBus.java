package io.danmaku.bus.kafka;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.bus.BusListener;
import io.danmaku.protocol.bus.BusMessage;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.bus.BusSubscription;
import io.danmaku.protocol.bus.BusUnavailableException;
import io.danmaku.protocol.bus.GroupListener;
import io.danmaku.protocol.bus.MessageBus;
import io.danmaku.protocol.trace.TraceId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link MessageBus} on Kafka: topic {@link KafkaBusConfig#topic()} (default
 * {@value KafkaBusConfig#DEFAULT_TOPIC}), one record per message with key = room (UTF-8), value = the
 * message's compact JSON as given, headers {@value #HEADER_ID} (the message id, when the payload is a JSON
 * object with a string {@code id}), {@value #HEADER_SCHEMA} = {@value #SCHEMA} and {@value #HEADER_TRACE_ID} (the
 * post's trace id as 32 lowercase hex digits, when the message has one; read back by group subscriptions only, for
 * storage's log lines). It is not named {@code traceparent}: an OpenTelemetry agent attached to the JVM writes that
 * header itself, for its own spans.
 *
 * <p><b>Start.</b> The constructor blocks (at most {@code startTimeout}; call it at start-up, never on an event
 * loop): it creates the topic when absent, waits until every partition has a live leader (see
 * {@link TopicSetup}) and reads the topic id. It throws {@link BusUnavailableException} when Kafka cannot be
 * reached in time. The partition count found then is used for the life of the bus; partitions added later are
 * read by group subscriptions but neither produced to nor read by fan-out feeds until the bus is restarted
 * (adding partitions moves rooms to other partitions, and with them to a new epoch, which clients see as a
 * stream they cannot recover from).
 *
 * <p><b>Positions.</b> A room's partition is Kafka's default partitioner's choice for the room as key
 * ({@link RoomPartitioner}); records are produced to it explicitly. Offset = the record's Kafka offset + 1 (0
 * means "none" to clients); epoch = {@code <topicId>-<partition>} (URL-safe ASCII), so a deleted and recreated topic has new epochs. Offsets are
 * increasing per room, not contiguous (rooms share partitions).
 *
 * <p><b>Publishing</b> never blocks the caller; see {@link Publisher}. Producer defaults, chosen for throughput
 * with nothing given up on durability: {@code acks=all}, idempotence, lz4, {@code linger.ms=10},
 * {@code batch.size=262144} (256 KiB), {@code buffer.memory=67108864} (64 MiB), 5 requests in flight,
 * {@code delivery.timeout.ms} = {@code publishTimeout} (the request timeout fitted under it),
 * {@code max.block.ms=1000} (only the sender thread ever waits on it). Logic publishes whole batches of posts, so
 * the producer's batches are what the broker pays for per request: a longer linger and larger batches mean fewer,
 * fuller produce requests (and better lz4 ratios) at the cost of at most 10 ms more before a record leaves under
 * light load; the larger buffer holds those batches for every partition while 5 requests are in flight. Any of
 * them can be overridden with {@code bus.kafka.producer.*}. The publish future fails with
 * {@link BusUnavailableException} when any message of the batch was not acknowledged within
 * {@code publishTimeout} (some may then still be written), when the publish queue is full, or after close.
 *
 * <p><b>Subscriptions</b>: {@link #subscribeAll} (no group; see {@link FanoutSubscription}) and
 * {@link #subscribeGroup} (at least once, commits after the listener's stage succeeded; see
 * {@link GroupSubscription}). Each has its own consumer and thread; both recover from broker outages by
 * themselves. {@code subscribeAll} is the one call that waits for Kafka: to keep its promise that every record
 * published after it returned is delivered, it looks up the end offset of every partition first (one round
 * trip; when Kafka is down it gives up after {@code startTimeout} and starts at the end as soon as Kafka
 * answers). Call it at start-up, not on an event loop. {@code subscribeGroup} returns at once.
 *
 * <p><b>Meters</b>: {@code danmaku.bus.kafka.publish} (timer per batch, tag {@code outcome} = ok|unavailable),
 * {@code danmaku.bus.kafka.errors} (counter, tag {@code op} = publish|fanout|group|commit|listener|decode),
 * {@code danmaku.bus.kafka.lag} (gauge per consumer group of this process, tag {@code group}: records behind the
 * end of the partitions its members own), {@code danmaku.bus.kafka.reachable} (gauge, 1 while Kafka answered the
 * latest health check; see {@link #reachable()}).
 */
public final class KafkaMessageBus implements MessageBus {
    public static final String HEADER_ID = "id";
    public static final String HEADER_SCHEMA = "schema";
    public static final String HEADER_TRACE_ID = "trace_id";
    public static final String SCHEMA = "danmaku.room-message/1";
    static final byte[] SCHEMA_BYTES = SCHEMA.getBytes(StandardCharsets.UTF_8);
    static final long MAX_BLOCK_MILLIS = 1000;
    /** Producer {@code linger.ms} unless overridden: see the class comment for the trade-off. */
    public static final int DEFAULT_LINGER_MS = 10;
    /** Producer {@code batch.size} (per partition) unless overridden. */
    public static final int DEFAULT_BATCH_SIZE_BYTES = 256 * 1024;
    /** Producer {@code buffer.memory} unless overridden: room for a full batch on many partitions at once. */
    public static final long DEFAULT_BUFFER_MEMORY_BYTES = 64L * 1024 * 1024;

    private static final Logger log = LoggerFactory.getLogger(KafkaMessageBus.class);
    private static final AtomicInteger IDS = new AtomicInteger();

    private final KafkaBusConfig config;
    private final MeterRegistry registry;
    private final KafkaClientMetrics producerMetrics;
    private final int id = IDS.incrementAndGet();
    private final Uuid topicId;
    private final String[] epochs;
    private final List<TopicPartition> topicPartitions;
    private final Publisher publisher;
    private final Counter decodeErrors;
    private final Reachability reachability;
    private final AtomicInteger subscriptionIds = new AtomicInteger();
    private final Set<BusSubscription> subscriptions = ConcurrentHashMap.newKeySet();
    /** Group name → its members in this bus, summed by the group's lag gauge. */
    private final Map<String, Set<GroupSubscription>> groups = new ConcurrentHashMap<>();
    private final List<Gauge> gauges = new ArrayList<>();
    private final Object lock = new Object();
    /** Guarded by lock. */
    private boolean closed;

    /**
     * Prepares the topic and starts the producer; blocks at most {@code config.startTimeout()}.
     *
     * @throws BusUnavailableException when Kafka could not be reached or the topic not prepared in time
     */
    public KafkaMessageBus(KafkaBusConfig config, MeterRegistry registry) {
        this.config = requireNonNull(config, "config");
        this.registry = requireNonNull(registry, "registry");
        TopicSetup.TopicInfo topic = TopicSetup.prepare(config);
        this.topicId = topic.id();
        this.epochs = new String[topic.partitions()];
        List<TopicPartition> tps = new ArrayList<>(topic.partitions());
        for (int p = 0; p < epochs.length; p++) {
            epochs[p] = epoch(topicId, p);
            tps.add(new TopicPartition(config.topic(), p));
        }
        this.topicPartitions = List.copyOf(tps);
        this.decodeErrors = errorCounter(registry, "decode");
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties(config));
        try {
            producer.partitionsFor(config.topic());
        } catch (RuntimeException e) {
            log.warn("Kafka topic {}: producer metadata not loaded yet ({}); the first send will load it",
                    config.topic(), e.toString());
        }
        this.publisher = new Publisher(producer, config.topic(), epochs, config, registry);
        // the producer's own metrics (records per request, batch size, record queue time, request latency…) as
        // kafka_producer_* meters, so batching can be watched where everything else is
        this.producerMetrics = new KafkaClientMetrics(producer);
        producerMetrics.bindTo(registry);
        this.reachability = new Reachability(config, "danmaku-kafka-health-" + id);
        gauges.add(Gauge.builder("danmaku.bus.kafka.reachable", reachability, r -> r.reachable() ? 1 : 0)
                .description("1 while Kafka answered this process's latest health check, else 0")
                .strongReference(true)
                .register(registry));
        log.info("Kafka bus ready on topic {} (id {}, {} partitions): {}", config.topic(), topicId, epochs.length,
                config);
    }

    /** {@code <topicId>-<partition>}: the epoch of every room in that partition of that topic incarnation. */
    public static String epoch(Uuid topicId, int partition) {
        return topicId + "-" + partition;
    }

    /** The partition of {@code room} in this bus's topic (what the default partitioner picks for its key). */
    public int partition(String room) {
        requireNonNull(room, "room");
        return RoomPartitioner.partition(room, epochs.length);
    }

    public Uuid topicId() {
        return topicId;
    }

    public KafkaBusConfig config() {
        return config;
    }

    @Override
    public CompletableFuture<List<BusPosition>> publish(List<BusMessage> batch) {
        requireNonNull(batch, "batch");
        for (BusMessage m : batch) {
            requireNonNull(m, "batch element");
        }
        return publisher.publish(batch);
    }

    /** Whether Kafka answered the latest health check (every 5 s, see {@link Reachability}). */
    @Override
    public boolean reachable() {
        return reachability.reachable();
    }

    @Override
    public String epoch(String room) {
        return epochs[partition(room)];
    }

    /**
     * {@code <topic>/<topicId>-<partition>}: a partition orders all its rooms, and the topic id keeps a recreated
     * topic (offsets starting again) apart from the old one.
     */
    @Override
    public String streamOf(io.danmaku.protocol.RoomRecord record) {
        return config.topic() + "/" + record.epoch();
    }

    /** The stream of partition {@code partition}, as {@link #streamOf} names it. */
    String streamOf(int partition) {
        return config.topic() + "/" + (partition < epochs.length ? epochs[partition] : epoch(topicId, partition));
    }

    @Override
    public BusSubscription subscribeAll(BusListener listener) {
        requireNonNull(listener, "listener");
        FanoutSubscription s;
        synchronized (lock) {
            ensureOpen();
            s = new FanoutSubscription(this, listener, "danmaku-kafka-fanout-" + id + "-"
                    + subscriptionIds.incrementAndGet());
            subscriptions.add(s);
        }
        try {
            s.start();
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    @Override
    public BusSubscription subscribeGroup(String group, GroupListener listener) {
        requireNonNull(group, "group");
        requireNonNull(listener, "listener");
        if (group.isBlank()) {
            throw new IllegalArgumentException("group: \"" + group + "\" (expected: a non-blank group name)");
        }
        GroupSubscription s;
        synchronized (lock) {
            ensureOpen();
            s = new GroupSubscription(this, group, listener, "danmaku-kafka-group-" + group + "-"
                    + subscriptionIds.incrementAndGet());
            subscriptions.add(s);
            groups.computeIfAbsent(group, this::lagGauge).add(s);
        }
        s.start();
        return s;
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (BusSubscription s : List.copyOf(subscriptions)) {
            s.close();
        }
        reachability.close();
        producerMetrics.close();
        publisher.close();
        synchronized (lock) {
            gauges.forEach(registry::remove);
            gauges.clear();
        }
        log.info("Kafka bus on topic {} closed", config.topic());
    }

    @Override
    public String toString() {
        return "KafkaMessageBus[topic=" + config.topic() + ", topicId=" + topicId + ", partitions=" + epochs.length
                + ", bootstrapServers=" + config.bootstrapServers() + "]";
    }

    // ---------------------------------------------------------------- for the subscriptions

    MeterRegistry registry() {
        return registry;
    }

    String topic() {
        return config.topic();
    }

    List<TopicPartition> topicPartitions() {
        return topicPartitions;
    }

    /** A consumer of raw records: in {@code group} (without auto-commit), or without a group when null. */
    KafkaConsumer<byte[], byte[]> newConsumer(String group) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, group == null ? "latest" : "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "danmaku-" + (group == null ? "fanout" : group) + "-" + id + "-"
                + subscriptionIds.get());
        props.putAll(config.consumer());
        if (group != null) {
            props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        return new KafkaConsumer<>(props);
    }

    /**
     * The record as a room record, or null (counted) when it has no key or no value; with its trace id (header
     * {@value #HEADER_TRACE_ID}) when {@code withTrace}, else without (the fan-out feeds never need it).
     */
    RoomRecord toRoomRecord(ConsumerRecord<byte[], byte[]> r, boolean withTrace) {
        if (r.key() == null || r.value() == null) {
            decodeErrors.increment();
            return null;
        }
        int p = r.partition();
        String epoch = p < epochs.length ? epochs[p] : epoch(topicId, p);
        TraceId traceId = null;
        if (withTrace) {
            Header header = r.headers().lastHeader(HEADER_TRACE_ID);
            traceId = header == null ? null : TraceId.parse(header.value());
        }
        return new RoomRecord(new String(r.key(), StandardCharsets.UTF_8), position(r.offset()), epoch,
                r.timestamp(), r.value(), traceId);
    }

    /**
     * A record's position in its room's stream: its Kafka offset plus one. Position 0 means "nothing seen yet"
     * to the hot store and to Centrifugo clients, so the first record of a partition must not have it.
     */
    static long position(long kafkaOffset) {
        return kafkaOffset + 1;
    }

    void forget(BusSubscription s) {
        subscriptions.remove(s);
        if (s instanceof GroupSubscription g) {
            Set<GroupSubscription> members = groups.get(g.group());
            if (members != null) {
                members.remove(g);
            }
        }
    }

    static Counter errorCounter(MeterRegistry registry, String op) {
        return Counter.builder("danmaku.bus.kafka.errors").tag("op", op)
                .description("Kafka bus failures by operation").register(registry);
    }

    static void join(Thread thread, Duration bound) {
        try {
            thread.join(bound.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("{} did not stop within {} ms", thread.getName(), bound.toMillis());
        }
    }

    // ---------------------------------------------------------------- internals

    private Set<GroupSubscription> lagGauge(String group) {
        Set<GroupSubscription> members = ConcurrentHashMap.newKeySet();
        gauges.add(Gauge.builder("danmaku.bus.kafka.lag", members,
                        m -> m.stream().mapToLong(GroupSubscription::lag).sum())
                .tag("group", group)
                .description("Records the group's members in this process are behind the end of their partitions")
                .strongReference(true)
                .register(registry));
        return members;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("Kafka bus on topic " + config.topic() + " closed");
        }
    }

    /** The producer's settings: the defaults above, then {@code bus.kafka.producer.*}, then the timeouts fitted. */
    static Map<String, Object> producerProperties(KafkaBusConfig config) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.LINGER_MS_CONFIG, DEFAULT_LINGER_MS);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, DEFAULT_BATCH_SIZE_BYTES);
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, DEFAULT_BUFFER_MEMORY_BYTES);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Math.min(MAX_BLOCK_MILLIS, config.publishTimeout().toMillis()));
        props.putAll(config.producer());
        long delivery = props.containsKey(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)
                ? millis(props, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)
                : config.publishTimeout().toMillis();
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE, delivery));
        if (!props.containsKey(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG)) {
            // Kafka requires delivery.timeout.ms >= linger.ms + request.timeout.ms.
            long linger = millis(props, ProducerConfig.LINGER_MS_CONFIG);
            props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(1, Math.min(30_000, delivery - linger)));
        }
        return props;
    }

    private static long millis(Map<String, Object> props, String key) {
        String value = props.get(key).toString().trim();
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bus.kafka.producer." + key + ": \"" + value
                    + "\" (expected: milliseconds)", e);
        }
    }
}
