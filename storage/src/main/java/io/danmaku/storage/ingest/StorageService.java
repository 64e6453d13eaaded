package io.danmaku.storage.ingest;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.bus.BusSubscription;
import io.danmaku.protocol.bus.MessageBus;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.storage.StorageConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes the room-message stream as consumer group {@link StorageConfig#group()} and appends every record to
 * its room's hot history. A batch is split by room (keeping each room's order) and the rooms are written
 * concurrently; the batch is acknowledged only when every room's append succeeded. Otherwise its stage fails,
 * the bus keeps the group's position and hands the batch over again after a backoff: nothing is lost, and
 * rooms already written skip the replayed records (appends are idempotent by offset), so nothing is doubled.
 *
 * <p>Meters: {@code danmaku.storage.records} (records written, counted once per acknowledged batch),
 * {@code danmaku.storage.write.errors} (failed batches), {@code danmaku.storage.batch.size} (records per
 * delivered batch, retries included). Write failures are also logged as a WARN at most every
 * {@value #WARN_INTERVAL_SECONDS} s.
 */
public final class StorageService implements AutoCloseable {
    static final long WARN_INTERVAL_SECONDS = 10;
    private static final Logger log = LoggerFactory.getLogger(StorageService.class);

    private final StorageConfig config;
    private final MessageBus bus;
    private final HotStore hotStore;
    private final Counter recordsWritten;
    private final Counter writeErrors;
    private final DistributionSummary batchSize;
    private final AtomicLong nextWarnNanos = new AtomicLong(System.nanoTime());
    private final AtomicLong suppressedWarnings = new AtomicLong();

    private BusSubscription subscription;
    private boolean closed;

    public StorageService(StorageConfig config, MessageBus bus, HotStore hotStore, MeterRegistry meters) {
        this.config = requireNonNull(config, "config");
        this.bus = requireNonNull(bus, "bus");
        this.hotStore = requireNonNull(hotStore, "hotStore");
        requireNonNull(meters, "meters");
        this.recordsWritten = Counter.builder("danmaku.storage.records")
                .description("Records written to the hot history")
                .baseUnit("records")
                .register(meters);
        this.writeErrors = Counter.builder("danmaku.storage.write.errors")
                .description("Batches whose write failed and will be delivered again")
                .register(meters);
        this.batchSize = DistributionSummary.builder("danmaku.storage.batch.size")
                .description("Records per batch delivered by the bus, retries included")
                .baseUnit("records")
                .register(meters);
    }

    /** Joins the consumer group and starts writing. Once only. */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("storage service closed");
        }
        if (subscription != null) {
            throw new IllegalStateException("storage service already started");
        }
        subscription = bus.subscribeGroup(config.group(), this::write);
        log.info("storage: consuming group {} into the hot history", config.group());
    }

    /** Leaves the group after the batch in progress; what was not acknowledged is delivered to the next member. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (subscription != null) {
            subscription.close();
            subscription = null;
            log.info("storage: left group {}", config.group());
        }
    }

    CompletionStage<Void> write(List<RoomRecord> batch) {
        batchSize.record(batch.size());
        Map<String, List<RoomRecord>> byRoom = new LinkedHashMap<>();
        for (RoomRecord r : batch) {
            byRoom.computeIfAbsent(r.room(), k -> new ArrayList<>()).add(r);
        }
        CompletableFuture<?>[] writes = new CompletableFuture<?>[byRoom.size()];
        int i = 0;
        for (Map.Entry<String, List<RoomRecord>> e : byRoom.entrySet()) {
            writes[i++] = append(e.getKey(), e.getValue());
        }
        return CompletableFuture.allOf(writes).whenComplete((ok, failure) -> {
            if (failure == null) {
                recordsWritten.increment(batch.size());
            } else {
                writeErrors.increment();
                warnThrottled(batch.size(), byRoom.size(), failure);
            }
        });
    }

    private CompletableFuture<Void> append(String room, List<RoomRecord> records) {
        try {
            CompletableFuture<Void> f = hotStore.appendHistory(room, records);
            return f != null ? f : CompletableFuture.failedFuture(new NullPointerException("appendHistory: null"));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void warnThrottled(int records, int rooms, Throwable failure) {
        long now = System.nanoTime();
        long next = nextWarnNanos.get();
        long after = now + TimeUnit.SECONDS.toNanos(WARN_INTERVAL_SECONDS);
        if (now - next >= 0 && nextWarnNanos.compareAndSet(next, after)) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            log.warn("storage: writing a batch of {} records in {} rooms to the hot history failed; the bus will"
                    + " deliver it again ({} similar warnings suppressed)", records, rooms,
                    suppressedWarnings.getAndSet(0), cause);
        } else {
            suppressedWarnings.incrementAndGet();
        }
    }

    @Override
    public String toString() {
        return "StorageService[group=" + config.group() + "]";
    }
}
