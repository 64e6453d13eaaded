package io.danmaku.storage.archive;

import static java.util.Objects.requireNonNull;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.bus.MessageBus;
import io.danmaku.protocol.bus.RewindException;
import io.danmaku.storage.StorageConfig;
import io.danmaku.storage.StorageException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends every record the storage tier consumes to compressed NDJSON segments, one directory per stream of
 * the bus: {@code <root>/<stream>/<firstOffset>.ndjson.zst}, where {@code <stream>} is
 * {@link MessageBus#streamOf} of the record (offsets strictly increase within it) and each line is an
 * {@link ArchiveLine}.
 *
 * <p><b>Segments.</b> A stream has at most one open segment, {@code <firstOffset>.ndjson.open}, written
 * uncompressed. A batch is acknowledged only after the open segments it touched were fsync'ed. A segment is
 * rolled before its uncompressed size would exceed {@code segmentMaxBytes} and once it has been open
 * {@code segmentMaxAge} (checked on every write and by a periodic task): its file is compressed (zstd, with a
 * content checksum) to {@code <firstOffset>.ndjson.zst.tmp}, fsync'ed and renamed to
 * {@code <firstOffset>.ndjson.zst}; then the index {@code <firstOffset>.idx} ({@link SegmentIndex}) is written
 * the same way, the directory fsync'ed and the open file deleted.
 *
 * <p><b>Crash safety and exactly once.</b> A crash at any point leaves, for each segment, the open file, the
 * final file, or both. Recovery, when the writer starts and before the first write to a stream it has not
 * seen, deletes {@code .tmp} files, prefers a final file over an open file of the same segment (deleting the
 * open one), rebuilds a missing index from its segment, truncates a torn or corrupt tail of the open file back
 * to its last complete line (and fsyncs it), and takes the stream's last archived offset from the newest
 * segment. A record at or below that offset is skipped, so a batch delivered again after a crash is a no-op and
 * the concatenation of a stream's segments holds every offset once, in order. An unreadable final segment is
 * renamed {@code .corrupt} and logged as an error.
 *
 * <p><b>Epochs.</b> A record of another epoch than the stream's archived records (the topic was deleted and
 * created again, its offsets start over) rolls the open segment and moves the stream's directory aside to
 * {@code <stream>.epoch-<old epoch>}; the stream starts anew. Streams that carry the epoch in their name (the
 * memory bus's) never do this.
 *
 * <p><b>Where sealed segments go.</b> A roll hands the compressed file and its index to an {@link ArchiveStore}:
 * the {@link LocalArchiveStore} renames it into place as described above; a shared store (an S3 bucket) gets a
 * copy, and the local directory then only holds open segments. With a shared store, a stream's state comes from
 * the store: its last offset is the newest sealed segment's, and a local open segment is kept only when it
 * continues exactly there. A batch that starts after that point is handed back with a {@link RewindException}
 * (once per position) so the bus delivers the stream from there: records a process that died had consumed but
 * not sealed are read again, and each offset lands in exactly one sealed segment. {@link #release} seals
 * (or just drops) the streams this process stops consuming. Reads list the store again when their listing is
 * older than its refresh interval. With a retention, sealed segments older than it are deleted from the store
 * (never the newest of a stream) every tenth of it.
 *
 * <p><b>One writer per directory.</b> A started writer holds a lock on {@code <root>/.lock}; a second writer
 * (another process, or another instance in this one) fails to start. At most {@value #MAX_OPEN_FILES} open
 * segment files stay open between batches (the least recently written are closed and opened again when
 * needed), so thousands of streams (a room each, on the memory bus) do not need a descriptor each.
 *
 * <p><b>Threads.</b> All file I/O runs on one dedicated thread ({@code danmaku-archive-io}); the methods only
 * enqueue work and return futures, which complete on that thread. The segments are listed in a catalog that
 * {@link #reader()} reads from other threads.
 *
 * <p>Meters: {@code danmaku.storage.archive.records} (records archived), {@code .skipped} (records already
 * archived, i.e. redelivered), {@code .bytes} (uncompressed bytes written), {@code .compressed.bytes},
 * {@code .rolls} (tag {@code reason}: size, age, epoch, recovery), {@code .write.errors},
 * {@code .truncated.bytes} (torn tails removed by recovery), {@code .write} (timer of a batch, fsync
 * included), {@code .segments} (gauge: segments in the catalog), {@code .pruned} (sealed segments deleted by the
 * retention), {@code .rewinds} (batches handed back to start a stream where the shared store ends).
 */
public final class ArchiveWriter implements ArchiveSink, AutoCloseable {
    public static final int COMPRESSION_LEVEL = 3;
    static final String OPEN_SUFFIX = ".ndjson.open";
    static final String FINAL_SUFFIX = ".ndjson.zst";
    static final String INDEX_SUFFIX = ".idx";
    static final String TMP_SUFFIX = ".tmp";
    static final String CORRUPT_SUFFIX = ".corrupt";
    static final String LOCK_FILE = ".lock";
    static final long CLOSE_TIMEOUT_SECONDS = 30;
    private static final Duration MAX_TICK = Duration.ofSeconds(30);
    private static final Duration MIN_TICK = Duration.ofMillis(50);
    private static final Duration MIN_PRUNE_INTERVAL = Duration.ofSeconds(1);
    private static final Duration MAX_PRUNE_INTERVAL = Duration.ofMinutes(10);
    /** Pending bytes of an open segment are written to its file once they reach this. */
    private static final int FLUSH_BYTES = 256 * 1024;
    /** At most this many open segment files are kept open between batches. */
    static final int MAX_OPEN_FILES = 256;
    private static final int COPY_BUFFER = 64 * 1024;
    private static final Pattern SEGMENT_FILE = Pattern.compile("(\\d{1,18})(\\.ndjson\\.open|\\.ndjson\\.zst|\\.idx)");
    private static final Pattern TMP_FILE = Pattern.compile("\\d{1,18}(\\.ndjson\\.zst|\\.idx)\\.tmp");
    private static final Pattern STREAM_PART = Pattern.compile("[A-Za-z0-9_.:=-]{1,255}");
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();
    private static final Logger log = LoggerFactory.getLogger(ArchiveWriter.class);

    private enum Kind { OPEN, FINAL, INDEX }

    private final Path root;
    private final ArchiveStore store;
    /** Whether sealed segments go to a store shared with other storage processes (the bucket). */
    private final boolean shared;
    /** Sealed segments older than this are deleted; zero = kept for good. */
    private final Duration retention;
    private final long segmentMaxBytes;
    private final Duration segmentMaxAge;
    private final Function<RoomRecord, String> streamOf;
    private final Clock clock;
    private final ScheduledThreadPoolExecutor io;
    private final SegmentCatalog catalog = new SegmentCatalog();
    private final ArchiveReader reader;
    private final Tombstones tombstones;
    /** Streams by name; io thread only. */
    private final Map<String, StreamState> streams = new HashMap<>();
    /** Streams whose open segment file is open, least recently written first; io thread only. */
    private final LinkedHashMap<String, StreamState> openFiles = new LinkedHashMap<>(16, 0.75f, true);
    private final MeterRegistry meters;
    private final Counter recordsArchived;
    private final Counter recordsSkipped;
    private final Counter bytesWritten;
    private final Counter compressedBytes;
    private final Counter writeErrors;
    private final Counter truncatedBytes;
    private final Counter pruned;
    private final Counter rewinds;
    private final Timer writeTimer;
    private final Gauge segmentsGauge;
    /** How often a history read lists the shared store again, at most. */
    private final Duration refreshInterval;
    private final Object refreshLock = new Object();
    private volatile boolean refreshed;
    private volatile long refreshedAt;
    private volatile long nextRefreshWarn = System.nanoTime();
    /** io thread only. */
    private boolean started;
    /** The lock on {@value #LOCK_FILE} while started; io thread only. */
    private FileLock rootLock;
    private volatile boolean closed;

    /**
     * @param root the archive's root directory (created if absent)
     * @param segmentMaxBytes roll a segment before its uncompressed size would exceed this
     * @param segmentMaxAge roll a segment once it has been open this long
     * @param streamOf the stream of a record, a relative path ({@link MessageBus#streamOf})
     * @param clock time of segment ages
     */
    public ArchiveWriter(Path root, long segmentMaxBytes, Duration segmentMaxAge,
                         Function<RoomRecord, String> streamOf, Clock clock, MeterRegistry meters) {
        this(root, null, Duration.ZERO, segmentMaxBytes, segmentMaxAge, streamOf, clock, meters);
    }

    /**
     * @param root the directory of open segments (and, with the local store, of sealed ones too)
     * @param store where sealed segments go; null = {@link LocalArchiveStore} on {@code root}. The writer closes it.
     * @param retention sealed segments whose newest record is older than this are deleted (never the newest of a
     *     stream); zero = kept for good
     */
    public ArchiveWriter(Path root, ArchiveStore store, Duration retention, long segmentMaxBytes,
                         Duration segmentMaxAge, Function<RoomRecord, String> streamOf, Clock clock,
                         MeterRegistry meters) {
        this.root = requireNonNull(root, "root").toAbsolutePath().normalize();
        this.store = store != null ? store : new LocalArchiveStore(this.root);
        if (!this.store.shared() && this.store instanceof LocalArchiveStore local && !local.root().equals(this.root)) {
            throw new IllegalArgumentException("store: " + local.root() + " (expected: the archive root " + this.root
                    + ")");
        }
        this.shared = this.store.shared();
        this.refreshInterval = this.store instanceof S3ArchiveStore s3 ? s3.config().refreshInterval()
                : S3ArchiveConfig.DEFAULT_REFRESH_INTERVAL;
        this.retention = requireNonNull(retention, "retention");
        if (retention.isNegative()) {
            throw new IllegalArgumentException("retention: " + retention + " (expected: >= 0)");
        }
        if (segmentMaxBytes < 1) {
            throw new IllegalArgumentException("segmentMaxBytes: " + segmentMaxBytes + " (expected: >= 1)");
        }
        this.segmentMaxBytes = segmentMaxBytes;
        this.segmentMaxAge = requireNonNull(segmentMaxAge, "segmentMaxAge");
        if (segmentMaxAge.isNegative() || segmentMaxAge.isZero()) {
            throw new IllegalArgumentException("segmentMaxAge: " + segmentMaxAge + " (expected: > 0)");
        }
        this.streamOf = requireNonNull(streamOf, "streamOf");
        this.clock = requireNonNull(clock, "clock");
        this.meters = requireNonNull(meters, "meters");
        this.io = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "danmaku-archive-io-" + THREAD_IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.io.setRemoveOnCancelPolicy(true);
        this.tombstones = new Tombstones(this.store, shared ? refreshInterval : null);
        this.reader = new ArchiveReader(catalog, this.store, shared ? this::refreshIfStale : null, tombstones);
        this.recordsArchived = Counter.builder("danmaku.storage.archive.records")
                .description("Records appended to the archive").baseUnit("records").register(meters);
        this.recordsSkipped = Counter.builder("danmaku.storage.archive.skipped")
                .description("Records not appended because the archive already had them (redeliveries)")
                .baseUnit("records").register(meters);
        this.bytesWritten = Counter.builder("danmaku.storage.archive.bytes")
                .description("Uncompressed bytes appended to archive segments").baseUnit("bytes").register(meters);
        this.compressedBytes = Counter.builder("danmaku.storage.archive.compressed.bytes")
                .description("Bytes of compressed segments written").baseUnit("bytes").register(meters);
        this.writeErrors = Counter.builder("danmaku.storage.archive.write.errors")
                .description("Archive batches or rolls that failed (the batch is delivered again)")
                .register(meters);
        this.truncatedBytes = Counter.builder("danmaku.storage.archive.truncated.bytes")
                .description("Bytes of torn or corrupt segment tails removed by recovery").baseUnit("bytes")
                .register(meters);
        this.pruned = Counter.builder("danmaku.storage.archive.pruned")
                .description("Sealed segments deleted because they were older than the retention")
                .register(meters);
        this.rewinds = Counter.builder("danmaku.storage.archive.rewinds")
                .description("Batches handed back so the bus starts a stream again where the shared archive ends")
                .register(meters);
        this.writeTimer = Timer.builder("danmaku.storage.archive.write")
                .description("Time to append and fsync one batch").register(meters);
        this.segmentsGauge = Gauge.builder("danmaku.storage.archive.segments", catalog, SegmentCatalog::size)
                .description("Archive segments, open and final").register(meters);
    }

    /** A writer under {@code config.archiveDir()} with its segment limits, streams named by {@code bus}. */
    public static ArchiveWriter create(StorageConfig config, MessageBus bus, Clock clock, MeterRegistry meters) {
        requireNonNull(config, "config");
        requireNonNull(bus, "bus");
        if (config.archiveDir() == null) {
            throw new IllegalArgumentException("storage.archive.dir: null (expected: a directory for the archive)");
        }
        ArchiveStore store = config.s3() == null ? null : new S3ArchiveStore(config.s3());
        return new ArchiveWriter(config.archiveDir(), store, config.retention(), config.segmentMaxBytes(),
                config.segmentMaxAge(), bus::streamOf, clock, meters);
    }

    /**
     * Takes the root's lock (one writer per directory), recovers every stream found under the root (so that
     * {@link #reader()} sees the whole archive) and starts the periodic age check. Fails with a non-retriable
     * {@link StorageException} when another writer holds the directory. The first append starts the writer if
     * this was not called; appends issued before it completes run after it.
     */
    public CompletableFuture<Void> start() {
        return submit(() -> {
            startNow();
            return null;
        });
    }

    private void startNow() throws IOException {
        if (started) {
            return;
        }
        lockRoot();
        try {
            if (shared) {
                clearStaging();
            } else {
                recoverAll();
            }
        } catch (IOException | RuntimeException e) {
            unlockRoot();
            throw e;
        }
        started = true;
        if (shared) {
            try {
                refreshRemote();
            } catch (IOException | RuntimeException e) {
                log.warn("archive: listing {} failed; history reads will list it again: {}", store.describe(),
                        e.toString());
            }
        }
        long tick = Math.max(MIN_TICK.toMillis(), Math.min(MAX_TICK.toMillis(), segmentMaxAge.toMillis() / 4));
        io.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.MILLISECONDS);
        if (!retention.isZero()) {
            long every = Math.max(MIN_PRUNE_INTERVAL.toMillis(), Math.min(MAX_PRUNE_INTERVAL.toMillis(),
                    retention.toMillis() / 10));
            io.scheduleWithFixedDelay(this::pruneTick, every, every, TimeUnit.MILLISECONDS);
        }
    }

    private void lockRoot() throws IOException {
        Files.createDirectories(root);
        FileChannel channel = FileChannel.open(root.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            closeQuietly(channel);
            throw e;
        }
        if (lock == null) {
            closeQuietly(channel);
            throw new StorageException("archive: " + root + " is in use by another storage process (expected: one"
                    + " storage instance per archive directory)", false);
        }
        rootLock = lock;
    }

    private void unlockRoot() {
        if (rootLock != null) {
            closeQuietly(rootLock.channel());
            rootLock = null;
        }
    }

    @Override
    public CompletableFuture<Void> append(List<RoomRecord> records) {
        requireNonNull(records, "records");
        if (records.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        List<RoomRecord> batch = List.copyOf(records);
        return submit(() -> {
            startNow();
            appendNow(batch);
            return null;
        });
    }

    /** Writes a tombstone per retraction (on the archive's thread, after the appends before it). */
    @Override
    public CompletableFuture<Void> retract(List<RoomRecord> retractions) {
        requireNonNull(retractions, "retractions");
        if (retractions.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        List<RoomRecord> batch = List.copyOf(retractions);
        return submit(() -> {
            for (RoomRecord r : batch) {
                tombstones.write(r.room(), r.payload());
            }
            return null;
        });
    }

    /** Rolls every open segment older than the maximum age; completes with how many were rolled. */
    public CompletableFuture<Integer> rollExpired() {
        return submit(this::rollExpiredNow);
    }

    /** Reads of the archive, for the history API. */
    public ArchiveReader reader() {
        return reader;
    }

    /** Where sealed segments go. */
    public ArchiveStore store() {
        return store;
    }

    /**
     * This process no longer consumes {@code streams} (their partitions move to another storage process). With
     * a shared store and {@code seal}, each stream's open segment is rolled into the store first, so the next
     * owner finds it there; then, or at once without {@code seal} (the membership was lost: another process may
     * be writing the streams already), everything this process holds of the streams is dropped: state, open
     * files, their catalog entries. What was not sealed is read again from the bus by the next owner, which
     * starts where the store ends. With a local store nothing happens (each process keeps its own directory).
     */
    public CompletableFuture<Void> release(Collection<String> streams, boolean seal) {
        List<String> names = List.copyOf(streams);
        if (!shared) {
            return CompletableFuture.completedFuture(null);
        }
        return submit(() -> {
            for (String stream : names) {
                releaseNow(stream, seal);
            }
            return null;
        });
    }

    /** Deletes the sealed segments older than the retention now; completes with how many. */
    public CompletableFuture<Integer> prune() {
        return submit(this::pruneNow);
    }

    public Path root() {
        return root;
    }

    /**
     * Stops after the work already enqueued. Open segments stay open (already fsync'ed); the next writer on the
     * same root continues them.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            io.execute(this::closeStreams);
        } catch (RejectedExecutionException ignored) {
            // already shut down
        }
        io.shutdown();
        try {
            if (!io.awaitTermination(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                log.warn("archive: I/O did not finish within {} s; stopping it", CLOSE_TIMEOUT_SECONDS);
                io.shutdownNow();
            }
        } catch (InterruptedException e) {
            io.shutdownNow();
            Thread.currentThread().interrupt();
        }
        reader.close();
        store.close();
        meters.remove(segmentsGauge);
    }

    /**
     * Stops at once, as a killed process would: queued work is dropped, buffered bytes are lost, the files stay
     * as they are and the directory lock is released. For crash tests.
     */
    void halt() {
        closed = true;
        io.shutdownNow();
        try {
            io.awaitTermination(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (StreamState st : streams.values()) {
            if (st.open != null && st.open.channel != null) {
                closeQuietly(st.open.channel);
            }
        }
        unlockRoot();
        reader.close();
        store.close();
        meters.remove(segmentsGauge);
    }

    @Override
    public String toString() {
        return "ArchiveWriter[root=" + root + ", store=" + store.describe() + ", segmentMaxBytes=" + segmentMaxBytes + ", segmentMaxAge="
                + segmentMaxAge + "]";
    }

    // ---- on the io thread ---------------------------------------------------------------------------------

    private <T> CompletableFuture<T> submit(Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(new StorageException("archive closed", false));
            return result;
        }
        try {
            io.execute(() -> {
                try {
                    result.complete(task.call());
                } catch (IOException e) {
                    result.completeExceptionally(new StorageException("archive: " + e, e, true));
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new StorageException("archive closed", false));
        }
        return result;
    }

    private void appendNow(List<RoomRecord> records) throws IOException {
        long startNanos = System.nanoTime();
        Map<String, List<RoomRecord>> byStream = new LinkedHashMap<>();
        for (RoomRecord r : records) {
            String stream = requireNonNull(streamOf.apply(requireNonNull(r, "records element")), "stream");
            byStream.computeIfAbsent(stream, k -> new ArrayList<>()).add(r);
        }
        if (shared) {
            checkStart(byStream);
        }
        List<StreamState> touched = new ArrayList<>(byStream.size());
        BatchCounts counts = new BatchCounts();
        try {
            for (Map.Entry<String, List<RoomRecord>> e : byStream.entrySet()) {
                StreamState st = state(e.getKey());
                touched.add(st);
                write(st, e.getValue(), counts);
            }
            for (StreamState st : touched) {
                commit(st);
            }
            closeIdleFiles();
        } catch (IOException | RuntimeException e) {
            writeErrors.increment();
            for (StreamState st : touched) {
                forget(st);
            }
            throw e;
        }
        recordsArchived.increment(counts.appended);
        recordsSkipped.increment(counts.skipped);
        bytesWritten.increment(counts.bytes);
        writeTimer.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    private void write(StreamState st, List<RoomRecord> records, BatchCounts counts) throws IOException {
        for (RoomRecord r : records) {
            if (st.lastEpoch != null && !st.lastEpoch.equals(r.epoch())) {
                retire(st, r.epoch());
            }
            if (r.offset() <= st.lastOffset) {
                counts.skipped++;
                continue;
            }
            byte[] line = ArchiveLine.encode(r);
            OpenSegment open = st.open;
            if (open != null) {
                if (open.size() + line.length > segmentMaxBytes) {
                    roll(st, "size");
                } else if (expired(open)) {
                    roll(st, "age");
                }
            }
            if (st.open == null) {
                create(st, r.offset());
            }
            open = st.open;
            open.pending.write(line, 0, line.length);
            open.stats.add(r.room(), r.offset(), r.epoch(), r.timeMillis(), line.length);
            st.lastOffset = r.offset();
            st.lastEpoch = r.epoch();
            counts.appended++;
            counts.bytes += line.length;
            if (open.pending.size() >= FLUSH_BYTES) {
                flush(st);
            }
        }
        flush(st);
    }

    /** Makes what was written to the stream's open segment durable and visible to readers. */
    private void commit(StreamState st) throws IOException {
        OpenSegment open = st.open;
        if (open == null) {
            return;
        }
        flush(st);
        if (open.committed < open.written) {
            channel(st).force(false);
            open.committed = open.written;
            catalog.put(open.stats.open(st.stream, open.path, open.committed));
        }
    }

    /** Writes what is buffered for the stream's open segment to its file. */
    private void flush(StreamState st) throws IOException {
        OpenSegment open = st.open;
        if (open == null || open.pending.size() == 0) {
            return;
        }
        FileChannel channel = channel(st);
        ByteBuffer buf = open.pending.buffer();
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
        open.written += open.pending.size();
        open.pending.reset();
    }

    /** The open segment's file, opened again (positioned at its end) if it was closed to save descriptors. */
    private FileChannel channel(StreamState st) throws IOException {
        OpenSegment open = st.open;
        if (open.channel == null) {
            FileChannel channel = FileChannel.open(open.path, StandardOpenOption.WRITE);
            try {
                channel.position(open.written);
            } catch (IOException e) {
                closeQuietly(channel);
                throw e;
            }
            open.channel = channel;
        }
        openFiles.put(st.stream, st);
        return open.channel;
    }

    private void closeChannel(StreamState st) {
        if (st.open != null && st.open.channel != null) {
            closeQuietly(st.open.channel);
            st.open.channel = null;
        }
        openFiles.remove(st.stream);
    }

    /**
     * Closes the files of the least recently written open segments beyond {@value #MAX_OPEN_FILES} (everything
     * written to them is already fsync'ed), so that many streams (a room each, on the memory bus) do not hold a
     * descriptor each.
     */
    private void closeIdleFiles() {
        Iterator<StreamState> eldest = openFiles.values().iterator();
        while (openFiles.size() > MAX_OPEN_FILES && eldest.hasNext()) {
            StreamState st = eldest.next();
            eldest.remove();
            if (st.open != null && st.open.channel != null && st.open.pending.size() == 0
                    && st.open.committed == st.open.written) {
                closeQuietly(st.open.channel);
                st.open.channel = null;
            }
        }
    }

    private void create(StreamState st, long firstOffset) throws IOException {
        if (!Files.isDirectory(st.dir)) {
            Files.createDirectories(st.dir);
            for (Path d = st.dir; d != null && d.startsWith(root); d = d.getParent()) {
                fsyncDirectory(d);
            }
        }
        Path path = st.dir.resolve(firstOffset + OPEN_SUFFIX);
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            fsyncDirectory(st.dir);
        } catch (IOException e) {
            closeQuietly(channel);
            throw e;
        }
        st.open = new OpenSegment(path, channel, clock.instant(), new SegmentStats(firstOffset), 0);
        openFiles.put(st.stream, st);
    }

    private void roll(StreamState st, String reason) throws IOException {
        OpenSegment open = st.open;
        try {
            flush(st);
            if (open.committed < open.written) {
                channel(st).force(false);
            }
        } finally {
            closeChannel(st);
            st.open = null;
        }
        finish(st.stream, st.dir, open.stats, open.path, reason);
    }

    /** Compresses the open file of a segment into its final file and index, then deletes the open file. */
    private void finish(String stream, Path dir, SegmentStats stats, Path openPath, String reason) throws IOException {
        long first = stats.firstOffset;
        Path tmp = dir.resolve(first + FINAL_SUFFIX + TMP_SUFFIX);
        long compressed = compress(openPath, stats.bytes, tmp);
        // the local store renames the file into place (fsync'ed, index last); the bucket gets a copy
        try {
            store.put(new ArchiveStore.SegmentKey(stream, first), tmp, SegmentIndex.encode(stats, compressed));
        } finally {
            if (shared) {
                Files.deleteIfExists(tmp);
            }
        }
        // readers move to the sealed segment before the open file goes away
        catalog.put(stats.finalSegment(stream, shared ? null : dir.resolve(first + FINAL_SUFFIX)));
        Files.deleteIfExists(openPath);
        fsyncDirectory(dir);
        compressedBytes.increment(compressed);
        Counter.builder("danmaku.storage.archive.rolls")
                .description("Archive segments rolled (compressed and closed), by reason")
                .tag("reason", reason)
                .register(meters)
                .increment();
        log.debug("archive: rolled {}/{} ({}): offsets {}..{}, {} records, {} -> {} bytes", stream, first, reason,
                first, stats.lastOffset, stats.records, stats.bytes, compressed);
    }

    private static long compress(Path source, long length, Path target) throws IOException {
        try (InputStream in = Files.newInputStream(source);
             FileOutputStream file = new FileOutputStream(target.toFile())) {
            try (ZstdOutputStream z = new ZstdOutputStream(new KeepOpen(file), COMPRESSION_LEVEL)) {
                z.setChecksum(true);
                byte[] buf = new byte[COPY_BUFFER];
                long left = length;
                while (left > 0) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) {
                        throw new IOException(source + ": " + left + " bytes shorter than the " + length
                                + " bytes written to it");
                    }
                    z.write(buf, 0, n);
                    left -= n;
                }
            }
            file.getChannel().force(true);
            return file.getChannel().size();
        }
    }

    /**
     * Ends the stream's current epoch: rolls its open segment and moves its directory aside, so that the new
     * epoch's offsets (which start over) get a directory of their own.
     */
    private void retire(StreamState st, String newEpoch) throws IOException {
        String oldEpoch = st.lastEpoch;
        if (shared) {
            // the Kafka bus names its streams after their epoch, so they never change it
            throw new StorageException("archive: stream " + st.stream + " changed from epoch " + oldEpoch + " to "
                    + newEpoch + " (expected: streams named after their epoch with a shared store)", false);
        }
        if (st.open != null) {
            roll(st, "epoch");
        }
        if (Files.isDirectory(st.dir)) {
            String base = st.dir.getFileName() + ".epoch-" + oldEpoch.replaceAll("[^A-Za-z0-9_.=-]", "_");
            Path target = st.dir.resolveSibling(base);
            for (int i = 2; Files.exists(target); i++) {
                target = st.dir.resolveSibling(base + "-" + i);
            }
            Files.move(st.dir, target, StandardCopyOption.ATOMIC_MOVE);
            fsyncDirectory(st.dir.getParent());
            String retired = streamName(target);
            catalog.moveStream(st.stream, retired, st.dir, target);
            log.warn("archive: stream {} changed from epoch {} to {} (its offsets start over); the segments of"
                    + " epoch {} were moved to {}", st.stream, oldEpoch, newEpoch, oldEpoch, target);
        }
        st.lastOffset = -1;
        st.lastEpoch = null;
    }

    private int rollExpiredNow() {
        int rolled = 0;
        for (StreamState st : new ArrayList<>(streams.values())) {
            if (st.open != null && expired(st.open)) {
                try {
                    roll(st, "age");
                    rolled++;
                } catch (IOException | RuntimeException e) {
                    writeErrors.increment();
                    log.warn("archive: rolling the open segment of stream {} failed; will retry", st.stream, e);
                    forget(st);
                    if (shared) {
                        try {
                            streams.put(st.stream, recoverShared(st.stream, st.dir));
                        } catch (IOException | RuntimeException again) {
                            log.debug("archive: {}: recovery after a failed roll failed too", st.stream, again);
                        }
                    }
                }
            }
        }
        return rolled;
    }

    private void tick() {
        try {
            rollExpiredNow();
        } catch (RuntimeException e) {
            log.warn("archive: periodic roll failed", e);
        }
    }

    private boolean expired(OpenSegment open) {
        return !clock.instant().isBefore(open.openedAt.plus(segmentMaxAge));
    }

    /** Drops what is known of a stream after a failure: the next write recovers it from its files. */
    private void forget(StreamState st) {
        closeChannel(st);
        st.open = null;
        streams.remove(st.stream, st);
    }

    private void closeStreams() {
        for (StreamState st : streams.values()) {
            if (st.open != null) {
                try {
                    flush(st);
                    if (st.open.committed < st.open.written) {
                        channel(st).force(false);
                    }
                } catch (IOException e) {
                    log.warn("archive: flushing the open segment of stream {} on close failed", st.stream, e);
                }
                closeChannel(st);
                st.open = null;
            }
        }
        streams.clear();
        openFiles.clear();
        unlockRoot();
    }

    private StreamState state(String stream) throws IOException {
        StreamState st = streams.get(stream);
        if (st == null) {
            st = shared ? recoverShared(stream, resolveStream(stream)) : recoverStream(stream, resolveStream(stream));
            streams.put(stream, st);
        }
        return st;
    }

    private Path resolveStream(String stream) {
        String[] parts = stream.split("/", -1);
        Path dir = root;
        for (String part : parts) {
            if (!STREAM_PART.matcher(part).matches() || part.equals(".") || part.equals("..")) {
                throw new StorageException("archive: stream \"" + stream + "\" (expected: a relative path of"
                        + " segments matching " + STREAM_PART.pattern() + ")", false);
            }
            dir = dir.resolve(part);
        }
        return dir;
    }

    private String streamName(Path dir) {
        Path rel = root.relativize(dir);
        StringBuilder sb = new StringBuilder();
        for (Path part : rel) {
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(part);
        }
        return sb.toString();
    }

    // ---- a shared store --------------------------------------------------------------------------------------

    /**
     * With a shared store, fails the batch with a {@link RewindException} when a stream's records start after
     * the next offset it needs (what the store holds, plus a local open segment that continues it): a process
     * that consumed the partition before died without sealing its last records, or this process just took the
     * partition over from the group's committed position. Once per position, so a genuine gap in the offsets
     * (a record the bus could not decode) does not loop.
     */
    private void checkStart(Map<String, List<RoomRecord>> byStream) throws IOException {
        Map<String, Long> from = new HashMap<>();
        for (Map.Entry<String, List<RoomRecord>> e : byStream.entrySet()) {
            StreamState st = state(e.getKey());
            long first = e.getValue().get(0).offset();
            long next = Math.max(st.lastOffset, 0) + 1;
            if (first > next && st.rewoundTo != next) {
                st.rewoundTo = next;
                from.put(e.getKey(), next);
            }
        }
        if (!from.isEmpty()) {
            rewinds.increment();
            log.info("archive: {} ends before the records delivered; asking the bus to start again from {}",
                    store.describe(), from);
            throw new RewindException(from);
        }
    }

    private void releaseNow(String stream, boolean seal) throws IOException {
        StreamState st = streams.remove(stream);
        if (st != null && st.open != null) {
            if (seal) {
                try {
                    roll(st, "handover");
                } catch (IOException | RuntimeException e) {
                    writeErrors.increment();
                    log.warn("archive: sealing stream {} before handing it over failed; its next owner reads it"
                            + " again from the bus", stream, e);
                }
            }
            closeChannel(st);
            st.open = null;
        }
        openFiles.remove(stream);
        catalog.removeOpen(stream);
        Path dir = resolveStream(stream);
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) {
                    String name = p.getFileName().toString();
                    if (name.endsWith(OPEN_SUFFIX) || TMP_FILE.matcher(name).matches()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
        log.debug("archive: released stream {}{}", stream, seal ? " (sealed)" : "");
    }

    /** At the start with a shared store: removes interrupted copies; open segments wait for their stream. */
    private void clearStaging() throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        int foreign = 0;
        for (Path p : files) {
            String name = p.getFileName().toString();
            if (TMP_FILE.matcher(name).matches()) {
                Files.deleteIfExists(p);
            } else if (name.endsWith(FINAL_SUFFIX) || name.endsWith(INDEX_SUFFIX)) {
                foreign++;
            }
        }
        if (foreign > 0) {
            log.warn("archive: {} holds {} sealed segment files from a local archive; they are neither served nor"
                    + " pruned while the archive is in {} (copy them to the bucket to keep them)", root, foreign,
                    store.describe());
        }
    }

    /**
     * A stream's state with a shared store: its last offset is the newest sealed segment's in the store; a
     * local open segment is kept only when it continues exactly there (what this process consumed before, not
     * yet sealed); any other local open segment is stale and deleted.
     */
    private StreamState recoverShared(String stream, Path dir) throws IOException {
        StreamState st = new StreamState(stream, dir);
        List<ArchiveStore.SegmentKey> keys = store.list(stream);
        if (!keys.isEmpty()) {
            ArchiveStore.SegmentKey newest = keys.get(keys.size() - 1);
            Segment sealed = SegmentIndex.parse(store.readIndex(newest), stream, null);
            if (sealed == null) {
                throw new StorageException("archive: the index of segment " + newest.firstOffset() + " of stream "
                        + stream + " in " + store.describe() + " is unreadable", true);
            }
            catalog.putIfAbsent(sealed);
            st.lastOffset = sealed.lastOffset();
            st.lastEpoch = sealed.epoch();
        }
        if (!Files.isDirectory(dir)) {
            return st;
        }
        long next = Math.max(st.lastOffset, 0) + 1;
        Recovered keep = null;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (TMP_FILE.matcher(name).matches()) {
                    Files.deleteIfExists(p);
                    continue;
                }
                Matcher m = SEGMENT_FILE.matcher(name);
                if (!m.matches() || !m.group(2).equals(OPEN_SUFFIX) || !Files.isRegularFile(p)) {
                    continue;
                }
                long first = Long.parseLong(m.group(1));
                Recovered r = first == next ? scanOpen(stream, p, first) : null;
                if (r != null && r.stats != null) {
                    keep = r;
                } else if (Files.deleteIfExists(p)) {
                    log.info("archive: {}: dropped local open segment {}; {} holds the stream up to offset {}",
                            stream, first, store.describe(), st.lastOffset);
                }
            }
        }
        if (keep != null) {
            resumeOpen(st, stream, keep);
        }
        log.debug("archive: recovered stream {} from {}: last offset {}, local open segment {}", stream,
                store.describe(), st.lastOffset, keep == null ? "none" : keep.stats.firstOffset);
        return st;
    }

    /**
     * Adds the store's sealed segments that the catalog does not know yet (sealed by other processes), reading
     * their indexes. Segments deleted by others stay known until a read misses them.
     */
    void refreshRemote() throws IOException {
        synchronized (refreshLock) {
            long began = System.nanoTime();
            int added = 0;
            for (ArchiveStore.SegmentKey k : store.list()) {
                if (catalog.get(k.stream(), k.firstOffset()) != null) {
                    continue;
                }
                byte[] index;
                try {
                    index = store.readIndex(k);
                } catch (NoSuchFileException e) {
                    continue; // pruned meanwhile
                }
                Segment seg = SegmentIndex.parse(index, k.stream(), null);
                if (seg == null) {
                    log.warn("archive: the index of segment {} of stream {} in {} is unreadable; skipped",
                            k.firstOffset(), k.stream(), store.describe());
                    continue;
                }
                catalog.putIfAbsent(seg);
                added++;
            }
            refreshedAt = began;
            refreshed = true;
            if (added > 0) {
                log.debug("archive: {} new segments in {}", added, store.describe());
            }
        }
    }

    /** Before a history read: lists the store again when the last listing is older than the refresh interval. */
    private void refreshIfStale() {
        if (refreshed && System.nanoTime() - refreshedAt < refreshInterval.toNanos()) {
            return;
        }
        try {
            refreshRemote();
        } catch (IOException | RuntimeException e) {
            long now = System.nanoTime();
            if (now - nextRefreshWarn >= 0) {
                nextRefreshWarn = now + TimeUnit.SECONDS.toNanos(10);
                log.warn("archive: listing {} failed; reading what was listed before: {}", store.describe(),
                        e.toString());
            }
        }
    }

    // ---- retention ------------------------------------------------------------------------------------------

    private int pruneNow() throws IOException {
        if (retention.isZero()) {
            return 0;
        }
        if (shared) {
            refreshRemote();
        }
        long cutoff = clock.millis() - retention.toMillis();
        List<Segment> sealed = catalog.sealed();
        Map<String, Segment> newest = new HashMap<>();
        for (Segment seg : sealed) {
            newest.merge(seg.stream(), seg, (a, b) -> a.firstOffset() >= b.firstOffset() ? a : b);
        }
        int n = 0;
        for (Segment seg : sealed) {
            // the newest sealed segment of a stream stays: it says where the stream's archive ends
            if (seg.maxTime() < cutoff && newest.get(seg.stream()) != seg) {
                store.delete(new ArchiveStore.SegmentKey(seg.stream(), seg.firstOffset()));
                catalog.remove(seg);
                n++;
            }
        }
        if (n > 0) {
            pruned.increment(n);
            log.info("archive: pruned {} segments whose records are older than {} from {}", n, retention,
                    store.describe());
        }
        return n;
    }

    private void pruneTick() {
        try {
            pruneNow();
        } catch (IOException | RuntimeException e) {
            log.warn("archive: pruning {} failed; will retry: {}", store.describe(), e.toString());
        }
    }

    // ---- recovery -------------------------------------------------------------------------------------------

    private void recoverAll() throws IOException {
        fsyncDirectory(root);
        if (root.getParent() != null) {
            fsyncDirectory(root.getParent());
        }
        List<Path> dirs;
        try (Stream<Path> walk = Files.walk(root)) {
            dirs = walk.filter(Files::isDirectory).sorted().toList();
        }
        for (Path dir : dirs) {
            if (!dir.equals(root) && holdsSegments(dir)) {
                String stream = streamName(dir);
                if (!streams.containsKey(stream)) {
                    streams.put(stream, recoverStream(stream, dir));
                }
            }
        }
        log.info("archive: {} streams, {} segments under {}", streams.size(), catalog.size(), root);
    }

    private static boolean holdsSegments(Path dir) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (SEGMENT_FILE.matcher(name).matches() || TMP_FILE.matcher(name).matches()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Brings a stream's directory to a consistent state and loads its segments into the catalog. */
    private StreamState recoverStream(String stream, Path dir) throws IOException {
        StreamState st = new StreamState(stream, dir);
        if (!Files.isDirectory(dir)) {
            return st;
        }
        boolean changed = false;
        TreeMap<Long, EnumSet<Kind>> files = new TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!Files.isRegularFile(p)) {
                    continue;
                }
                if (TMP_FILE.matcher(name).matches()) {
                    Files.delete(p);
                    changed = true;
                    continue;
                }
                Matcher m = SEGMENT_FILE.matcher(name);
                if (m.matches()) {
                    Kind kind = switch (m.group(2)) {
                        case OPEN_SUFFIX -> Kind.OPEN;
                        case FINAL_SUFFIX -> Kind.FINAL;
                        default -> Kind.INDEX;
                    };
                    files.computeIfAbsent(Long.parseLong(m.group(1)), k -> EnumSet.noneOf(Kind.class)).add(kind);
                }
            }
        }
        List<Segment> finals = new ArrayList<>();
        List<Recovered> opens = new ArrayList<>();
        for (Map.Entry<Long, EnumSet<Kind>> e : files.entrySet()) {
            long first = e.getKey();
            EnumSet<Kind> kinds = e.getValue();
            Path openPath = dir.resolve(first + OPEN_SUFFIX);
            Path finalPath = dir.resolve(first + FINAL_SUFFIX);
            Path indexPath = dir.resolve(first + INDEX_SUFFIX);
            if (kinds.contains(Kind.FINAL)) {
                Segment seg = kinds.contains(Kind.INDEX) ? SegmentIndex.read(indexPath, stream, finalPath) : null;
                if (seg == null) {
                    SegmentStats stats = scanFinal(finalPath, first);
                    if (stats != null) {
                        Path indexTmp = dir.resolve(first + INDEX_SUFFIX + TMP_SUFFIX);
                        writeDurably(indexTmp, SegmentIndex.encode(stats, Files.size(finalPath)));
                        Files.move(indexTmp, indexPath, StandardCopyOption.ATOMIC_MOVE);
                        seg = stats.finalSegment(stream, finalPath);
                        changed = true;
                        log.info("archive: {}: rebuilt the index of segment {}", stream, first);
                    }
                }
                if (seg != null) {
                    if (kinds.contains(Kind.OPEN)) {
                        Files.delete(openPath);
                        changed = true;
                        log.info("archive: {}: segment {} was compressed before a crash; removed its open copy",
                                stream, first);
                    }
                    catalog.put(seg);
                    finals.add(seg);
                    continue;
                }
                Path corrupt = dir.resolve(first + FINAL_SUFFIX + CORRUPT_SUFFIX);
                Files.move(finalPath, corrupt, StandardCopyOption.REPLACE_EXISTING);
                changed = true;
                log.error("archive: {}: segment {} is unreadable; moved it to {}{}", stream, first, corrupt,
                        kinds.contains(Kind.OPEN) ? " and kept its open copy" : "");
            }
            if (kinds.contains(Kind.INDEX)) {
                Files.deleteIfExists(indexPath);
                changed = true;
            }
            if (kinds.contains(Kind.OPEN)) {
                Recovered r = scanOpen(stream, openPath, first);
                changed |= r.changed;
                if (r.stats != null) {
                    opens.add(r);
                }
            }
        }
        long newestFinal = finals.isEmpty() ? -1 : finals.get(finals.size() - 1).firstOffset();
        Recovered keep = null;
        if (!opens.isEmpty() && opens.get(opens.size() - 1).stats.firstOffset > newestFinal) {
            keep = opens.get(opens.size() - 1);
        }
        for (Recovered r : opens) {
            if (r != keep) {
                finish(stream, dir, r.stats, r.path, "recovery");
                finals.add(catalog.get(stream, r.stats.firstOffset));
                changed = true;
            }
        }
        Segment newest = null;
        for (Segment s : finals) {
            if (newest == null || s.firstOffset() > newest.firstOffset()) {
                newest = s;
            }
        }
        if (newest != null) {
            st.lastOffset = newest.lastOffset();
            st.lastEpoch = newest.epoch();
        }
        if (keep != null) {
            // what a killed process left in the page cache is made durable before redeliveries are skipped
            try (FileChannel channel = FileChannel.open(keep.path, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            resumeOpen(st, stream, keep);
        }
        if (changed) {
            fsyncDirectory(dir);
        }
        log.debug("archive: recovered stream {}: last offset {}, epoch {}, open segment {}", stream, st.lastOffset,
                st.lastEpoch, keep == null ? "none" : keep.stats.firstOffset);
        return st;
    }

    /** Reads an open segment, truncating a torn or corrupt tail; deletes it when no complete line is left. */
    private Recovered scanOpen(String stream, Path path, long first) throws IOException {
        SegmentStats stats = new SegmentStats(first);
        long validEnd = 0;
        long size = Files.size(path);
        try (InputStream in = Files.newInputStream(path)) {
            LineReader lines = new LineReader(in);
            while (lines.next()) {
                ArchiveLine.Header h = ArchiveLine.header(lines.buffer(), lines.offset(), lines.length());
                if (h == null || h.offset() <= stats.lastOffset) {
                    break;
                }
                stats.add(h.room(), h.offset(), h.epoch(), h.timeMillis(), lines.length() + 1L);
                validEnd = lines.lineEnd();
            }
        }
        boolean changed = false;
        if (validEnd < size) {
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
                channel.truncate(validEnd);
                channel.force(true);
            }
            truncatedBytes.increment(size - validEnd);
            changed = true;
            log.warn("archive: {}: removed {} bytes of a torn or corrupt tail from {} (kept {} records, up to offset"
                    + " {})", stream, size - validEnd, path.getFileName(), stats.records, stats.lastOffset);
        }
        if (stats.records == 0) {
            Files.delete(path);
            return new Recovered(path, null, true);
        }
        return new Recovered(path, stats, changed);
    }

    /** Reads a final segment completely; null when it is not a complete, valid segment. */
    private static SegmentStats scanFinal(Path path, long first) {
        SegmentStats stats = new SegmentStats(first);
        try (InputStream in = new ZstdInputStream(new BufferedInputStream(Files.newInputStream(path), COPY_BUFFER))) {
            LineReader lines = new LineReader(in);
            while (lines.next()) {
                ArchiveLine.Header h = ArchiveLine.header(lines.buffer(), lines.offset(), lines.length());
                if (h == null || h.offset() <= stats.lastOffset) {
                    return null;
                }
                stats.add(h.room(), h.offset(), h.epoch(), h.timeMillis(), lines.length() + 1L);
            }
            return lines.tornTail() || stats.records == 0 ? null : stats;
        } catch (IOException | RuntimeException e) {
            log.debug("archive: {} unreadable", path, e);
            return null;
        }
    }

    /** Continues writing {@code keep}, a recovered local open segment, as the stream's open segment. */
    private void resumeOpen(StreamState st, String stream, Recovered keep) {
        Instant now = clock.instant();
        Instant firstTime = Instant.ofEpochMilli(keep.stats.firstTime);
        st.open = new OpenSegment(keep.path, null, firstTime.isAfter(now) ? now : firstTime, keep.stats,
                keep.stats.bytes);
        catalog.put(keep.stats.open(stream, keep.path, keep.stats.bytes));
        st.lastOffset = keep.stats.lastOffset;
        st.lastEpoch = keep.stats.epoch;
    }

    // ---- files ----------------------------------------------------------------------------------------------

    /** Writes {@code content} to {@code path} (created or replaced) and forces it to the disk. */
    static void writeDurably(Path path, byte[] content) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(content);
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
            channel.force(true);
        }
    }

    /** Makes the directory's entries (created, renamed, deleted files) durable. */
    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("archive: closing a segment failed", e);
        }
    }

    /** Per stream, on the io thread: the last archived position and the open segment. */
    private static final class StreamState {
        final String stream;
        final Path dir;
        long lastOffset = -1;
        String lastEpoch;
        OpenSegment open;
        /** With a shared store: the offset this stream was last rewound to, so it is asked for once. */
        long rewoundTo = -1;

        StreamState(String stream, Path dir) {
            this.stream = stream;
            this.dir = dir;
        }
    }

    /**
     * The segment being appended to: its file (null while closed to save descriptors), what is buffered for
     * it, what is written and fsync'ed.
     */
    private static final class OpenSegment {
        final Path path;
        FileChannel channel;
        final Instant openedAt;
        final SegmentStats stats;
        final Pending pending = new Pending();
        long written;
        long committed;

        OpenSegment(Path path, FileChannel channel, Instant openedAt, SegmentStats stats, long written) {
            this.path = path;
            this.channel = channel;
            this.openedAt = openedAt;
            this.stats = stats;
            this.written = written;
            this.committed = written;
        }

        long size() {
            return written + pending.size();
        }
    }

    /** A byte buffer that hands out its content without a copy. */
    private static final class Pending extends ByteArrayOutputStream {
        ByteBuffer buffer() {
            return ByteBuffer.wrap(buf, 0, count);
        }
    }

    private record Recovered(Path path, SegmentStats stats, boolean changed) {
    }

    private static final class BatchCounts {
        long appended;
        long skipped;
        long bytes;
    }

    /** Passes writes through and turns close into flush, so the file can be fsync'ed after the encoder closed. */
    private static final class KeepOpen extends FilterOutputStream {
        KeepOpen(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
