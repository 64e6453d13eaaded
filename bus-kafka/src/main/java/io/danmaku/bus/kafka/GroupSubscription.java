package io.danmaku.bus.kafka;

import io.danmaku.protocol.Futures;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.bus.BusSubscription;
import io.danmaku.protocol.bus.GroupListener;
import io.danmaku.protocol.bus.RewindException;
import io.danmaku.protocol.logging.ThrottledLog;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link KafkaMessageBus#subscribeGroup} member: a consumer in group {@code group} (subscribed to the topic,
 * so it also gets partitions added later), without auto-commit, polled by its own thread.
 *
 * <p>Each poll's records are one batch. While the listener's stage for it is pending, every assigned partition
 * is paused and the consumer keeps polling with a zero timeout between short waits, so heartbeats, rebalances
 * and {@code max.poll.interval.ms} stay healthy however long the writes take. On success the batch's next
 * offsets are committed synchronously (a commit that fails for a transient reason is retried with the next
 * one). On failure each partition of the batch is sought back to the batch's first offset and, after a backoff
 * of 50 ms doubling up to 2 s, polled again: the same records come again, possibly with more behind them.
 * Nothing is lost; duplicates are possible, so writes must be idempotent by (room, offset).
 *
 * <p>Rebalances: partitions revoked or lost while a batch is pending are dropped from it (their offsets are not
 * committed; the new owner reads them again from the last commit); partitions assigned meanwhile are paused
 * until the batch is done. The listener is told of revoked and lost partitions (as streams) after their pending
 * offsets are dropped. A batch whose stage fails with a {@link RewindException} starts again at once, its named
 * partitions further back. {@link #close()} waits for the pending batch (at most the close timeout; a batch
 * still pending then is abandoned uncommitted) and leaves the group.
 */
