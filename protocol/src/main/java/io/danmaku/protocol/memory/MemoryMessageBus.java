package io.danmaku.protocol.memory;

import io.danmaku.protocol.logging.ThrottledLog;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.bus.BusListener;
import io.danmaku.protocol.bus.BusMessage;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.bus.BusSubscription;
import io.danmaku.protocol.bus.BusUnavailableException;
import io.danmaku.protocol.bus.GroupListener;
import io.danmaku.protocol.bus.MessageBus;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process {@link MessageBus} of standalone mode.
 *
 * <p><b>Positions.</b> Each bus instance draws one random epoch ({@code mem-} and 8 hex digits) used for every
 * room, so a restarted process has a new epoch and clients learn that their old positions cannot be recovered.
 * Offsets are a per-room sequence starting at 1, contiguous. Records are stamped with the wall-clock time of the
 * publish.
 *
 * <p><b>Publishing.</b> A batch is stamped and handed to every subscription under one lock, so all subscribers
 * see the same per-room order. Memory counts as durable: the future is already complete when
 * {@link #publish(List)} returns. Memory is bounded by {@code queueCapacity}:
 * <ul>
 *   <li>if any consumer group already has {@code queueCapacity} uncommitted records (or would have more with
 *       this batch), the whole batch is refused with {@link BusUnavailableException} ("memory bus full"): no
 *       offset is consumed and nothing is enqueued anywhere, so a stalled storage tier pushes back on posters
 *       instead of growing the heap; a batch larger than {@code queueCapacity} is always refused;</li>
 *   <li>a {@link #subscribeAll fan-out subscription} whose queue cannot take the batch loses it, for that
 *       subscriber only; the loss is counted in {@link #droppedFanout()} (the gateway sees an offset gap and its
 *       clients recover from history).</li>
 * </ul>
 *
 * <p><b>Consumer groups.</b> The bus keeps one retained log of published records. A group's position is a
 * place in that log; records are freed once every known group has committed past them. A group is known from
 * its first {@link #subscribeGroup} on and is never forgotten, so its backlog keeps counting against
 * {@code queueCapacity} while no member is running (nothing is lost; publishers are refused once it is full).
 * While no group is known yet the log keeps the newest {@code queueCapacity} records, so a group that joins
 * after a few publishes (storage starting after the gateway) still receives them: a new group starts at the
 * oldest retained record. Each group subscription has a daemon thread that hands over up to
 * {@value #MAX_DELIVERY_BATCH} records, waits for the returned stage, commits on success, and on failure hands
 * over the same records again after a backoff (50 ms doubling to 2 s). Two subscriptions to one group share its
 * position; only one is active at a time: a later one waits until the earlier one is closed, then takes over at
 * the committed position. Closing a group subscription waits for the batch in progress; records handed over but
 * not committed are delivered again to the group's next subscriber.
 *
 * <p>All methods are non-blocking except {@link BusSubscription#close()} and {@link #close()}, which wait (at
 * most {@value #CLOSE_TIMEOUT_SECONDS} s per subscription) for the delivery threads to finish.
 */
public final class MemoryMessageBus implements MessageBus {
    public static final int DEFAULT_QUEUE_CAPACITY = 65536;
    /** Most records handed to a listener in one call. */
    public static final int MAX_DELIVERY_BATCH = 1024;
    static final long CLOSE_TIMEOUT_SECONDS = 10;
    private static final Duration BACKOFF_START = Duration.ofMillis(50);
    private static final Duration BACKOFF_MAX = Duration.ofSeconds(2);
    private static final Logger log = LoggerFactory.getLogger(MemoryMessageBus.class);
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();

    private final int queueCapacity;
    private final String epoch;
    private final AtomicLong droppedFanout = new AtomicLong();
    private final ThrottledLog listenerWarning = new ThrottledLog(log, java.time.Duration.ofSeconds(10));

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when records are published, a group commits, or a subscription stops (guarded by lock). */
    private final Condition changed = lock.newCondition();
    private final Map<String, Long> lastOffsets = new HashMap<>();
    private final List<FanoutSubscription> fanouts = new ArrayList<>();
    private final List<GroupSubscription> groupSubscriptions = new ArrayList<>();
    private final Map<String, Group> groups = new HashMap<>();
    private final RetainedLog retained = new RetainedLog();
    private boolean closed;

    public MemoryMessageBus() {
        this(DEFAULT_QUEUE_CAPACITY);
    }

    public MemoryMessageBus(int queueCapacity) {
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity: " + queueCapacity + " (expected: >= 1)");
        }
        this.queueCapacity = queueCapacity;
        this.epoch = String.format("mem-%08x", ThreadLocalRandom.current().nextInt());
    }

    @Override
    public CompletableFuture<List<BusPosition>> publish(List<BusMessage> batch) {
        requireNonNull(batch, "batch");
        for (BusMessage m : batch) {
            requireNonNull(m, "batch element");
        }
        if (batch.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        int n = batch.size();
        lock.lock();
        try {
            if (closed) {
                return CompletableFuture.failedFuture(BusUnavailableException.notPublished("memory bus closed"));
            }
            if (n > queueCapacity) {
                return CompletableFuture.failedFuture(BusUnavailableException.notPublished("memory bus full: batch"
                        + " of " + n + " messages exceeds the queue capacity " + queueCapacity));
            }
            for (Group g : groups.values()) {
                long backlog = retained.endSeq() - g.committedSeq;
                if (backlog + n > queueCapacity) {
                    return CompletableFuture.failedFuture(BusUnavailableException.notPublished("memory bus full:"
                            + " group " + g.name + " has " + backlog + " uncommitted records (capacity "
                            + queueCapacity + ")"));
                }
            }
            long now = System.currentTimeMillis();
            List<RoomRecord> records = new ArrayList<>(n);
            List<BusPosition> positions = new ArrayList<>(n);
            for (BusMessage m : batch) {
                long offset = lastOffsets.merge(m.room(), 1L, Long::sum);
                records.add(new RoomRecord(m.room(), offset, epoch, now, m.payload().clone(), m.traceId()));
                positions.add(new BusPosition(m.room(), offset, epoch));
            }
            List<RoomRecord> published = Collections.unmodifiableList(records);
            retained.append(published);
            for (FanoutSubscription f : fanouts) {
                if (!f.offer(published)) {
                    droppedFanout.addAndGet(n);
                }
            }
            trimRetained();
            changed.signalAll();
            return CompletableFuture.completedFuture(Collections.unmodifiableList(positions));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String epoch(String room) {
        requireNonNull(room, "room");
        return epoch;
    }

    @Override
    public BusSubscription subscribeAll(BusListener listener) {
        requireNonNull(listener, "listener");
        lock.lock();
        try {
            ensureOpen();
            FanoutSubscription s = new FanoutSubscription(listener);
            fanouts.add(s);
            s.thread.start();
            return s;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public BusSubscription subscribeGroup(String group, GroupListener listener) {
        requireNonNull(group, "group");
        requireNonNull(listener, "listener");
        if (group.isBlank()) {
            throw new IllegalArgumentException("group: \"" + group + "\" (expected: a non-blank group name)");
        }
        lock.lock();
        try {
            ensureOpen();
            Group g = groups.computeIfAbsent(group, name -> new Group(name, retained.startSeq()));
            GroupSubscription s = new GroupSubscription(g, listener);
            if (g.owner == null) {
                g.owner = s;
            }
            groupSubscriptions.add(s);
            s.thread.start();
            return s;
        } finally {
            lock.unlock();
        }
    }

    /** Records that fan-out subscribers lost because their queue was full (summed over subscribers). */
    public long droppedFanout() {
        return droppedFanout.get();
    }

    @Override
    public void close() {
        List<BusSubscription> all;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(fanouts);
            all.addAll(groupSubscriptions);
        } finally {
            lock.unlock();
        }
        for (BusSubscription s : all) {
            s.close();
        }
    }

    @Override
    public String toString() {
        return "MemoryMessageBus[epoch=" + epoch + ", queueCapacity=" + queueCapacity + "]";
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("memory bus closed");
        }
    }

    /** Frees the records every group has committed; without groups keeps the newest queueCapacity. Under lock. */
    private void trimRetained() {
        long keepFrom;
        if (groups.isEmpty()) {
            keepFrom = retained.endSeq() - queueCapacity;
        } else {
            keepFrom = Long.MAX_VALUE;
            for (Group g : groups.values()) {
                keepFrom = Math.min(keepFrom, g.committedSeq);
            }
        }
        retained.trimTo(keepFrom);
    }

    private static void join(Thread thread) {
        if (thread == Thread.currentThread()) {
            return;
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(CLOSE_TIMEOUT_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("{} did not stop within {} s", thread.getName(), CLOSE_TIMEOUT_SECONDS);
        }
    }

    /** Published records, numbered by a bus-wide sequence, from the oldest a group may still need. */
    private static final class RetainedLog {
        private final ArrayList<RoomRecord> records = new ArrayList<>();
        /** Index in {@code records} of the oldest retained record; slots before it are null. */
        private int head;
        /** Sequence number of {@code records.get(head)}. */
        private long headSeq;

        long startSeq() {
            return headSeq;
        }

        long endSeq() {
            return headSeq + (records.size() - head);
        }

        void append(List<RoomRecord> batch) {
            records.addAll(batch);
        }

        List<RoomRecord> slice(long fromSeq, int max) {
            int from = head + (int) (fromSeq - headSeq);
            int to = Math.min(records.size(), from + max);
            return Collections.unmodifiableList(new ArrayList<>(records.subList(from, to)));
        }

        void trimTo(long seq) {
            int n = (int) Math.min(seq - headSeq, records.size() - head);
            if (n <= 0) {
                return;
            }
            for (int i = head; i < head + n; i++) {
                records.set(i, null);
            }
            head += n;
            headSeq += n;
            if (head >= 1024 && head * 2 >= records.size()) {
                records.subList(0, head).clear();
                head = 0;
            }
        }
    }

    /** A consumer group's committed position in the retained log and its active member. Guarded by lock. */
    private static final class Group {
        final String name;
        long committedSeq;
        GroupSubscription owner;

        Group(String name, long committedSeq) {
            this.name = name;
            this.committedSeq = committedSeq;
        }
    }

    private final class FanoutSubscription implements BusSubscription, Runnable {
        private final BusListener listener;
        private final Thread thread;
        private final ReentrantLock queueLock = new ReentrantLock();
        private final Condition nonEmpty = queueLock.newCondition();
        private final ArrayDeque<RoomRecord> queue = new ArrayDeque<>();
        private boolean stopping;

        FanoutSubscription(BusListener listener) {
            this.listener = listener;
            this.thread = new Thread(this, "danmaku-bus-fanout-" + THREAD_IDS.incrementAndGet());
            thread.setDaemon(true);
        }

        /** Enqueues the whole batch, or nothing when it does not fit (returns false). */
        boolean offer(List<RoomRecord> records) {
            queueLock.lock();
            try {
                if (stopping) {
                    return true;
                }
                if (queue.size() + records.size() > queueCapacity) {
                    return false;
                }
                queue.addAll(records);
                nonEmpty.signal();
                return true;
            } finally {
                queueLock.unlock();
            }
        }

        @Override
        public void run() {
            while (true) {
                List<RoomRecord> batch;
                queueLock.lock();
                try {
                    while (queue.isEmpty() && !stopping) {
                        nonEmpty.awaitUninterruptibly();
                    }
                    if (stopping) {
                        return;
                    }
                    batch = new ArrayList<>(Math.min(queue.size(), MAX_DELIVERY_BATCH));
                    while (!queue.isEmpty() && batch.size() < MAX_DELIVERY_BATCH) {
                        batch.add(queue.poll());
                    }
                } finally {
                    queueLock.unlock();
                }
                try {
                    listener.onRecords(Collections.unmodifiableList(batch));
                } catch (RuntimeException e) {
                    listenerWarning.warn("fan-out listener failed on " + batch.size() + " records", e);
                }
            }
        }

        @Override
        public void close() {
            queueLock.lock();
            try {
                if (stopping) {
                    return;
                }
                stopping = true;
                queue.clear();
                nonEmpty.signal();
            } finally {
                queueLock.unlock();
            }
            lock.lock();
            try {
                fanouts.remove(this);
            } finally {
                lock.unlock();
            }
            join(thread);
        }
    }

    private final class GroupSubscription implements BusSubscription, Runnable {
        private final Group group;
        private final GroupListener listener;
        private final Thread thread;
        private final CountDownLatch stopSignal = new CountDownLatch(1);
        /** Guarded by lock. */
        private boolean stopping;

        GroupSubscription(Group group, GroupListener listener) {
            this.group = group;
            this.listener = listener;
            this.thread = new Thread(this, "danmaku-bus-group-" + group.name + "-" + THREAD_IDS.incrementAndGet());
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            try {
                long backoffMillis = BACKOFF_START.toMillis();
                while (true) {
                    List<RoomRecord> batch;
                    long endSeq;
                    lock.lock();
                    try {
                        while (!stopping && !(mayOwn() && retained.endSeq() > group.committedSeq)) {
                            changed.awaitUninterruptibly();
                        }
                        if (stopping) {
                            return;
                        }
                        group.owner = this;
                        batch = retained.slice(group.committedSeq, MAX_DELIVERY_BATCH);
                        endSeq = group.committedSeq + batch.size();
                    } finally {
                        lock.unlock();
                    }
                    Throwable failure = deliver(batch);
                    if (failure == null) {
                        commit(endSeq);
                        backoffMillis = BACKOFF_START.toMillis();
                    } else {
                        listenerWarning.warn("group " + group.name + ": listener failed on " + batch.size()
                                + " records; retrying in " + backoffMillis + " ms", failure);
                        if (stopSignal.await(backoffMillis, TimeUnit.MILLISECONDS)) {
                            return;
                        }
                        backoffMillis = Math.min(backoffMillis * 2, BACKOFF_MAX.toMillis());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                release();
            }
        }

        private boolean mayOwn() {
            return group.owner == null || group.owner == this;
        }

        /** Hands the batch over and waits for its stage; returns the failure, or null on success. */
        private Throwable deliver(List<RoomRecord> batch) {
            try {
                CompletionStage<Void> stage = listener.onRecords(batch);
                if (stage == null) {
                    return new NullPointerException("group listener returned no stage");
                }
                CompletableFuture<Void> done = new CompletableFuture<>();
                stage.whenComplete((v, e) -> {
                    if (e == null) {
                        done.complete(null);
                    } else {
                        done.completeExceptionally(e);
                    }
                });
                done.join();
                return null;
            } catch (CompletionException e) {
                return e.getCause() == null ? e : e.getCause();
            } catch (RuntimeException e) {
                return e;
            }
        }

        private void commit(long endSeq) {
            lock.lock();
            try {
                if (group.owner == this && group.committedSeq < endSeq) {
                    group.committedSeq = endSeq;
                    trimRetained();
                    changed.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }

        /** Gives up the group's ownership so that the next subscriber of the group can take over. */
        private void release() {
            lock.lock();
            try {
                if (group.owner == this) {
                    group.owner = null;
                }
                groupSubscriptions.remove(this);
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            lock.lock();
            try {
                if (stopping) {
                    return;
                }
                stopping = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            stopSignal.countDown();
            join(thread);
            if (thread.isAlive() && thread != Thread.currentThread()) {
                release();
            }
        }
    }
}
