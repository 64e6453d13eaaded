package io.danmaku.server.cluster;

import io.danmaku.server.Main;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code danmaku storage} as its own process, started the way the launcher does ({@link Main} with
 * {@code --set} flags) from this JVM's class path, so it can be killed like a crashed pod. Its output goes to a
 * log file under {@code target/}; it is ready once its admin server answers {@code /readyz} with 200. Only the
 * process this object started is ever killed, by its handle.
 */
final class StorageProcess implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final Path log;

    private StorageProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts the process with {@code settings} ({@code key=value}) and waits until it is ready. */
    static StorageProcess start(String name, List<String> settings) {
        int adminPort = ClusterStack.freePort();
        Path dir = Files.isDirectory(Path.of("target")) ? Path.of("target")
                : Path.of(System.getProperty("java.io.tmpdir"));
        Path log = dir.toAbsolutePath().resolve("storage-" + name + ".log");
        List<String> command = new ArrayList<>(List.of(javaExecutable(), "-Xmx256m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "storage"));
        for (String s : settings) {
            command.add("--set");
            command.add(s);
        }
        command.add("--set");
        command.add("admin.host=127.0.0.1");
        command.add("--set");
        command.add("admin.port=" + adminPort);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        builder.environment().keySet().removeIf(k -> k.startsWith("DANMAKU_"));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the storage process", e);
        }
        // a test JVM that ends without closing it (a failed run) still takes it along
        Process started = process;
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly, "storage-process-stop"));
        StorageProcess storage = new StorageProcess(process, log);
        try {
            storage.awaitReady(adminPort);
        } catch (RuntimeException | Error e) {
            storage.close();
            throw e;
        }
        return storage;
    }

    /** Kills the process at once (SIGKILL), like a crash, and waits until it is gone. */
    void kill() {
        process.destroyForcibly();
        await(process);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Path log() {
        return log;
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
            await(process);
        }
    }

    private void awaitReady(int adminPort) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest readyz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/readyz"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new AssertionError("storage process exited with " + process.exitValue()
                        + " before it was ready; log " + log + ":\n" + tail());
            }
            try {
                if (http.send(readyz, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for the storage process", e);
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("storage process not ready within " + READY_TIMEOUT + "; log " + log
                        + ":\n" + tail());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for the storage process", e);
            }
        }
    }

    private String tail() {
        try {
            String text = Files.readString(log, StandardCharsets.UTF_8);
            return text.length() <= 4000 ? text : "…" + text.substring(text.length() - 4000);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static void await(Process p) {
        try {
            if (!p.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("process " + p.pid() + " did not exit within " + EXIT_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for process " + p.pid(), e);
        }
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
