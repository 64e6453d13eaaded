package io.danmaku.server.role;

import static java.util.Objects.requireNonNull;

import io.danmaku.server.admin.Readiness;
import io.danmaku.server.config.Config;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All tiers in one JVM: the gateway, logic and storage tiers over the in-memory bus and store.
 *
 * <p>Placeholder: the wiring of the tiers comes with the standalone issue; for now it only logs.
 */
public final class StandaloneRole implements Role {
    private static final Logger log = LoggerFactory.getLogger(StandaloneRole.class);

    @Override
    public void start(Config config, MeterRegistry registry, Readiness readiness) {
        requireNonNull(config, "config");
        requireNonNull(registry, "registry");
        requireNonNull(readiness, "readiness");
        log.info("Standalone role started (no tiers wired yet)");
    }

    @Override
    public void close() {
        log.info("Standalone role stopped");
    }
}
