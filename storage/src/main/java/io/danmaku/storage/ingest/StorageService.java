package io.danmaku.storage.ingest;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.Futures;
import io.danmaku.protocol.Retraction;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.bus.BusSubscription;
import io.danmaku.protocol.bus.GroupListener;
import io.danmaku.protocol.bus.MessageBus;
import io.danmaku.protocol.bus.RewindException;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.trace.TraceMdc;
import io.danmaku.storage.StorageConfig;
import io.danmaku.storage.StorageException;
import io.danmaku.storage.archive.ArchiveReader;
import io.danmaku.storage.archive.ArchiveSink;
import io.danmaku.storage.archive.ArchiveWriter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes the room-message stream as consumer group {@link StorageConfig#group()} and writes every record to
 * its room's hot history and, when an archive is configured, to the archive (sealed segments in the archive
 * directory, or in a bucket every storage process shares: then partitions handed to another process are sealed
 * into it first, and a process that takes a partition over starts it where the bucket ends). A batch is split by room (keeping
 * each room's order) and the rooms are written to the hot store concurrently, while the whole batch is appended
 * to the archive; the batch is acknowledged only when every hot-store append and the archive append (fsync
 * included) succeeded. Otherwise its stage fails, the bus keeps the group's position and hands the batch over
 * again after a backoff: nothing is lost, and both sinks skip the records they already have (writes are
 * idempotent by offset), so nothing is doubled. A retraction ({@link Retraction}) in a batch also removes the
 * messages it names from the room's hot history and leaves a tombstone in the archive, once the records before it
 * are written; both are idempotent too.
 *
 * <p>Meters: {@code danmaku.storage.records} (records written, counted once per acknowledged batch),
 * {@code danmaku.storage.write.errors} (failed batches), {@code danmaku.storage.batch.size} (records per
 * delivered batch, retries included); the archive's own under {@code danmaku.storage.archive.*}
 * ({@link ArchiveWriter}). Write failures are also logged as a WARN at most every
 * {@value #WARN_INTERVAL_SECONDS} s, with the trace ids of the batch's first records in the MDC
 * ({@link TraceMdc#TRACE_IDS}); at DEBUG, each record of a failed batch is a line with its own trace id, and at
 * TRACE each record written.
 */
public final class StorageService implements AutoCloseable {
    static final long WARN_INTERVAL_SECONDS = 10;
    static final long RELEASE_TIMEOUT_SECONDS = 20;
    private static final Logger log = LoggerFactory.getLogger(StorageService.class);

    private final StorageConfig config;
    private final MessageBus bus;
    private final HotStore hotStore;
    /** Null when archiving is off. */
    private final ArchiveSink archive;
    /** The archive this service created from its configuration (and starts and closes), or null. */
    private final ArchiveWriter ownedArchive;
    private final Counter recordsWritten;
    private final Counter writeErrors;
    private final DistributionSummary batchSize;
    private final AtomicLong nextWarnNanos = new AtomicLong(System.nanoTime());
    private final AtomicLong suppressedWarnings = new AtomicLong();

    private BusSubscription subscription;
    private boolean closed;

    /**
     * A service that writes the hot history and, when {@link StorageConfig#archiveDir()} is set, an archive
     * there ({@link ArchiveWriter}, started by {@link #start()} and closed by {@link #close()}).
     */
    public StorageService(StorageConfig config, MessageBus bus, HotStore hotStore, MeterRegistry meters) {
        this(config, bus, hotStore, null, requireNonNull(meters, "meters"), true);
    }

    /**
     * A service that archives through {@code archive} (owned by the caller, who starts and closes it), or
     * archives nothing when it is null, whatever {@link StorageConfig#archiveDir()} says.
     */
    public StorageService(StorageConfig config, MessageBus bus, HotStore hotStore, ArchiveSink archive,
                          MeterRegistry meters) {
        this(config, bus, hotStore, archive, meters, false);
    }

    private StorageService(StorageConfig config, MessageBus bus, HotStore hotStore, ArchiveSink archive,
                           MeterRegistry meters, boolean archiveFromConfig) {
        this.config = requireNonNull(config, "config");
        this.bus = requireNonNull(bus, "bus");
        this.hotStore = requireNonNull(hotStore, "hotStore");
        requireNonNull(meters, "meters");
        if (archiveFromConfig && config.archiveEnabled()) {
            this.ownedArchive = ArchiveWriter.create(config, bus, Clock.systemUTC(), meters);
            this.archive = ownedArchive;
        } else {
            this.ownedArchive = null;
            this.archive = archive;
        }
        this.recordsWritten = Counter.builder("danmaku.storage.records")
                .description("Records written to the hot history (and the archive, when configured)")
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
        if (ownedArchive != null) {
            // recovery first, so the first batch finds the archive consistent and the history API sees all of it
            try {
                ownedArchive.start().join();
            } catch (CompletionException e) {
                ownedArchive.close();
                closed = true;
                throw new StorageException("storage: cannot open the archive under " + ownedArchive.root() + ": "
                        + e.getCause().getMessage(), e.getCause(), false);
            }
        }
        subscription = bus.subscribeGroup(config.group(), new GroupListener() {
            @Override
            public CompletionStage<Void> onRecords(List<RoomRecord> records) {
                return write(records);
            }

            @Override
            public void onStreamsRevoked(Set<String> streams, boolean lost) {
                release(streams, lost);
            }
        });
        log.info("storage: consuming group {} into the hot history{}", config.group(),
                archive == null ? "" : ownedArchive != null ? " and the archive in " + ownedArchive.store().describe()
                        : " and the archive");
    }

    /**
     * Reads of the archive this service writes, for the history API: present when the archive is an
     * {@link ArchiveWriter} (configured or passed in).
     */
    public Optional<ArchiveReader> archiveReader() {
        return archive instanceof ArchiveWriter w ? Optional.of(w.reader()) : Optional.empty();
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
        if (ownedArchive != null) {
            ownedArchive.close();
        }
    }

    CompletionStage<Void> write(List<RoomRecord> batch) {
        batchSize.record(batch.size());
        Map<String, List<RoomRecord>> byRoom = new LinkedHashMap<>();
        for (RoomRecord r : batch) {
            byRoom.computeIfAbsent(r.room(), k -> new ArrayList<>()).add(r);
        }
        CompletableFuture<?>[] writes = new CompletableFuture<?>[byRoom.size() + (archive == null ? 0 : 1)];
        int i = 0;
        if (archive != null) {
            writes[i++] = archive(batch);
        }
        for (Map.Entry<String, List<RoomRecord>> e : byRoom.entrySet()) {
            writes[i++] = append(e.getKey(), e.getValue());
        }
        return CompletableFuture.allOf(writes).whenComplete((ok, failure) -> {
            if (failure == null) {
                recordsWritten.increment(batch.size());
                if (log.isTraceEnabled()) {
                    for (RoomRecord r : batch) {
                        try (TraceMdc.Scope ignored = TraceMdc.put(r.traceId())) {
                            log.trace("storage: wrote room {} offset {}", r.room(), r.offset());
                        }
                    }
                }
            } else if (Futures.unwrap(failure) instanceof RewindException) {
                log.debug("storage: the archive asked for earlier records: {}", Futures.unwrap(failure).getMessage());
            } else {
                writeErrors.increment();
                Throwable cause = Futures.unwrap(failure);
                warnThrottled(batch, byRoom.size(), cause);
                if (log.isDebugEnabled()) {
                    for (RoomRecord r : batch) {
                        try (TraceMdc.Scope ignored = TraceMdc.put(r.traceId())) {
                            log.debug("storage: room {} offset {} not written yet, will be delivered again: {}",
                                    r.room(), r.offset(), cause.toString());
                        }
                    }
                }
            }
        });
    }

    /**
     * Partitions move to another storage process: with a shared archive, the streams' open segments are sealed
     * into it first (unless the membership was lost) and this process forgets them. Bounded by
     * {@value #RELEASE_TIMEOUT_SECONDS} s, since the rebalance waits; what is not sealed by then is read again by
     * the next owner.
     */
    void release(Set<String> streams, boolean lost) {
        if (!(archive instanceof ArchiveWriter writer)) {
            return;
        }
        try {
            writer.release(streams, !lost).get(RELEASE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("storage: handing over {} did not finish; the next owner reads them again from the bus",
                    streams, Futures.unwrap(e));
        }
    }

    /**
     * Appends a room's records to its hot history, then removes what the retractions among them name (the
     * messages precede their retraction in the stream, so they were appended by now, in this batch or before).
     */
    private CompletableFuture<Void> append(String room, List<RoomRecord> records) {
        try {
            CompletableFuture<Void> f = hotStore.appendHistory(room, records);
            if (f == null) {
                return CompletableFuture.failedFuture(new NullPointerException("appendHistory: null"));
            }
            List<String> retracted = new ArrayList<>();
            for (RoomRecord r : records) {
                retracted.addAll(Retraction.ids(r.payload()));
            }
            if (retracted.isEmpty()) {
                return f;
            }
            return f.thenCompose(v -> hotStore.retract(room, retracted)).thenApply(n -> {
                log.debug("storage: retraction of {} messages in room {} removed {} from the hot history",
                        retracted.size(), room, n);
                return null;
            });
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Appends the batch to the archive, then writes a tombstone per retraction in it. */
    private CompletableFuture<Void> archive(List<RoomRecord> batch) {
        try {
            CompletableFuture<Void> f = archive.append(batch);
            if (f == null) {
                return CompletableFuture.failedFuture(new NullPointerException("archive append: null"));
            }
            List<RoomRecord> retractions = new ArrayList<>();
            for (RoomRecord r : batch) {
                if (Retraction.isRetraction(r.payload())) {
                    retractions.add(r);
                }
            }
            return retractions.isEmpty() ? f : f.thenCompose(v -> archive.retract(retractions));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void warnThrottled(List<RoomRecord> batch, int rooms, Throwable cause) {
        long now = System.nanoTime();
        long next = nextWarnNanos.get();
        long after = now + TimeUnit.SECONDS.toNanos(WARN_INTERVAL_SECONDS);
        if (now - next >= 0 && nextWarnNanos.compareAndSet(next, after)) {
            try (TraceMdc.Scope ignored = TraceMdc.putAll(batch, RoomRecord::traceId)) {
                log.warn("storage: writing a batch of {} records in {} rooms failed; the bus will deliver it again"
                        + " ({} similar warnings suppressed)", batch.size(), rooms,
                        suppressedWarnings.getAndSet(0), cause);
            }
        } else {
            suppressedWarnings.incrementAndGet();
        }
    }

    @Override
    public String toString() {
        return "StorageService[group=" + config.group() + ", archive=" + (archive == null ? "off" : archive) + "]";
    }
}
