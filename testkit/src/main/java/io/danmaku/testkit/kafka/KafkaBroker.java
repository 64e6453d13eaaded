package io.danmaku.testkit.kafka;

import static java.util.Objects.requireNonNull;

import io.danmaku.testkit.ChildProcesses;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real KRaft Kafka broker in a child JVM ({@link EmbeddedKafkaMain}) on two free loopback ports, started from
 * the current JVM's classpath (under Surefire the manifest-only booter jar, whose {@code Class-Path} lists every
 * test dependency, works as {@code -cp}).
 *
 * <p>{@link #launch()} returns once the broker printed its ready line (bounded by {@link #START_TIMEOUT}).
 * {@link #stop()} shuts it down cleanly and {@link #kill()} kills it hard; {@link #start()} brings it back on
 * the SAME ports with the SAME data directory, so clients reconnect by themselves and find every topic, record
 * and committed offset again. {@link #close()} stops the child by its PID (SIGTERM, then SIGKILL after
 * {@link #STOP_TIMEOUT}) and deletes the data directory. The child also stops by itself when this JVM dies,
 * because it watches its stdin pipe.
 *
 * <p>The child's output is appended to {@link #logFile()} ({@code target/kafka-broker-<port>.log} when the
 * working directory has a {@code target} directory, else in {@code java.io.tmpdir}); it is kept after
 * {@link #close()} and named in every failure.
 */
public final class KafkaBroker implements AutoCloseable {
    /** Longest wait for the ready line; measured starts take 1.5 s, a busy CI machine several. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** Longest wait for a clean stop before the child is killed. */
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
    private static final List<String> JVM_OPTIONS = List.of("-Xmx512m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1");
    private static final Logger log = LoggerFactory.getLogger(KafkaBroker.class);

    private final int port;
    private final int controllerPort;
    private final Path dataDir;
    private final Path logFile;
    private final EmbeddedKafkaMain.Tls tls;
    /** Guarded by this. */
    private Process process;
    /** Guarded by this. */
    private boolean closed;

    private KafkaBroker(int port, int controllerPort, Path dataDir, Path logFile, EmbeddedKafkaMain.Tls tls) {
        this.tls = tls;
        this.port = port;
        this.controllerPort = controllerPort;
        this.dataDir = dataDir;
        this.logFile = logFile;
    }

    /** Starts a broker on free loopback ports with a fresh data directory and waits until it serves. */
    public static KafkaBroker launch() {
        return launch(null, null, null, false);
    }

    /**
     * Starts a broker with an SSL listener besides the plaintext one ({@link #tlsBootstrapServers()}): its
     * certificate and key (PEM, the key unencrypted PKCS#8), and the authority whose client certificates it
     * accepts, required when {@code clientAuth}.
     */
    public static KafkaBroker launchWithTls(Path certFile, Path keyFile, Path caFile, boolean clientAuth) {
        return launch(requireNonNull(certFile, "certFile"), requireNonNull(keyFile, "keyFile"),
                requireNonNull(caFile, "caFile"), clientAuth);
    }

    private static KafkaBroker launch(Path certFile, Path keyFile, Path caFile, boolean clientAuth) {
        int[] ports = freePorts(3);
        Path base = Files.isDirectory(Path.of("target")) ? Path.of("target")
                : Path.of(System.getProperty("java.io.tmpdir"));
        Path dataDir;
        try {
            dataDir = Files.createTempDirectory(base.toAbsolutePath(), "kafka-" + ports[0] + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a Kafka data directory under " + base, e);
        }
        EmbeddedKafkaMain.Tls tls = certFile == null ? null : new EmbeddedKafkaMain.Tls(ports[2],
                certFile.toAbsolutePath(), keyFile.toAbsolutePath(), caFile.toAbsolutePath(), clientAuth);
        KafkaBroker broker = new KafkaBroker(ports[0], ports[1], dataDir,
                base.toAbsolutePath().resolve("kafka-broker-" + ports[0] + ".log"), tls);
        try {
            broker.start();
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
        return broker;
    }

    /** {@code 127.0.0.1:<port>}, the same across {@link #stop()} and {@link #start()}. */
    public String bootstrapServers() {
        return EmbeddedKafkaMain.HOST + ":" + port;
    }

    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:<port>} of the SSL listener; only for a broker from {@link #launchWithTls}. */
    public String tlsBootstrapServers() {
        if (tls == null) {
            throw new IllegalStateException("this broker has no SSL listener (expected: launchWithTls)");
        }
        return EmbeddedKafkaMain.HOST + ":" + tls.port();
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path logFile() {
        return logFile;
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /**
     * Starts the child (again) on the same ports and data directory and waits, at most {@link #START_TIMEOUT},
     * until it serves. Does nothing when it is running.
     */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("Kafka broker on port " + port + " is closed");
        }
        if (isRunning()) {
            return;
        }
        long logStart = logSize();
        long began = System.nanoTime();
        List<String> command = new ArrayList<>();
        command.add(ChildProcesses.javaExecutable());
        command.addAll(JVM_OPTIONS);
        command.add("-D" + EmbeddedKafkaMain.WATCH_STDIN_PROPERTY + "=true");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(EmbeddedKafkaMain.class.getName());
        command.add("serve");
        command.add(Integer.toString(port));
        command.add(Integer.toString(controllerPort));
        command.add(dataDir.toString());
        if (tls != null) {
            command.add(Integer.toString(tls.port()));
            command.add(tls.certFile().toString());
            command.add(tls.keyFile().toString());
            command.add(tls.caFile().toString());
            command.add(tls.clientAuth() ? "required" : "none");
        }
        try {
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the Kafka broker JVM (" + command.get(0) + ")", e);
        }
        awaitReady(logStart, began);
        log.info("Kafka broker {} ready in {} ms (pid {}, data {}, log {})", bootstrapServers(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began), process.pid(), dataDir, logFile);
    }

    /**
     * Stops the broker cleanly (its stdin is closed; SIGTERM, then SIGKILL if it does not exit within
     * {@link #STOP_TIMEOUT}) and keeps its data for {@link #start()}. Does nothing when it is not running.
     */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        Process p = process;
        process = null;
        try (OutputStream stdin = p.getOutputStream()) {
            stdin.flush();
        } catch (IOException e) {
            // The child is gone already.
        }
        if (!ChildProcesses.waitFor(p, STOP_TIMEOUT)) {
            ChildProcesses.terminate(p, STOP_TIMEOUT);
        }
        log.info("Kafka broker {} stopped (exit code {})", bootstrapServers(), p.isAlive() ? "none" : p.exitValue());
    }

    /**
     * Kills the broker at once (SIGKILL), like a crash; its data stays for {@link #start()}. The next start takes
     * about 9 s longer than after {@link #stop()}: the controller first waits for the killed broker's session
     * ({@code broker.session.timeout.ms}) to expire.
     */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        Process p = process;
        process = null;
        p.destroyForcibly();
        ChildProcesses.waitFor(p, STOP_TIMEOUT);
        log.info("Kafka broker {} killed", bootstrapServers());
    }

    /** Stops the child by its PID (SIGTERM, then SIGKILL after a bound) and deletes the data directory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (process != null) {
            Process p = process;
            process = null;
            ChildProcesses.terminate(p, STOP_TIMEOUT);
        }
        ChildProcesses.deleteRecursively(dataDir);
    }

    @Override
    public String toString() {
        return "KafkaBroker[" + bootstrapServers() + ", data=" + dataDir + ", log=" + logFile + "]";
    }

    private void awaitReady(long logStart, long began) {
        long deadline = began + START_TIMEOUT.toNanos();
        String expected = EmbeddedKafkaMain.READY + " " + bootstrapServers();
        while (true) {
            if (readLog(logStart).contains(expected)) {
                return;
            }
            if (!process.isAlive()) {
                int code = process.exitValue();
                process = null;
                throw new IllegalStateException("Kafka broker JVM exited with code " + code
                        + " before it was ready; log " + logFile + ":\n" + tail(logStart));
            }
            if (System.nanoTime() - deadline > 0) {
                Process p = process;
                process = null;
                ChildProcesses.terminate(p, STOP_TIMEOUT);
                throw new IllegalStateException("Kafka broker not ready within " + START_TIMEOUT.toSeconds()
                        + " s; log " + logFile + ":\n" + tail(logStart));
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                Process p = process;
                process = null;
                ChildProcesses.terminate(p, STOP_TIMEOUT);
                throw new IllegalStateException("interrupted while waiting for the Kafka broker", e);
            }
        }
    }

    private long logSize() {
        try {
            return Files.exists(logFile) ? Files.size(logFile) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private String readLog(long from) {
        try {
            if (!Files.exists(logFile)) {
                return "";
            }
            byte[] all = Files.readAllBytes(logFile);
            int start = (int) Math.min(from, all.length);
            return new String(all, start, all.length - start, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private String tail(long from) {
        String text = readLog(from);
        return text.length() <= 4000 ? text : "…" + text.substring(text.length() - 4000);
    }


    /** Distinct free ports on the loopback interface (all held open together, so they differ). */
    static int[] freePorts(int count) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                s.setReuseAddress(true);
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        } finally {
            for (ServerSocket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // Closing a listening socket that was never used cannot lose anything.
                }
            }
        }
    }
}
