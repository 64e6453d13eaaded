package io.danmaku.testkit.redis;

import static java.util.Objects.requireNonNull;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One plain (non-cluster) Redis node that speaks TLS only: Debian's {@code redis-server} with {@code --port 0} and a
 * TLS port on 127.0.0.1, its certificate and key (PEM; the key unencrypted PKCS#8), the authority of its clients'
 * certificates, required when {@code authClients}. A child process of the test JVM, ended by {@link #close()}.
 */
public final class TlsRedis implements AutoCloseable {
    private final Process process;
    private final int port;

    private TlsRedis(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * Starts the node and returns once it accepts connections.
     *
     * @param dir its working directory (nothing is persisted)
     */
    public static TlsRedis start(Path dir, Path certFile, Path keyFile, Path caFile, boolean authClients) {
        requireNonNull(dir, "dir");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
        List<String> command = List.of("redis-server", "--bind", "127.0.0.1", "--port", "0",
                "--tls-port", String.valueOf(port), "--tls-cert-file", certFile.toString(),
                "--tls-key-file", keyFile.toString(), "--tls-ca-cert-file", caFile.toString(),
                "--tls-auth-clients", authClients ? "yes" : "no", "--save", "", "--appendonly", "no",
                "--dir", dir.toString(), "--daemonize", "no");
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server (is Debian's redis-server installed?)", e);
        }
        TlsRedis redis = new TlsRedis(process, port);
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        try {
            for (String line; (line = out.readLine()) != null; ) {
                seen.append(line).append('\n');
                if (line.contains("Ready to accept connections")) {
                    drain(out, port);
                    return redis;
                }
            }
        } catch (IOException e) {
            redis.close();
            throw new UncheckedIOException("reading redis-server's output", e);
        }
        redis.close();
        throw new IllegalStateException("redis-server exited before it was ready:\n" + seen);
    }

    /** {@code rediss://127.0.0.1:<port>}. */
    public String uri() {
        return "rediss://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** Ends the process (SIGTERM, then SIGKILL after 10 s). */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Keeps reading the node's output so that it never blocks on a full pipe. */
    private static void drain(BufferedReader out, int port) {
        Thread t = new Thread(() -> {
            try {
                while (out.readLine() != null) {
                    // discarded
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "redis-tls-" + port + "-output");
        t.setDaemon(true);
        t.start();
    }
}
