package io.danmaku.bus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.bus.BusMessage;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.bus.BusUnavailableException;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Kafka stopped and started again under a running bus: publishes fail {@code unavailable} meanwhile, and the
 * producer, the fan-out feed and the group member all resume by themselves. Uses a broker of its own, so the
 * outage cannot disturb the other test classes.
 */
class KafkaOutageTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void whileKafkaIsDownPublishesFailUnavailableAndWhenItReturnsEverythingResumes() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (KafkaBroker broker = KafkaBroker.launch();
             KafkaMessageBus bus = new KafkaMessageBus(KafkaBusConfig.defaults(broker.bootstrapServers())
                     .withTopic("danmaku.room-messages.outage").withPartitions(3)
                     .withPublishTimeout(Duration.ofSeconds(2)), registry)) {
            String room = "outage-" + UUID.randomUUID();
            List<RoomRecord> fanout = new CopyOnWriteArrayList<>();
            bus.subscribeAll(records -> records.stream().filter(r -> r.room().equals(room)).forEach(fanout::add));
            List<RoomRecord> stored = new CopyOnWriteArrayList<>();
            bus.subscribeGroup("storage-outage", records -> {
                records.stream().filter(r -> r.room().equals(room)).forEach(stored::add);
                return CompletableFuture.completedFuture(null);
            });
            BusPosition before = publish(bus, room, "before").get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            await().atMost(TIMEOUT).until(() -> offsets(fanout).contains(before.offset())
                    && offsets(stored).contains(before.offset()));

            broker.stop();
            CompletableFuture<BusPosition> during = publish(bus, room, "during");

            assertThat(during).failsWithin(TIMEOUT).withThrowableOfType(ExecutionException.class)
                    .withCauseInstanceOf(BusUnavailableException.class);
            // the failure is counted right after the future is failed, on the same completion thread
            await().atMost(TIMEOUT).untilAsserted(() -> assertThat(registry.get("danmaku.bus.kafka.publish")
                    .tag("outcome", "unavailable").timer().count()).isEqualTo(1));

            broker.start();
            AtomicInteger attempt = new AtomicInteger();
            BusPosition after = await().atMost(TIMEOUT).until(() -> {
                try {
                    return publish(bus, room, "after" + attempt.incrementAndGet()).get();
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(BusUnavailableException.class);
                    return null;
                }
            }, Objects::nonNull);

            await().atMost(TIMEOUT).until(() -> offsets(fanout).contains(after.offset())
                    && offsets(stored).contains(after.offset()));
            // The feed reads on from its position; the group may see a record twice (at least once) if a commit
            // fell into the outage.
            assertThat(offsets(fanout)).startsWith(before.offset()).isSorted().doesNotHaveDuplicates();
            assertThat(offsets(stored)).contains(before.offset(), after.offset());
            assertThat(after.epoch()).isEqualTo(before.epoch());
        }
    }

    private static CompletableFuture<BusPosition> publish(KafkaMessageBus bus, String room, String text) {
        return bus.publish(new BusMessage(room, text.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<Long> offsets(List<RoomRecord> records) {
        return records.stream().map(RoomRecord::offset).toList();
    }
}
