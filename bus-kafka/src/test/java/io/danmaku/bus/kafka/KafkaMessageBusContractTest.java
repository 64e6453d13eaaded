package io.danmaku.bus.kafka;

import io.danmaku.protocol.bus.MessageBus;
import io.danmaku.protocol.contract.MessageBusContract;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.kafka.KafkaExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** The {@link MessageBus} contract on a real broker; every bus gets a topic of its own with 3 partitions. */
@ExtendWith(KafkaExtension.class)
class KafkaMessageBusContractTest extends MessageBusContract {
    private static final AtomicInteger TOPICS = new AtomicInteger();
    private static KafkaBroker kafka;

    @BeforeAll
    static void broker(KafkaBroker broker) {
        kafka = broker;
    }

    @Override
    protected MessageBus newBus() {
        return new KafkaMessageBus(KafkaBusConfig.defaults(kafka.bootstrapServers())
                .withTopic("danmaku.room-messages.contract" + TOPICS.incrementAndGet())
                .withPartitions(3), new SimpleMeterRegistry());
    }
}
