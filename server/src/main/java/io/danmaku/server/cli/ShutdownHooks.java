package io.danmaku.server.cli;

import static java.util.Objects.requireNonNull;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a command registers what to run when the process is told to stop (SIGTERM, SIGINT). Tests pass their own
 * to trigger a shutdown without signals.
 */
@FunctionalInterface
public interface ShutdownHooks {
    /** Registers {@code drain}; the returned registration removes it (used when start fails). */
    Registration onShutdown(Runnable drain);

    /** A registered hook. */
    @FunctionalInterface
    interface Registration {
        /** Unregisters the hook; a no-op once it runs. */
        void cancel();
    }

    /**
     * JVM shutdown hooks. After {@code drain} returns, the hook halts the JVM with status 0 (1 if {@code drain}
     * threw): the shutdown was orderly, but a JVM stopped by a signal would otherwise report 128 + the signal
     * number. Everything a clean exit needs is done by then (logging is synchronous).
     */
    static ShutdownHooks jvm() {
        return drain -> {
            requireNonNull(drain, "drain");
            Thread hook = new Thread(() -> {
                int status = 0;
                try {
                    drain.run();
                } catch (RuntimeException | Error e) {
                    LoggerFactory.getLogger(ShutdownHooks.class).error("Shutdown failed", e);
                    status = 1;
                }
                Runtime.getRuntime().halt(status);
            }, "danmaku-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            return () -> {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    Logger log = LoggerFactory.getLogger(ShutdownHooks.class);
                    log.debug("Shutdown already in progress; hook stays", shuttingDown);
                }
            };
        };
    }
}
