package io.danmaku.testkit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** What every server testkit starts as a child process needs: the JVM to start it with, and a bounded stop. */
public final class ChildProcesses {
    private ChildProcesses() {
    }

    /** The {@code java} of the running JVM, so a child runs on the same Java as the tests. */
    public static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** Asks {@code p} to stop (SIGTERM), then kills it if it has not ended within {@code timeout}. */
    public static void terminate(Process p, Duration timeout) {
        p.destroy();
        if (!waitFor(p, timeout)) {
            p.destroyForcibly();
            waitFor(p, timeout);
        }
    }

    /** Whether {@code p} ended within {@code timeout}; an interrupted wait kills it and keeps the interrupt. */
    public static boolean waitFor(Process p, Duration timeout) {
        try {
            return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return false;
        }
    }
}
