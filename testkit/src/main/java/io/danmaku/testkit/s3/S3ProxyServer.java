package io.danmaku.testkit.s3;

import io.danmaku.testkit.ChildProcesses;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real S3 API server for tests: S3Proxy (Maven Central {@code org.gaul:s3proxy}, its all-in-one jar) with its
 * filesystem backend over a temporary directory, in a child JVM on a free loopback port. Requests must be signed
 * (AWS signature v2 or v4) with {@link #accessKey()} and {@link #secretKey()}, as against S3; any region works,
 * and buckets are addressed path-style ({@code http://127.0.0.1:<port>/<bucket>/<key>}).
 *
 * <p>{@link #launch()} returns once the server answers HTTP (bounded by {@link #START_TIMEOUT}). {@link #stop()}
 * stops the child (an outage) and {@link #start()} brings it back on the same port with the same objects.
 * {@link #close()}
 * stops the child by its PID (SIGTERM, then SIGKILL after {@link #STOP_TIMEOUT}) and deletes the data directory;
 * a shutdown hook does the same when the test JVM ends without closing it. The child's output goes to
 * {@link #logFile()} ({@code target/s3proxy-<port>.log} when the working directory has a {@code target}
 * directory, else in {@code java.io.tmpdir}), kept after close and named in every failure.
 *
 * <p>The jar is found through the system property {@value #JAR_PROPERTY}, else in the local Maven repository
 * where the testkit build resolved it ({@code s3proxy.properties} next to this class).
 */
public final class S3ProxyServer implements AutoCloseable {
    /** System property: path of the S3Proxy all-in-one jar, instead of the one in the local Maven repository. */
    public static final String JAR_PROPERTY = "danmaku.s3proxy.jar";
    /** Longest wait until the server answers; measured starts take about 2 s. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** Longest wait for the child to exit after SIGTERM before it is killed. */
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
    /** Any region is accepted; this is the one tests should name. */
    public static final String REGION = "us-east-1";
    private static final String ACCESS_KEY = "danmaku-test-access";
    private static final String SECRET_KEY = "danmaku-test-secret-key";
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1");
    private static final Logger log = LoggerFactory.getLogger(S3ProxyServer.class);

    private final int port;
    private final Path dir;
    private final Path dataDir;
    private final Path logFile;
    private final List<String> command;
    private final Thread stopAtExit;
    /** Written under this (read by the exit hook too); null while stopped. */
    private volatile Process process;
    /** Guarded by this. */
    private boolean closed;

    private S3ProxyServer(int port, Path dir, Path logFile, List<String> command) {
        this.port = port;
        this.dir = dir;
        this.dataDir = dir.resolve("data");
        this.logFile = logFile;
        this.command = List.copyOf(command);
        this.stopAtExit = new Thread(this::destroyAtExit, "s3proxy-" + port + "-stop");
        Runtime.getRuntime().addShutdownHook(stopAtExit);
    }

    private void destroyAtExit() {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
        }
    }

    /** Starts a server on a free loopback port with an empty data directory and waits until it answers. */
    public static S3ProxyServer launch() {
        Path jar = jar();
        int port = freePort();
        Path base = Files.isDirectory(Path.of("target")) ? Path.of("target").toAbsolutePath()
                : Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
        Path dir;
        try {
            dir = Files.createTempDirectory(base, "s3proxy-" + port + "-");
            Files.createDirectories(dir.resolve("data"));
            Properties p = new Properties();
            p.setProperty("s3proxy.endpoint", "http://127.0.0.1:" + port);
            p.setProperty("s3proxy.authorization", "aws-v2-or-v4");
            p.setProperty("s3proxy.identity", ACCESS_KEY);
            p.setProperty("s3proxy.credential", SECRET_KEY);
            p.setProperty("jclouds.provider", "filesystem-nio2");
            p.setProperty("jclouds.identity", ACCESS_KEY);
            p.setProperty("jclouds.credential", SECRET_KEY);
            p.setProperty("jclouds.filesystem.basedir", dir.resolve("data").toString());
            try (Writer w = Files.newBufferedWriter(dir.resolve("s3proxy.properties"))) {
                p.store(w, "S3Proxy for tests");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare an S3Proxy directory under " + base, e);
        }
        Path logFile = base.resolve("s3proxy-" + port + ".log");
        List<String> command = new ArrayList<>();
        command.add(ChildProcesses.javaExecutable());
        command.addAll(JVM_OPTIONS);
        command.add("-jar");
        command.add(jar.toString());
        command.add("--properties");
        command.add(dir.resolve("s3proxy.properties").toString());
        S3ProxyServer server = new S3ProxyServer(port, dir, logFile, command);
        try {
            server.start();
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
        return server;
    }

    /**
     * Starts the child (again) on the same port and data directory and waits, at most {@link #START_TIMEOUT},
     * until it answers. Does nothing when it is running.
     */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("S3Proxy on port " + port + " is closed");
        }
        if (process != null && process.isAlive()) {
            return;
        }
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        builder.environment().put("LOG_LEVEL", "warn");
        long began = System.nanoTime();
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the S3Proxy JVM (" + command.get(0) + ")", e);
        }
        try {
            awaitReady(began);
        } catch (RuntimeException | Error e) {
            ChildProcesses.terminate(process, STOP_TIMEOUT);
            process = null;
            throw e;
        }
        log.info("S3Proxy {} ready in {} ms (pid {}, data {}, log {})", endpoint(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began), process.pid(), dataDir, logFile);
    }

    /** Stops the child by its PID (an outage); its objects stay for {@link #start()}. */
    public synchronized void stop() {
        if (process != null) {
            ChildProcesses.terminate(process, STOP_TIMEOUT);
            process = null;
        }
    }

    /** {@code http://127.0.0.1:<port>}: the endpoint to point an S3 client at, path-style. */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public String accessKey() {
        return ACCESS_KEY;
    }

    public String secretKey() {
        return SECRET_KEY;
    }

    public String region() {
        return REGION;
    }

    /** The backend's directory: one subdirectory per bucket, one file per object. */
    public Path dataDir() {
        return dataDir;
    }

    public Path logFile() {
        return logFile;
    }

    /** The child's PID, or -1 while stopped. */
    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    public synchronized boolean isRunning() {
        return !closed && process != null && process.isAlive();
    }

    /**
     * Creates an empty, private bucket (a directory of the filesystem backend, which serves it at once) and
     * returns its name; an existing bucket keeps its objects.
     */
    public String createBucket(String name) {
        if (!BUCKET.matcher(name).matches()) {
            throw new IllegalArgumentException("bucket: \"" + name + "\" (expected: 3..63 of a-z 0-9 . -)");
        }
        try {
            Path bucket = Files.createDirectories(dataDir.resolve(name));
            // the filesystem backend reads a directory that others may read as a public-read bucket
            Files.setPosixFilePermissions(bucket, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create bucket " + name + " under " + dataDir, e);
        }
        return name;
    }

    /** Stops the child by its PID (SIGTERM, then SIGKILL after a bound) and deletes its directory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (process != null) {
            ChildProcesses.terminate(process, STOP_TIMEOUT);
            process = null;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(stopAtExit);
        } catch (IllegalStateException e) {
            // the JVM is shutting down already; the hook is harmless
        }
        ChildProcesses.deleteRecursively(dir);
    }

    @Override
    public String toString() {
        return "S3ProxyServer[" + endpoint() + ", data=" + dataDir + ", log=" + logFile + "]";
    }

    private void awaitReady(long began) {
        long deadline = began + START_TIMEOUT.toNanos();
        while (true) {
            if (answersHttp()) {
                return;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("S3Proxy JVM exited with code " + process.exitValue()
                        + " before it was ready; log " + logFile + ":\n" + tail());
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("S3Proxy not ready within " + START_TIMEOUT.toSeconds()
                        + " s; log " + logFile + ":\n" + tail());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for S3Proxy", e);
            }
        }
    }

    /** Whether the port answers an HTTP request with a status line (an unsigned request gets 403, like S3). */
    private boolean answersHttp() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            s.setSoTimeout(2000);
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            byte[] head = in.readNBytes(12);
            return new String(head, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 ");
        } catch (IOException e) {
            return false;
        }
    }

    private String tail() {
        try {
            String text = Files.readString(logFile, StandardCharsets.UTF_8);
            return text.length() <= 4000 ? text : "…" + text.substring(text.length() - 4000);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** The all-in-one jar: {@value #JAR_PROPERTY}, else where the testkit build resolved it. */
    static Path jar() {
        String explicit = System.getProperty(JAR_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            if (!Files.isRegularFile(p)) {
                throw new IllegalStateException(JAR_PROPERTY + ": " + p + " (expected: the S3Proxy jar-with-dependencies)");
            }
            return p;
        }
        Properties p = new Properties();
        try (InputStream in = S3ProxyServer.class.getResourceAsStream("s3proxy.properties")) {
            if (in == null) {
                throw new IllegalStateException("testkit resource io/danmaku/testkit/s3/s3proxy.properties missing"
                        + " (expected: written by the testkit build)");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read s3proxy.properties", e);
        }
        Path jar = Path.of(p.getProperty("jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("S3Proxy " + p.getProperty("version") + " not found at " + jar
                    + " (expected: resolved by building testkit online once: ./mvnw -pl testkit install;"
                    + " or set -D" + JAR_PROPERTY + "=<jar>)");
        }
        return jar;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }
}
