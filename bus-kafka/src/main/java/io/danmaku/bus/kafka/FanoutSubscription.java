package io.danmaku.bus.kafka;

import io.danmaku.protocol.logging.ThrottledLog;

import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.bus.BusListener;
import io.danmaku.protocol.bus.BusSubscription;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link KafkaMessageBus#subscribeAll} feed: a consumer without a group that is assigned every partition the
 * bus knew at start, positioned at the end of each before {@code subscribeAll} returns, and polled by its own
 * thread, which hands each poll's records to the listener (partition by partition, each in offset order). It
 * commits nothing. When the broker goes away the consumer reconnects by itself and goes on from its position;
 * should that position be gone (a feed that fell behind the topic's retention), it jumps to the end, and the
 * gateway sees the gap in the offsets.
 */
final class FanoutSubscription implements BusSubscription {
    private static final Logger log = LoggerFactory.getLogger(FanoutSubscription.class);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration ERROR_PAUSE = Duration.ofSeconds(1);

    private final KafkaMessageBus bus;
    private final BusListener listener;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final Counter errors;
    private final Counter listenerErrors;
    private final ThrottledLog warning = new ThrottledLog(log, java.time.Duration.ofSeconds(10));
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile boolean stopping;
    /** Whether the poll thread runs (and owns the consumer, which it closes when it ends). */
    private volatile boolean started;

    FanoutSubscription(KafkaMessageBus bus, BusListener listener, String name) {
        this.bus = bus;
        this.listener = listener;
        this.consumer = bus.newConsumer(null);
        this.errors = KafkaMessageBus.errorCounter(bus.registry(), "fanout");
        this.listenerErrors = KafkaMessageBus.errorCounter(bus.registry(), "listener");
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
    }

    /** Positions the consumer at the current end of every partition (bounded), then starts polling. */
    void start() {
        List<TopicPartition> partitions = bus.topicPartitions();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        long deadline = System.nanoTime() + bus.config().startTimeout().toNanos();
        try {
            for (TopicPartition tp : partitions) {
                consumer.position(tp, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            }
        } catch (KafkaException e) {
            // Broker unreachable: the end is resolved on the first successful poll instead.
            errors.increment();
            log.warn("fan-out feed {}: end offsets of {} not known within {} ms ({}); starting from the end as "
                    + "soon as Kafka answers", thread.getName(), bus.topic(),
                    bus.config().startTimeout().toMillis(), e.toString());
        }
        thread.start();
        started = true;
    }

    private void run() {
        try {
            while (!stopping) {
                ConsumerRecords<byte[], byte[]> polled;
                try {
                    polled = consumer.poll(POLL);
                } catch (WakeupException e) {
                    continue;
                } catch (KafkaException e) {
                    errors.increment();
                    warning.warn("fan-out feed " + thread.getName() + ": poll failed", e);
                    sleep(ERROR_PAUSE);
                    continue;
                }
                if (!polled.isEmpty() && !stopping) {
                    deliver(polled);
                }
            }
        } finally {
            try {
                consumer.close(CloseOptions.timeout(bus.config().closeTimeout()));
            } catch (RuntimeException e) {
                log.warn("fan-out feed {}: closing the consumer failed: {}", thread.getName(), e.toString());
            }
        }
    }

    private void deliver(ConsumerRecords<byte[], byte[]> polled) {
        List<RoomRecord> records = new ArrayList<>(polled.count());
        for (TopicPartition tp : polled.partitions()) {
            for (ConsumerRecord<byte[], byte[]> r : polled.records(tp)) {
                RoomRecord rec = bus.toRoomRecord(r, false);
                if (rec != null) {
                    records.add(rec);
                }
            }
        }
        if (records.isEmpty()) {
            return;
        }
        try {
            listener.onRecords(Collections.unmodifiableList(records));
        } catch (RuntimeException e) {
            listenerErrors.increment();
            warning.warn("fan-out listener failed on " + records.size() + " records", e);
        }
    }

    private void sleep(Duration pause) {
        long until = System.nanoTime() + pause.toNanos();
        while (!stopping && System.nanoTime() - until < 0) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        stopping = true;
        if (!started) {
            consumer.close(CloseOptions.timeout(bus.config().closeTimeout()));
        } else {
            consumer.wakeup();
            if (thread != Thread.currentThread()) {
                KafkaMessageBus.join(thread, bus.config().closeTimeout().multipliedBy(2));
            }
        }
        bus.forget(this);
    }
}
