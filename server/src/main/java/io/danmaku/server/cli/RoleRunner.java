package io.danmaku.server.cli;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.tls.TlsFiles;
import io.danmaku.server.admin.AdminServer;
import io.danmaku.server.admin.JvmMetrics;
import io.danmaku.server.admin.Readiness;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.ConfigException;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.server.http.HttpTls;
import io.danmaku.server.role.Role;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link Role} through the process lifecycle. {@link #start()}: log the effective configuration, let the
 * role validate it ({@link Role#prepare}, nothing bound yet), create the meter registry with the JVM meters, start
 * the admin server ({@code admin.host:admin.port}), start the role,
 * mark ready. {@link #close()}: mark draining, close the role (which drains), stop the admin server. Start and close
 * are serialized, and close is idempotent, so a shutdown signal during start waits for it and then drains.
 */
public final class RoleRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RoleRunner.class);

    private final Config config;
    private final Role role;
    private final Readiness readiness = new Readiness();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private JvmMetrics jvmMetrics;
    private AdminServer admin;
    private boolean started;
    private boolean closed;

    public RoleRunner(Config config, Role role) {
        this.config = requireNonNull(config, "config");
        this.role = requireNonNull(role, "role");
    }

    /**
     * Validates the role's configuration, starts the admin server and the role, then marks the process ready. On
     * failure everything started is closed and the exception is rethrown (a checked one that a transport throws
     * undeclared, such as Netty's bind failure, unchanged as well).
     *
     * @throws IllegalStateException when called twice or after {@link #close()}
     */
    public synchronized void start() {
        if (started || closed) {
            throw new IllegalStateException("runner: " + (closed ? "closed" : "started") + " (expected: new)");
        }
        started = true;
        log.info("Starting {} with the effective configuration:\n{}", role.getClass().getSimpleName(), config.describe());
        try {
            role.prepare(config);
            jvmMetrics = JvmMetrics.bindTo(registry);
            TlsFiles adminTls = HttpTls.files(config, DanmakuKeys.ADMIN_TLS_CERT_FILE, DanmakuKeys.ADMIN_TLS_KEY_FILE,
                    DanmakuKeys.TLS_RELOAD_INTERVAL);
            admin = AdminServer.start(config.getString(DanmakuKeys.ADMIN_HOST).orElseThrow(),
                    config.getInt(DanmakuKeys.ADMIN_PORT), registry, readiness,
                    adminTls == null ? null : openTls(adminTls));
            role.start(config, registry, readiness);
        } catch (Throwable e) {
            close();
            throw e;
        }
        if (readiness.markReady()) {
            log.info("{} ready", role.getClass().getSimpleName());
        }
    }

    /** The admin port's TLS; a file that cannot be used is a configuration error (exit status 2). */
    private HttpTls openTls(TlsFiles files) {
        try {
            return HttpTls.open(files, "admin", registry);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    /** Drains: marks the process not ready, closes the role, stops the admin server. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        readiness.markDraining();
        if (started) {
            log.info("Draining {}", role.getClass().getSimpleName());
            try {
                role.close();
            } catch (RuntimeException e) {
                log.warn("{} failed to close cleanly", role.getClass().getSimpleName(), e);
            }
        }
        if (admin != null) {
            admin.close();
            admin = null;
        }
        if (jvmMetrics != null) {
            jvmMetrics.close();
        }
        registry.close();
        log.info("Stopped");
    }

    public Readiness readiness() {
        return readiness;
    }

    /** The admin server's port, while it runs. */
    public synchronized int adminPort() {
        if (admin == null) {
            throw new IllegalStateException("admin server: not started");
        }
        return admin.port();
    }
}
