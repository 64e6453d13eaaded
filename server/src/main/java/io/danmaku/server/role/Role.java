package io.danmaku.server.role;

import io.danmaku.server.admin.Readiness;
import io.danmaku.server.config.Config;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What a {@code danmaku} process runs. The lifecycle ({@code io.danmaku.server.cli.RoleRunner}) calls
 * {@link #prepare} before it binds anything, then {@link #start} once, marks the process ready when it returns,
 * and on shutdown marks it draining and calls {@link #close()}.
 */
public interface Role extends AutoCloseable {
    /**
     * Reads and validates the role's configuration: builds every config record, checks the seams' types, reads
     * key files. Binds no port and connects to nothing, so a bad setting is reported before any port is taken.
     * {@link #start} calls it itself when it was not called.
     *
     * @throws io.danmaku.server.config.ConfigException naming the key, the value and what was expected
     */
    default void prepare(Config config) {
    }

    /**
     * Builds and starts the role's components; returns once they serve (ports bound, subscriptions made).
     * May block. A bad setting found here is reported as a {@link io.danmaku.server.config.ConfigException}
     * (exit status 2); any other exception aborts the start (exit status 1), after {@link #close()}.
     *
     * @param config the resolved configuration ({@link io.danmaku.server.config.DanmakuKeys})
     * @param registry where the role's meters go; it is scraped at {@code /metrics}
     * @param readiness already {@link Readiness.State#STARTING}; the role may mark it draining if it can no longer
     *        serve, and makes it depend on the services it cannot serve without
     *        ({@code readiness.require("kafka", bus::reachable)}), but need not mark it ready
     */
    void start(Config config, MeterRegistry registry, Readiness readiness);

    /**
     * Drains and stops: stop accepting, close connections over the drain window, flush, release resources.
     * Blocks until done. Called once, also after a failed or partial {@link #start}; must not throw for parts
     * never started.
     */
    @Override
    void close();
}
