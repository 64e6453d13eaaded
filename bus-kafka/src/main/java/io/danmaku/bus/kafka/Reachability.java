package io.danmaku.bus.kafka;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background check behind {@link KafkaMessageBus#reachable()}: every {@link #INTERVAL} one
 * {@code DescribeCluster} round trip through an admin client of its own, which only a live broker answers; the
 * result is kept for {@link #reachable()} to read without I/O. Starts reachable (the bus reached Kafka before it
 * starts this). Logs each change once: WARN when Kafka stops answering, INFO when it answers again.
 */
final class Reachability implements AutoCloseable {
    /** Time between two checks. */
    static final Duration INTERVAL = Duration.ofSeconds(5);
    /** Longest wait for one check's answer; longer is unreachable. */
    static final Duration TIMEOUT = Duration.ofSeconds(4);
    private static final Logger log = LoggerFactory.getLogger(Reachability.class);

    private final String bootstrapServers;
    private final Admin admin;
    private final ScheduledExecutorService executor;
    private volatile boolean reachable = true;

    Reachability(KafkaBusConfig config, String threadName) {
        requireNonNull(config, "config");
        requireNonNull(threadName, "threadName");
        this.bootstrapServers = config.bootstrapServers();
        this.admin = Admin.create(TopicSetup.adminProperties(config, TIMEOUT.toMillis()));
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, threadName);
            thread.setDaemon(true);
            return thread;
        });
        pool.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.executor = pool;
        executor.scheduleWithFixedDelay(this::check, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean reachable() {
        return reachable;
    }

    private void check() {
        boolean now;
        String failure = null;
        try {
            Collection<Node> nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) TIMEOUT.toMillis()))
                    .nodes().get(TIMEOUT.toMillis() + 1_000, TimeUnit.MILLISECONDS);
            now = !nodes.isEmpty();
            if (!now) {
                failure = "no broker in the cluster description";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            now = false;
            failure = e.getCause() != null ? e.getCause().toString() : e.toString();
        }
        if (now != reachable) {
            reachable = now;
            if (now) {
                log.info("Kafka at {} reachable again", bootstrapServers);
            } else {
                log.warn("Kafka at {} not reachable ({}); this process reports itself not ready until it is",
                        bootstrapServers, failure);
            }
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(TIMEOUT.toMillis() + 2_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(1));
    }
}