final class GroupSubscription implements BusSubscription {
    private static final Logger log = LoggerFactory.getLogger(GroupSubscription.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration WAIT_SLICE = Duration.ofMillis(100);
    private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration ERROR_PAUSE = Duration.ofSeconds(1);
    private static final long BACKOFF_START_MILLIS = 50;
    private static final long BACKOFF_MAX_MILLIS = 2000;
    /** The stage of a batch that was still pending when the subscription had to stop. */
    private static final Throwable ABANDONED = new Throwable("abandoned at close", null, false, false) {
    };

    private final KafkaMessageBus bus;
    private final String group;
    private final GroupListener listener;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final Counter errors;
    private final Counter commitErrors;
    private final Counter listenerErrors;
    private final ThrottledLog warning = new ThrottledLog(log, java.time.Duration.ofSeconds(10));
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile boolean stopping;
    private volatile long lag;

    // Poll-thread state.
    /** True while a batch is pending or backing off: every assigned partition stays paused. */
    private boolean holding;
    /** Partitions of the pending batch that this member still owns. */
    private final Set<TopicPartition> inFlight = new HashSet<>();
    /** Offsets of successful batches whose commit failed, committed with the next batch. */
    private final Map<TopicPartition, OffsetAndMetadata> uncommitted = new HashMap<>();
    private long backoffMillis = BACKOFF_START_MILLIS;

    GroupSubscription(KafkaMessageBus bus, String group, GroupListener listener, String name) {
        this.bus = bus;
        this.group = group;
        this.listener = listener;
        this.consumer = bus.newConsumer(group);
        this.errors = KafkaMessageBus.errorCounter(bus.registry(), "group");
        this.commitErrors = KafkaMessageBus.errorCounter(bus.registry(), "commit");
        this.listenerErrors = KafkaMessageBus.errorCounter(bus.registry(), "listener");
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
    }

    String group() {
        return group;
    }

    /** Records behind the end of the assigned partitions at the last poll (0 when unknown or none assigned). */
    long lag() {
        return lag;
    }

    void start() {
        thread.start();
    }

    private void run() {
        try {
            consumer.subscribe(List.of(bus.topic()), new Rebalances());
            while (!stopping) {
                if (!uncommitted.isEmpty()) {
                    commit(Map.of());
                }
                ConsumerRecords<byte[], byte[]> polled;
                try {
                    polled = consumer.poll(POLL);
                } catch (KafkaException e) {
                    errors.increment();
                    warning.warn("group " + group + ": poll failed", e);
                    pause(ERROR_PAUSE.toMillis());
                    continue;
                }
                updateLag();
                if (!polled.isEmpty()) {
                    handle(polled);
                }
            }
        } catch (RuntimeException e) {
            errors.increment();
            log.error("group {}: subscription {} stopped by an unexpected error", group, thread.getName(), e);
        } finally {
            try {
                consumer.close(CloseOptions.timeout(bus.config().closeTimeout()));
            } catch (RuntimeException e) {
                log.warn("group {}: closing the consumer failed: {}", group, e.toString());
            }
            lag = 0;
        }
    }

    private void handle(ConsumerRecords<byte[], byte[]> polled) {
        Map<TopicPartition, Long> first = new HashMap<>();
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        List<RoomRecord> records = new ArrayList<>(polled.count());
        for (TopicPartition tp : polled.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> part = polled.records(tp);
            first.put(tp, part.get(0).offset());
            next.put(tp, new OffsetAndMetadata(part.get(part.size() - 1).offset() + 1));
            for (ConsumerRecord<byte[], byte[]> r : part) {
                RoomRecord rec = bus.toRoomRecord(r, true);
                if (rec != null) {
                    records.add(rec);
                }
            }
        }
        inFlight.clear();
        inFlight.addAll(polled.partitions());
        holding = true;
        consumer.pause(consumer.assignment());
        try {
            Throwable failure = records.isEmpty() ? null : deliver(Collections.unmodifiableList(records));
            if (failure == ABANDONED) {
                return;
            }
            if (failure == null) {
                next.keySet().retainAll(inFlight);
                commit(next);
                backoffMillis = BACKOFF_START_MILLIS;
                return;
            }
            if (Futures.unwrap(failure) instanceof RewindException rewind) {
                rewind(rewind, first);
                return;
            }
            listenerErrors.increment();
            warning.warn("group " + group + ": listener failed on " + records.size() + " records; retrying in "
                    + backoffMillis + " ms", failure);
            for (TopicPartition tp : inFlight) {
                consumer.seek(tp, first.get(tp));
            }
            inFlight.clear();
            pause(backoffMillis);
            backoffMillis = Math.min(backoffMillis * 2, BACKOFF_MAX_MILLIS);
        } finally {
            inFlight.clear();
            holding = false;
            if (!stopping) {
                consumer.resume(consumer.assignment());
            }
        }
    }

    /**
     * The listener asked for earlier records of some streams: every partition of the batch this member still
     * owns starts again at its batch's first offset, or further back where the listener named its stream (a
     * bus offset is the Kafka offset plus one). No backoff: the records wanted are already there.
     */
    private void rewind(RewindException rewind, Map<TopicPartition, Long> first) {
        for (TopicPartition tp : inFlight) {
            long at = first.get(tp);
            Long from = rewind.from().get(bus.streamOf(tp.partition()));
            if (from != null) {
                at = Math.min(at, Math.max(0, from - 1));
                log.info("group {}: partition {} starts again at offset {} (the archive ends before the batch)",
                        group, tp, at);
            }
            consumer.seek(tp, at);
        }
        inFlight.clear();
    }

    /**
     * Hands the batch over and waits for its stage, keeping the membership alive; returns the failure, null on
     * success, or {@link #ABANDONED} when the subscription stops and the stage is still pending after the close
     * timeout.
     */
    private Throwable deliver(List<RoomRecord> records) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            CompletionStage<Void> stage = listener.onRecords(records);
            if (stage == null) {
                return new NullPointerException("group listener returned no stage");
            }
            stage.whenComplete((v, e) -> {
                if (e == null) {
                    done.complete(null);
                } else {
                    done.completeExceptionally(e);
                }
            });
        } catch (RuntimeException e) {
            return e;
        }
        long giveUpAt = 0;
        while (true) {
            try {
                done.get(WAIT_SLICE.toMillis(), TimeUnit.MILLISECONDS);
                return null;
            } catch (ExecutionException e) {
                return e.getCause() == null ? e : e.getCause();
            } catch (TimeoutException e) {
                // Still pending: keep the membership alive below.
            } catch (InterruptedException e) {
                return ABANDONED;
            }
            if (stopping) {
                long now = System.nanoTime();
                if (giveUpAt == 0) {
                    giveUpAt = now + bus.config().closeTimeout().toNanos();
                } else if (now - giveUpAt > 0) {
                    log.warn("group {}: {} stopped while its batch of {} records was still being written; the "
                            + "batch is not committed and will be delivered again", group, thread.getName(),
                            records.size());
                    return ABANDONED;
                }
            }
            keepAlive();
        }
    }

    /** Polls without waiting while every partition is paused: heartbeats, rebalances, no records. */
    private void keepAlive() {
        ConsumerRecords<byte[], byte[]> stray;
        try {
            stray = consumer.poll(Duration.ZERO);
        } catch (KafkaException e) {
            errors.increment();
            warning.warn("group " + group + ": poll failed", e);
            return;
        }
        updateLag();
        // Paused partitions return nothing; should records come anyway, put them back for the next batch.
        for (TopicPartition tp : stray.partitions()) {
            consumer.seek(tp, stray.records(tp).get(0).offset());
        }
    }

    /** Waits {@code millis} (less when stopping) while keeping the membership alive. */
    private void pause(long millis) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!stopping && System.nanoTime() - until < 0) {
            keepAlive();
            try {
                Thread.sleep(Math.min(20, Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime()))));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Commits {@code offsets} and any earlier offsets whose commit failed. */
    private void commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        Map<TopicPartition, OffsetAndMetadata> all = new HashMap<>(uncommitted);
        all.putAll(offsets);
        all.keySet().retainAll(consumer.assignment());
        uncommitted.clear();
        if (all.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(all, COMMIT_TIMEOUT);
        } catch (org.apache.kafka.clients.consumer.CommitFailedException
                 | org.apache.kafka.common.errors.RebalanceInProgressException e) {
            // The partitions moved on; their new owner reads from the last commit (duplicates, nothing lost).
            commitErrors.increment();
            warning.warn("group " + group + ": commit lost to a rebalance", e);
        } catch (KafkaException e) {
            commitErrors.increment();
            warning.warn("group " + group + ": commit failed; retrying with the next one", e);
            uncommitted.putAll(all);
        }
    }

    private void updateLag() {
        long sum = 0;
        for (TopicPartition tp : consumer.assignment()) {
            sum += consumer.currentLag(tp).orElse(0);
        }
        lag = sum;
    }

    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        stopping = true;
        if (thread != Thread.currentThread()) {
            Duration bound = bus.config().closeTimeout().multipliedBy(2).plus(COMMIT_TIMEOUT);
            KafkaMessageBus.join(thread, bound);
        }
        bus.forget(this);
    }

    /** Runs inside {@code poll} on the poll thread. */
    private final class Rebalances implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>(uncommitted);
            done.keySet().retainAll(partitions);
            if (!done.isEmpty()) {
                try {
                    consumer.commitSync(done, COMMIT_TIMEOUT);
                } catch (KafkaException e) {
                    commitErrors.increment();
                    warning.warn("group " + group + ": commit before giving up partitions failed", e);
                }
            }
            drop(partitions);
            tell(partitions, false);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            drop(partitions);
            tell(partitions, true);
        }

        private void tell(Collection<TopicPartition> partitions, boolean lost) {
            if (partitions.isEmpty()) {
                return;
            }
            Set<String> streams = new HashSet<>();
            for (TopicPartition tp : partitions) {
                streams.add(bus.streamOf(tp.partition()));
            }
            try {
                listener.onStreamsRevoked(Collections.unmodifiableSet(streams), lost);
            } catch (RuntimeException e) {
                listenerErrors.increment();
                warning.warn("group " + group + ": listener failed on giving up " + streams, e);
            }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (holding) {
                consumer.pause(partitions);
            }
            log.debug("group {}: {} assigned {}", group, thread.getName(), partitions);
        }

        private void drop(Collection<TopicPartition> partitions) {
            inFlight.removeAll(partitions);
            uncommitted.keySet().removeAll(partitions);
        }
    }
}
