package io.danmaku.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every server testkit starts as a child process needs: the JVM to start it with, a bounded stop, and the
 * removal of its data directory afterwards.
 */
public final class ChildProcesses {
    private static final Logger log = LoggerFactory.getLogger(ChildProcesses.class);

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

    /** Deletes {@code dir} and everything below it; what cannot be deleted is logged, not thrown. */
    public static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    log.warn("cannot delete {}: {}", path, e.toString());
                }
            });
        } catch (IOException e) {
            log.warn("cannot delete the directory {}: {}", dir, e.toString());
        }
    }
}
