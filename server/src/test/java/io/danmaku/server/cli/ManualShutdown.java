package io.danmaku.server.cli;

/** Shutdown hooks a test triggers itself, standing in for SIGTERM. */
final class ManualShutdown implements ShutdownHooks {
    volatile Runnable drain;
    volatile boolean cancelled;

    @Override
    public Registration onShutdown(Runnable drain) {
        this.drain = drain;
        return () -> cancelled = true;
    }

    /** Runs the registered hook as the JVM would on SIGTERM. */
    void signal() {
        drain.run();
    }
}
