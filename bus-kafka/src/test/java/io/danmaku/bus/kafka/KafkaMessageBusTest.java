package io.danmaku.bus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.bus.BusMessage;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.bus.BusSubscription;
import io.danmaku.protocol.bus.GroupListener;
import io.danmaku.protocol.bus.RewindException;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.json.RoomMessageCodec;
import io.danmaku.protocol.trace.TraceId;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.kafka.KafkaExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What operators and other consumers see in Kafka, and the group's behaviour when a member dies. */
@ExtendWith(KafkaExtension.class)
class KafkaMessageBusTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final AtomicInteger TOPICS = new AtomicInteger();
    private static KafkaBroker kafka;
    private static Admin admin;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeAll
    static void setUp(KafkaBroker broker) {
        kafka = broker;
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
    }

    @AfterAll
    static void tearDown() {
        admin.close();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    @Test
    void theBusCreatesItsTopicWithTheConfiguredPartitionsAndKeepsAnExistingTopicsCount() throws Exception {
        String topic = topic("created");
        KafkaMessageBus first = bus(topic, 5);

        TopicDescription d = describe(topic);
        assertThat(d.partitions()).hasSize(5);
        assertThat(d.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(1));

        KafkaMessageBus second = bus(topic, 7);
        assertThat(describe(topic).partitions()).hasSize(5);
        for (int i = 0; i < 50; i++) {
            String room = "room-" + i;
            assertThat(second.partition(room)).isEqualTo(first.partition(room)).isBetween(0, 4);
            assertThat(second.epoch(room)).isEqualTo(first.epoch(room));
        }
    }

    @Test
    void eachMessageIsARecordKeyedByRoomWithIdAndSchemaHeadersAndTheJsonAsValue() throws Exception {
        String topic = topic("layout");
        KafkaMessageBus bus = bus(topic, 3);
        String room = "layout-" + UUID.randomUUID();
        RoomMessage message = RoomMessage.danmaku("m-" + UUID.randomUUID(), room, System.currentTimeMillis(),
                new UserRef("u-1", "Alice"), "hello 弾幕", RoomMessage.DEFAULT_COLOR, RoomMessage.MODE_SCROLL, null);

        List<BusPosition> positions = bus.publish(List.of(new BusMessage(room, RoomMessageCodec.encode(message)),
                new BusMessage(room, "not json".getBytes(StandardCharsets.UTF_8))))
                .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);

        List<ConsumerRecord<byte[], byte[]>> records = readAll(topic, 3, 2);
        ConsumerRecord<byte[], byte[]> json = records.get(0);
        assertThat(new String(json.key(), StandardCharsets.UTF_8)).isEqualTo(room);
        assertThat(json.partition()).isEqualTo(bus.partition(room));
        assertThat(json.offset() + 1).as("position = Kafka offset + 1").isEqualTo(positions.get(0).offset());
        assertThat(headers(json)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "id", message.id(), "schema", "danmaku.room-message/1"));
        JsonNode value = Json.MAPPER.readTree(json.value());
        assertThat(value.get("text").asText()).isEqualTo("hello 弾幕");
        assertThat(value.get("user").get("name").asText()).isEqualTo("Alice");

        ConsumerRecord<byte[], byte[]> plain = records.get(1);
        assertThat(plain.offset() + 1).isEqualTo(positions.get(1).offset());
        assertThat(headers(plain)).containsExactly(Map.entry("schema", "danmaku.room-message/1"));
        assertThat(new String(plain.value(), StandardCharsets.UTF_8)).isEqualTo("not json");
    }

    @Test
    void aPostsTraceIdIsTheTraceIdHeaderInHexAndGroupMembersReadItBack() throws Exception {
        String topic = topic("trace");
        KafkaMessageBus bus = bus(topic, 2);
        String room = "trace-" + UUID.randomUUID();
        TraceId trace = TraceId.fromTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        RoomMessage message = RoomMessage.danmaku("m-" + UUID.randomUUID(), room, System.currentTimeMillis(),
                new UserRef("u-1", "Alice"), "traced", RoomMessage.DEFAULT_COLOR, RoomMessage.MODE_SCROLL, null);

        bus.publish(List.of(new BusMessage(room, RoomMessageCodec.encode(message), trace),
                new BusMessage(room, "untraced".getBytes(StandardCharsets.UTF_8))))
                .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);

        // what a Kafka console shows: the same 32 hex digits as the log lines' trace_id
        List<ConsumerRecord<byte[], byte[]>> records = readAll(topic, 2, 2);
        assertThat(headers(records.get(0))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "id", message.id(), "schema", "danmaku.room-message/1",
                "trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"));
        assertThat(headers(records.get(1))).doesNotContainKey("trace_id");

        // what storage gets: the trace id on the group's records, none on the fan-out feed's
        List<RoomRecord> grouped = new CopyOnWriteArrayList<>();
        toClose(bus.subscribeGroup("trace-group-" + UUID.randomUUID(), batch -> {
            grouped.addAll(batch);
            return CompletableFuture.completedFuture(null);
        }));
        await().atMost(TIMEOUT).until(() -> grouped.size() >= 2);
        assertThat(grouped).extracting(RoomRecord::payloadText, RoomRecord::traceId).containsExactly(
                tuple(new String(RoomMessageCodec.encode(message), StandardCharsets.UTF_8), trace),
                tuple("untraced", null));
    }

    @Test
    void theEpochIsTopicIdAndPartitionAndRoomsLandWhereTheDefaultPartitionerPutsThem() throws Exception {
        String topic = topic("epoch");
        KafkaMessageBus bus = bus(topic, 3);
        Uuid topicId = describe(topic).topicId();
        Map<Integer, String> roomByPartition = new HashMap<>();
        for (int i = 0; roomByPartition.size() < 3; i++) {
            roomByPartition.putIfAbsent(bus.partition("epoch-room-" + i), "epoch-room-" + i);
        }

        Set<String> epochs = new HashSet<>();
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        try (KafkaProducer<String, String> plainProducer = new KafkaProducer<>(config)) {
            for (Map.Entry<Integer, String> e : roomByPartition.entrySet()) {
                String room = e.getValue();
                String epoch = bus.epoch(room);
                assertThat(epoch).isEqualTo(topicId + "-" + e.getKey()).matches("[A-Za-z0-9_-]+");
                epochs.add(epoch);
                BusPosition p = bus.publish(new BusMessage(room, "x".getBytes(StandardCharsets.UTF_8)))
                        .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(p.epoch()).isEqualTo(epoch);
                int chosenByKafka = plainProducer.send(new ProducerRecord<>(topic, room, "y"))
                        .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).partition();
                assertThat(chosenByKafka).isEqualTo(e.getKey());
            }
        }
        assertThat(epochs).hasSize(3);
    }

    @Test
    void aRecreatedTopicGivesNewEpochs() throws Exception {
        String topic = topic("recreated");
        String room = "recreated-room";
        String oldEpoch;
        try (KafkaMessageBus old = new KafkaMessageBus(config(topic, 3), new SimpleMeterRegistry())) {
            oldEpoch = old.epoch(room);
            old.publish(new BusMessage(room, "old".getBytes(StandardCharsets.UTF_8)))
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        admin.deleteTopics(List.of(topic)).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        await().atMost(TIMEOUT).until(() -> !admin.listTopics().names().get().contains(topic));

        KafkaMessageBus recreated = bus(topic, 3);
        BusPosition p = recreated.publish(new BusMessage(room, "new".getBytes(StandardCharsets.UTF_8)))
                .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);

        assertThat(recreated.epoch(room)).isNotEqualTo(oldEpoch).isEqualTo(p.epoch());
        assertThat(recreated.partition(room)).isEqualTo(RoomPartitioner.partition(room, 3));
    }

    @Test
    void aGroupMemberThatDiesMidBatchLosesNothingToTheNextMember() throws Exception {
        String topic = topic("group-death");
        KafkaMessageBus bus = toClose(new KafkaMessageBus(config(topic, 3).withCloseTimeout(Duration.ofSeconds(1)),
                new SimpleMeterRegistry()));
        String group = "storage-" + UUID.randomUUID();
        List<String> rooms = IntStream.range(0, 6).mapToObj(i -> "death-" + i).toList();

        List<RoomRecord> firstWrote = new CopyOnWriteArrayList<>();
        List<RoomRecord> inFlight = new CopyOnWriteArrayList<>();
        AtomicBoolean dying = new AtomicBoolean();
        GroupListener dyingMember = records -> {
            if (!dying.get()) {
                firstWrote.addAll(records);
                return CompletableFuture.completedFuture(null);
            }
            inFlight.addAll(records);
            return new CompletableFuture<>();
        };
        BusSubscription first = bus.subscribeGroup(group, dyingMember);

        Set<String> early = positions(publishTo(bus, rooms, "early", 12));
        await().atMost(TIMEOUT).until(() -> keys(firstWrote).containsAll(early));
        dying.set(true);
        Set<String> middle = positions(publishTo(bus, rooms, "middle", 12));
        await().atMost(TIMEOUT).until(() -> !inFlight.isEmpty());
        first.close();
        Set<String> late = positions(publishTo(bus, rooms, "late", 12));

        List<RoomRecord> secondWrote = new CopyOnWriteArrayList<>();
        bus.subscribeGroup(group, records -> {
            secondWrote.addAll(records);
            return CompletableFuture.<Void>completedFuture(null);
        });
        Set<String> all = new HashSet<>(early);
        all.addAll(middle);
        all.addAll(late);
        await().atMost(TIMEOUT).until(() -> {
            Set<String> written = keys(firstWrote);
            written.addAll(keys(secondWrote));
            return written.containsAll(all);
        });

        assertThat(keys(secondWrote)).as("the batch in flight when the member died comes again")
                .containsAll(keys(inFlight))
                .as("what the dead member committed does not").doesNotContainAnyElementsOf(early)
                .containsAll(middle).containsAll(late);
        assertThat(secondWrote).as("no record twice to the same member").extracting(KafkaMessageBusTest::key)
                .doesNotHaveDuplicates();
    }

    @Test
    void aMemberIsToldOfTheStreamsItGivesUpAndARewindRedeliversFromEarlierAtOnce() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        String topic = topic("rewind");
        KafkaMessageBus bus = toClose(new KafkaMessageBus(config(topic, 1), registry));
        String group = "storage-" + UUID.randomUUID();
        String stream = topic + "/" + bus.epoch("rewind-room");
        List<RoomRecord> firstWrote = new CopyOnWriteArrayList<>();
        List<String> revoked = new CopyOnWriteArrayList<>();
        BusSubscription first = bus.subscribeGroup(group, new GroupListener() {
            @Override
            public CompletionStage<Void> onRecords(List<RoomRecord> records) {
                firstWrote.addAll(records);
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public void onStreamsRevoked(Set<String> streams, boolean lost) {
                streams.forEach(s -> revoked.add(s + (lost ? " lost" : " handed over")));
            }
        });
        publishTo(bus, List.of("rewind-room"), "early", 10);
        await().atMost(TIMEOUT).until(() -> firstWrote.size() == 10);
        first.close();
        assertThat(revoked).as("leaving the group hands the partition over").containsExactly(stream + " handed over");

        publishTo(bus, List.of("rewind-room"), "late", 5);
        List<List<RoomRecord>> batches = new CopyOnWriteArrayList<>();
        AtomicBoolean asked = new AtomicBoolean();
        bus.subscribeGroup(group, records -> {
            batches.add(List.copyOf(records));
            if (asked.compareAndSet(false, true)) {
                // the archive ends at 2: records from 3 on are wanted again
                return CompletableFuture.failedFuture(new CompletionException(new RewindException(Map.of(stream, 3L))));
            }
            return CompletableFuture.completedFuture(null);
        });

        await().atMost(TIMEOUT).until(() -> batches.stream().mapToInt(List::size).sum() >= 5 + 13);
        assertThat(batches.get(0).get(0).offset()).as("the group resumed after what the first member committed")
                .isEqualTo(11);
        List<Long> after = batches.subList(1, batches.size()).stream().flatMap(List::stream)
                .map(RoomRecord::offset).toList();
        assertThat(after).as("from offset 3 on, once each").isEqualTo(LongStream.rangeClosed(3, 15).boxed().toList());
        assertThat(registry.get("danmaku.bus.kafka.errors").tag("op", "listener").counter().count())
                .as("a rewind is not a failure").isZero();
    }

    @Test
    void theLagGaugeShowsTheBacklogOfAGroupWhoseWritesFail() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        KafkaMessageBus bus = toClose(new KafkaMessageBus(config(topic("lag"), 1), registry));
        String group = "storage-" + UUID.randomUUID();
        AtomicBoolean storeDown = new AtomicBoolean(true);
        bus.subscribeGroup(group, records -> storeDown.get()
                ? CompletableFuture.failedFuture(new IllegalStateException("test: store down"))
                : CompletableFuture.completedFuture(null));

        publishTo(bus, List.of("lag-room"), "m", 10);

        await().atMost(TIMEOUT).until(() -> lag(registry, group) == 10);
        // the gauge may show the backlog before the first delivery: the store comes back only after a failed one
        await().atMost(TIMEOUT).until(
                () -> registry.get("danmaku.bus.kafka.errors").tag("op", "listener").counter().count() > 0);
        storeDown.set(false);
        await().atMost(TIMEOUT).until(() -> lag(registry, group) == 0);
    }

    @Test
    void theProducersOwnMetricsAreMetersAndShowTheRecordsSent() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        KafkaMessageBus bus = toClose(new KafkaMessageBus(config(topic("producer-metrics"), 1), registry));
        publishTo(bus, List.of("metrics-room"), "m", 5);
        await().atMost(TIMEOUT).until(() -> registry.find("kafka.producer.record.send.total").functionCounters()
                .stream().mapToDouble(c -> c.count()).sum() >= 5);
        assertThat(registry.find("kafka.producer.batch.size.avg").gauges()).isNotEmpty();
    }

    // ---------------------------------------------------------------- helpers

    private static double lag(SimpleMeterRegistry registry, String group) {
        return registry.get("danmaku.bus.kafka.lag").tag("group", group).gauge().value();
    }

    private static String topic(String tag) {
        return "danmaku.room-messages.bus" + TOPICS.incrementAndGet() + "-" + tag;
    }

    private static KafkaBusConfig config(String topic, int partitions) {
        return KafkaBusConfig.defaults(kafka.bootstrapServers()).withTopic(topic).withPartitions(partitions);
    }

    private KafkaMessageBus bus(String topic, int partitions) {
        return toClose(new KafkaMessageBus(config(topic, partitions), new SimpleMeterRegistry()));
    }

    private <T extends AutoCloseable> T toClose(T closeable) {
        toClose.add(closeable);
        return closeable;
    }

    private static TopicDescription describe(String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .get(topic);
    }

    private static List<BusPosition> publishTo(KafkaMessageBus bus, List<String> rooms, String text, int count)
            throws Exception {
        List<BusMessage> batch = IntStream.range(0, count)
                .mapToObj(i -> new BusMessage(rooms.get(i % rooms.size()), (text + i).getBytes(StandardCharsets.UTF_8)))
                .toList();
        return bus.publish(batch).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static Set<String> positions(List<BusPosition> positions) {
        return positions.stream().map(p -> p.epoch() + "@" + p.offset()).collect(Collectors.toSet());
    }

    private static String key(RoomRecord r) {
        return r.epoch() + "@" + r.offset();
    }

    private static Set<String> keys(List<RoomRecord> records) {
        return records.stream().map(KafkaMessageBusTest::key).collect(Collectors.toCollection(HashSet::new));
    }

    private static Map<String, String> headers(ConsumerRecord<byte[], byte[]> r) {
        Map<String, String> out = new HashMap<>();
        for (Header h : r.headers()) {
            out.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
        }
        return out;
    }

    /** Every record of the topic, read from the beginning by a plain consumer, in partition then offset order. */
    private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int partitions, int expected) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> tps = IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(topic, p))
                    .toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            await().atMost(TIMEOUT).pollInSameThread().until(() -> {
                consumer.poll(Duration.ofMillis(100)).forEach(records::add);
                return records.size() >= expected;
            });
        }
        assertThat(records).hasSize(expected);
        return records;
    }
}
