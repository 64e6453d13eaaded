package io.danmaku.server.admin;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.danmaku.server.ListenException;
import io.danmaku.server.http.HttpTls;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP server: {@code GET /metrics} (Prometheus text), {@code GET /healthz} (200 {@code ok} while the
 * process runs, whatever Kafka or Redis do: a liveness probe must not restart a process for an outage it cannot
 * fix), {@code GET /readyz} (200 {@code ready}, or 503 {@code starting} / {@code draining} /
 * {@code unavailable: kafka}, see {@link Readiness}); 404 for any other path, 405 for any other method. Runs on the JDK's HTTP server with two daemon threads of its own.
 */
public final class AdminServer implements AutoCloseable {
    /** The Prometheus text exposition format that {@link PrometheusMeterRegistry#scrape()} writes. */
    static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final Duration STOP_GRACE = Duration.ofSeconds(1);
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    private final HttpServer server;
    private final ExecutorService executor;
    private final PrometheusMeterRegistry registry;
    private final Readiness readiness;
    private final HttpTls tls;

    private AdminServer(HttpServer server, ExecutorService executor, PrometheusMeterRegistry registry, Readiness readiness,
                        HttpTls tls) {
        this.tls = tls;
        this.server = server;
        this.executor = executor;
        this.registry = registry;
        this.readiness = readiness;
    }

    /**
     * Binds {@code host:port} ({@code 0} = any free port, see {@link #port()}) and starts serving.
     *
     * @throws ListenException when the address cannot be bound, naming the key, the address and the cause
     */
    public static AdminServer start(String host, int port, PrometheusMeterRegistry registry, Readiness readiness) {
        return start(host, port, registry, readiness, null);
    }

    /**
     * Binds {@code host:port} and starts serving, over TLS when {@code tls} is set (closed with the server).
     *
     * @throws ListenException when the address cannot be bound, naming the key, the address and the cause
     */
    public static AdminServer start(String host, int port, PrometheusMeterRegistry registry, Readiness readiness,
                                    HttpTls tls) {
        requireNonNull(host, "host");
        requireNonNull(registry, "registry");
        requireNonNull(readiness, "readiness");
        HttpServer server;
        try {
            server = HttpTls.create(new InetSocketAddress(host, port), 0, tls);
        } catch (IOException e) {
            if (tls != null) {
                tls.close();
            }
            throw ListenException.of("admin.port", host, port, e);
        }
        AtomicInteger threads = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(2, task -> {
            Thread thread = new Thread(task, "danmaku-admin-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        AdminServer admin = new AdminServer(server, executor, registry, readiness, tls);
        server.createContext("/", admin::handle);
        server.setExecutor(executor);
        server.start();
        log.info("Admin {} server listening on {}:{} (/metrics, /healthz, /readyz)", tls == null ? "HTTP" : "HTTPS",
                host, admin.port());
        return admin;
    }

    /** The bound port (the chosen one when started with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Stops listening and answering; requests in flight are cut (they are tiny, and probes retry). */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (tls != null) {
            tls.close();
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            boolean known = path.equals("/metrics") || path.equals("/healthz") || path.equals("/readyz");
            if (!known) {
                respond(exchange, 404, TEXT, "not found\n");
            } else if (!"GET".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().set("Allow", "GET");
                respond(exchange, 405, TEXT, "method not allowed\n");
            } else if (path.equals("/metrics")) {
                respond(exchange, 200, METRICS_CONTENT_TYPE, registry.scrape());
            } else if (path.equals("/healthz")) {
                respond(exchange, 200, TEXT, "ok\n");
            } else {
                Readiness.Report report = readiness.report();
                respond(exchange, report.ready() ? 200 : 503, TEXT, report.label() + "\n");
            }
        }
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
