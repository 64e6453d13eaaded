package io.danmaku.server.role;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.store.NodeInfo;
import io.danmaku.server.cli.VersionProvider;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports this node ({@link NodeInfo}: id, role, version, start time, connections, users, rooms) to the hot store
 * at start and then every interval, on a daemon thread of its own; the report expires after three intervals, so
 * the server API's {@code info} lists the nodes alive. A failed report is logged at DEBUG and retried at the next
 * interval.
 */
final class NodeReporter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeReporter.class);

    /** What a node counts; roles without connections report {@link #NONE}. */
    record Stats(long clients, long users, long rooms) {
        static final Stats NONE = new Stats(0, 0, 0);
    }

    private final ScheduledExecutorService timer;

    private NodeReporter(HotStore store, String id, String role, Duration interval, Supplier<Stats> stats) {
        long startedAt = System.currentTimeMillis();
        String version = VersionProvider.version();
        Duration ttl = interval.multipliedBy(3);
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "node-report");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(() -> {
            try {
                Stats s = stats.get();
                store.reportNode(new NodeInfo(id, role, version, startedAt, s.clients(), s.users(), s.rooms()), ttl)
                        .whenComplete((v, e) -> {
                            if (e != null) {
                                log.debug("node report failed: {}", e.toString());
                            }
                        });
            } catch (RuntimeException e) {
                log.debug("node report failed: {}", e.toString());
            }
        }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Starts reporting {@code role} node {@code id} every {@code interval}. */
    static NodeReporter start(HotStore store, String id, String role, Duration interval, Supplier<Stats> stats) {
        requireNonNull(store, "store");
        requireNonNull(id, "id");
        requireNonNull(role, "role");
        requireNonNull(interval, "interval");
        requireNonNull(stats, "stats");
        return new NodeReporter(store, id, role, interval, stats);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
