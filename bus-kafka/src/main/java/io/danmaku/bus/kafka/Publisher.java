package io.danmaku.bus.kafka;

import io.danmaku.protocol.logging.ThrottledLog;

import io.danmaku.protocol.bus.BusMessage;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.bus.BusUnavailableException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The publishing half of {@link KafkaMessageBus}.
 *
 * <p>{@code KafkaProducer.send} may block the calling thread (up to {@code max.block.ms}) while it fetches
 * metadata or waits for buffer space, so callers never call it: {@link #publish} only puts the batch in a
 * bounded queue (full: fails at once with {@link BusUnavailableException}) and returns. One sender thread
 * takes batches in order and sends their records, each to the partition {@link RoomPartitioner} computes, so
 * the per-room order of publishes is the order of the records in the partition (idempotent producer, at most 5
 * requests in flight). The producer's callbacks count the acknowledgements; the batch's future is completed on
 * a separate completion thread (never on the producer's network thread), which also fails batches whose
 * deadline passed. A batch that waited in the queue past its deadline is not sent at all.
 */
final class Publisher {
    private static final Logger log = LoggerFactory.getLogger(Publisher.class);
    private static final Duration SENDER_POLL = Duration.ofMillis(100);

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final int partitions;
    private final String[] epochs;
    private final Duration timeout;
    private final Duration closeTimeout;
    private final BlockingQueue<PendingBatch> queue;
    private final Set<PendingBatch> outstanding = ConcurrentHashMap.newKeySet();
    private final ScheduledThreadPoolExecutor completer;
    private final Thread sender;
    private final Timer published;
    private final Timer failed;
    private final Counter errors;
    private final ThrottledLog warning = new ThrottledLog(log, java.time.Duration.ofSeconds(10));
    private volatile boolean closed;

    Publisher(Producer<byte[], byte[]> producer, String topic, String[] epochs, KafkaBusConfig config,
            MeterRegistry registry) {
        this.producer = producer;
        this.topic = topic;
        this.partitions = epochs.length;
        this.epochs = epochs.clone();
        this.timeout = config.publishTimeout();
        this.closeTimeout = config.closeTimeout();
        this.queue = new ArrayBlockingQueue<>(config.publishQueueCapacity());
        this.completer = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "danmaku-kafka-publish-complete"));
        completer.setRemoveOnCancelPolicy(true);
        completer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.published = Timer.builder("danmaku.bus.kafka.publish").tag("outcome", "ok")
                .description("Publish of a batch until Kafka acknowledged every message").register(registry);
        this.failed = Timer.builder("danmaku.bus.kafka.publish").tag("outcome", "unavailable")
                .description("Publish of a batch until Kafka acknowledged every message").register(registry);
        this.errors = KafkaMessageBus.errorCounter(registry, "publish");
        this.sender = daemon(this::sendLoop, "danmaku-kafka-send");
        sender.start();
    }

    CompletableFuture<List<BusPosition>> publish(List<BusMessage> batch) {
        if (batch.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        PendingBatch pending = new PendingBatch(List.copyOf(batch));
        if (closed) {
            pending.fail(BusUnavailableException.notPublished("Kafka bus closed"));
            return pending.result;
        }
        outstanding.add(pending);
        try {
            pending.deadline = completer.schedule(() -> pending.fail(new BusUnavailableException(
                    "Kafka did not acknowledge " + pending.messages.size() + " messages within "
                            + timeout.toMillis() + " ms")), timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            pending.fail(BusUnavailableException.notPublished("Kafka bus closed"));
            return pending.result;
        }
        if (!queue.offer(pending)) {
            pending.fail(BusUnavailableException.notPublished("Kafka publish queue full (" + queue.size()
                    + " batches)"));
        } else if (closed && queue.remove(pending)) {
            pending.fail(BusUnavailableException.notPublished("Kafka bus closed"));
        }
        return pending.result;
    }

    /**
     * Stops accepting, fails the queued batches, flushes what was sent (bounded by the close timeout), then
     * fails whatever is still unacknowledged.
     */
    void close() {
        closed = true;
        join(sender);
        failQueued();
        try {
            producer.close(closeTimeout);
        } catch (RuntimeException e) {
            log.warn("closing the Kafka producer failed: {}", e.toString());
        }
        completer.shutdown();
        try {
            completer.awaitTermination(closeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (PendingBatch p : List.copyOf(outstanding)) {
            p.fail(new BusUnavailableException("Kafka bus closed before the publish was acknowledged"));
        }
    }

    private void sendLoop() {
        while (true) {
            PendingBatch pending;
            try {
                pending = queue.poll(SENDER_POLL.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                pending = null;
            }
            if (pending == null) {
                if (closed) {
                    return;
                }
                continue;
            }
            if (!pending.result.isDone()) {
                send(pending);
            }
        }
    }

    private void send(PendingBatch pending) {
        List<BusMessage> messages = pending.messages;
        for (int i = 0; i < messages.size(); i++) {
            if (pending.result.isDone()) {
                return;
            }
            BusMessage m = messages.get(i);
            byte[] key = m.room().getBytes(StandardCharsets.UTF_8);
            int partition = RoomPartitioner.partition(key, partitions);
            ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, partition, null, key, m.payload(),
                    headers(m));
            int index = i;
            try {
                producer.send(record, (metadata, error) -> pending.acknowledged(index, partition, metadata, error));
            } catch (RuntimeException e) {
                pending.acknowledged(index, partition, null, e);
                return;
            }
        }
    }

    private static List<Header> headers(BusMessage m) {
        Header schema = new RecordHeader(KafkaMessageBus.HEADER_SCHEMA, KafkaMessageBus.SCHEMA_BYTES);
        String id = MessageIds.find(m.payload());
        Header idHeader = id == null ? null
                : new RecordHeader(KafkaMessageBus.HEADER_ID, id.getBytes(StandardCharsets.UTF_8));
        Header trace = m.traceId() == null ? null
                : new RecordHeader(KafkaMessageBus.HEADER_TRACE_ID, m.traceId().toAscii());
        if (trace == null) {
            return idHeader == null ? List.of(schema) : List.of(idHeader, schema);
        }
        return idHeader == null ? List.of(schema, trace) : List.of(idHeader, schema, trace);
    }

    private void failQueued() {
        List<PendingBatch> left = new ArrayList<>();
        queue.drainTo(left);
        for (PendingBatch p : left) {
            p.fail(BusUnavailableException.notPublished("Kafka bus closed"));
        }
    }

    /** Runs {@code task} on the completion thread, or here once that thread is gone (after close). */
    private void onCompleter(Runnable task) {
        try {
            completer.execute(task);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    private void join(Thread thread) {
        try {
            thread.join(closeTimeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("{} did not stop within {} ms", thread.getName(), closeTimeout.toMillis());
        }
    }

    private static Thread daemon(Runnable task, String name) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        return t;
    }

    /** One publish call: its messages, their positions as they are acknowledged, and the caller's future. */
    private final class PendingBatch {
        final List<BusMessage> messages;
        final BusPosition[] positions;
        final AtomicInteger unacknowledged;
        final CompletableFuture<List<BusPosition>> result = new CompletableFuture<>();
        final long startNanos = System.nanoTime();
        volatile Future<?> deadline;

        PendingBatch(List<BusMessage> messages) {
            this.messages = messages;
            this.positions = new BusPosition[messages.size()];
            this.unacknowledged = new AtomicInteger(messages.size());
        }

        /** A producer callback (network thread) or a failed send (sender thread). */
        void acknowledged(int index, int partition, RecordMetadata metadata, Exception error) {
            if (error != null) {
                onCompleter(() -> fail(new BusUnavailableException("Kafka publish failed: " + error, error)));
                return;
            }
            positions[index] = new BusPosition(messages.get(index).room(), KafkaMessageBus.position(metadata.offset()),
                    epochs[partition]);
            if (unacknowledged.decrementAndGet() == 0) {
                onCompleter(this::succeed);
            }
        }

        void succeed() {
            if (result.complete(List.copyOf(Arrays.asList(positions)))) {
                finish(published);
            }
        }

        void fail(BusUnavailableException e) {
            if (result.completeExceptionally(e)) {
                errors.increment();
                warning.warn("publish of " + messages.size() + " messages to Kafka failed", e);
                finish(failed);
            }
        }

        private void finish(Timer timer) {
            timer.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
            outstanding.remove(this);
            Future<?> d = deadline;
            if (d != null) {
                d.cancel(false);
            }
        }
    }
}
