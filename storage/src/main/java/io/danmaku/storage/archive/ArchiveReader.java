package io.danmaku.storage.archive;

import static java.util.Objects.requireNonNull;

import com.github.luben.zstd.ZstdInputStream;
import io.danmaku.protocol.Retraction;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.storage.StorageException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Time-range reads of one room's archived records, for the history API. Only segments whose time range
 * overlaps the request and whose room filter admits the room are opened, oldest first; a read stops as soon as
 * the segments left cannot hold an earlier record than those it has. Open segments are read up to their
 * committed length, so a read never sees a record that is not durable. Reads run on a small pool of their own
 * ({@value #READ_THREADS} threads, at most {@value #MAX_QUEUED_READS} waiting), never on the writer's thread;
 * beyond that a read fails at once with a retriable {@link StorageException}. A sealed segment whose files were
 * deleted (pruned by retention, here or by another storage process, or by an operator) is dropped from the catalog
 * when a read misses it. Sealed segments in a shared store are streamed from it; the store is listed again before
 * a read when the last listing is older than its refresh interval. Retractions and the messages they deleted (the
 * archive's tombstones, {@link Tombstones}) are left out.
 */
public final class ArchiveReader implements AutoCloseable {
    /** History order: by time, then offset, then epoch. */
    public static final Comparator<RoomRecord> HISTORY_ORDER = Comparator.comparingLong(RoomRecord::timeMillis)
            .thenComparingLong(RoomRecord::offset)
            .thenComparing(RoomRecord::epoch);
    static final int READ_THREADS = 2;
    static final int MAX_QUEUED_READS = 64;
    private static final int READ_BUFFER = 64 * 1024;
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();

    private final SegmentCatalog catalog;
    private final ArchiveStore store;
    /** Run before each read (lists a shared store when its listing is old), or null. */
    private final Runnable refresh;
    private final ThreadPoolExecutor pool;
    /** The retracted messages, left out of every read. */
    private final Tombstones tombstones;

    ArchiveReader(SegmentCatalog catalog, ArchiveStore store, Runnable refresh, Tombstones tombstones) {
        this.catalog = catalog;
        this.tombstones = tombstones;
        this.store = store;
        this.refresh = refresh;
        this.pool = new ThreadPoolExecutor(READ_THREADS, READ_THREADS, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(MAX_QUEUED_READS), r -> {
                    Thread t = new Thread(r, "danmaku-archive-read-" + THREAD_IDS.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.pool.allowCoreThreadTimeOut(true);
    }

    /**
     * The earliest {@code limit} records of {@code room} whose time is in [{@code fromMillis}, {@code toMillis}],
     * in {@link #HISTORY_ORDER}, each record once.
     */
    public CompletableFuture<ArchiveSlice> read(String room, long fromMillis, long toMillis, int limit) {
        requireNonNull(room, "room");
        if (limit < 1) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: >= 1)");
        }
        CompletableFuture<ArchiveSlice> result = new CompletableFuture<>();
        try {
            pool.execute(() -> {
                try {
                    result.complete(readNow(room, fromMillis, toMillis, limit));
                } catch (IOException e) {
                    result.completeExceptionally(new StorageException("archive read failed: " + e, e, true));
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new StorageException("archive busy: too many history reads", true));
        }
        return result;
    }

    private ArchiveSlice readNow(String room, long from, long to, int limit) throws IOException {
        if (refresh != null) {
            refresh.run();
        }
        byte[] prefix = ArchiveLine.roomPrefix(room);
        Set<String> retracted = tombstones.of(room);
        TreeSet<RoomRecord> best = new TreeSet<>(HISTORY_ORDER);
        for (Segment segment : catalog.overlapping(room, from, to)) {
            if (best.size() > limit && best.last().timeMillis() < segment.minTime()) {
                break;
            }
            readSegment(segment, room, prefix, from, to, limit, best, retracted);
        }
        List<RoomRecord> out = new ArrayList<>(Math.min(limit, best.size()));
        for (RoomRecord r : best) {
            if (out.size() == limit) {
                break;
            }
            out.add(r);
        }
        return new ArchiveSlice(out, best.size() > limit);
    }

    private void readSegment(Segment segment, String room, byte[] prefix, long from, long to, int limit,
                             TreeSet<RoomRecord> best, Set<String> retracted) throws IOException {
        Segment current = segment;
        for (int attempt = 1; ; attempt++) {
            try {
                scan(current, room, prefix, from, to, limit, best, retracted);
                return;
            } catch (NoSuchFileException e) {
                // rolled (open file deleted) or moved aside since the catalog was read: read it where it is now
                Segment now = catalog.get(current.stream(), current.firstOffset());
                if (now == null) {
                    return;
                }
                if (Objects.equals(now.path(), current.path()) && now.open() == current.open()) {
                    if (current.open()) {
                        throw e;
                    }
                    // an operator pruned the final segment: forget it
                    catalog.remove(current);
                    return;
                }
                if (attempt == 3) {
                    throw e;
                }
                current = now;
            }
        }
    }

    private void scan(Segment segment, String room, byte[] prefix, long from, long to, int limit,
                      TreeSet<RoomRecord> best, Set<String> retracted) throws IOException {
        try (InputStream raw = segment.path() != null ? Files.newInputStream(segment.path())
                : store.open(new ArchiveStore.SegmentKey(segment.stream(), segment.firstOffset()));
             InputStream in = segment.open() ? raw
                     : new ZstdInputStream(new BufferedInputStream(raw, READ_BUFFER))) {
            LineReader lines = new LineReader(in, segment.open() ? segment.bytes() : Long.MAX_VALUE);
            while (lines.next()) {
                byte[] buf = lines.buffer();
                int off = lines.offset();
                int len = lines.length();
                boolean ours = ArchiveLine.startsWith(buf, off, len, prefix);
                if (!ours && ArchiveLine.startsWithRoomField(buf, off, len)) {
                    continue; // another room's line
                }
                ArchiveLine.Header h = ArchiveLine.header(buf, off, len);
                if (h == null || !h.room().equals(room) || h.timeMillis() < from || h.timeMillis() > to) {
                    continue;
                }
                if (best.size() > limit && HISTORY_ORDER.compare(probe(h), best.last()) >= 0) {
                    continue;
                }
                RoomRecord r = ArchiveLine.decode(buf, off, len);
                if (r != null && (Retraction.isRetraction(r.payload()) || isRetracted(r, retracted))) {
                    continue; // a retraction, or a message it deleted: not history any more
                }
                if (r != null) {
                    best.add(r);
                    if (best.size() > limit + 1) {
                        best.pollLast();
                    }
                }
            }
            if (!segment.open() && lines.tornTail()) {
                throw new StorageException("archive segment " + (segment.path() != null ? segment.path()
                        : segment.stream() + "/" + segment.firstOffset() + " in " + store.describe())
                        + " ends in the middle of a line",
                        false);
            }
        }
    }

    private static boolean isRetracted(RoomRecord r, Set<String> retracted) {
        if (retracted.isEmpty()) {
            return false;
        }
        String id = Retraction.messageId(r.payload());
        return id != null && retracted.contains(id);
    }

    private static RoomRecord probe(ArchiveLine.Header h) {
        return new RoomRecord(h.room(), h.offset(), h.epoch(), h.timeMillis(), new byte[0]);
    }

    @Override
    public void close() {
        pool.shutdown();
        try {
            if (!pool.awaitTermination(5, TimeUnit.SECONDS)) {
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            pool.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
