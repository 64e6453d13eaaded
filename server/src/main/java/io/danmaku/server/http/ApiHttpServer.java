package io.danmaku.server.http;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.danmaku.protocol.api.ApiRequest;
import io.danmaku.protocol.api.ApiResponse;
import io.danmaku.protocol.api.HttpApi;
import io.danmaku.server.ListenException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server of the roles that serve an {@link HttpApi} on a port of their own (logic's server API on 8081,
 * storage's history API on 8082): hands every request to the API and writes its response back. It runs on the JDK's
 * HTTP server with {@value #THREADS} threads of its own, off every hot path; responses are written when the API's future
 * completes, so a slow read holds no thread. The request path is percent-decoded; the query's parameters are
 * decoded as a form ({@code +} is a space) and the first value of each is kept; header names are lower-cased; a
 * body over {@value #MAX_BODY_BYTES} bytes is refused with 413.
 */
public final class ApiHttpServer implements AutoCloseable {
    public static final int MAX_BODY_BYTES = 64 * 1024;
    static final int THREADS = 2;
    private static final int BACKLOG = 128;
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();
    private static final Logger log = LoggerFactory.getLogger(ApiHttpServer.class);

    private final HttpServer server;
    private final ExecutorService executor;
    private final HttpApi api;
    private final HttpTls tls;

    private ApiHttpServer(HttpServer server, ExecutorService executor, HttpApi api, HttpTls tls) {
        this.server = server;
        this.executor = executor;
        this.api = api;
        this.tls = tls;
    }

    /**
     * Binds {@code host:port} (port 0 = any free port) and serves {@code api}.
     *
     * @param portKey the configuration key of the port, named when it cannot be bound
     * @throws ListenException when the address cannot be bound
     */
    public static ApiHttpServer start(String name, String portKey, String host, int port, HttpApi api) {
        return start(name, portKey, host, port, api, null);
    }

    /**
     * Binds {@code host:port} (port 0 = any free port) and serves {@code api}, over TLS when {@code tls} is set
     * (closed with the server).
     *
     * @throws ListenException when the address cannot be bound
     */
    public static ApiHttpServer start(String name, String portKey, String host, int port, HttpApi api, HttpTls tls) {
        requireNonNull(name, "name");
        requireNonNull(portKey, "portKey");
        requireNonNull(host, "host");
        requireNonNull(api, "api");
        HttpServer server;
        try {
            server = HttpTls.create(new InetSocketAddress(host, port), BACKLOG, tls);
        } catch (IOException e) {
            if (tls != null) {
                tls.close();
            }
            throw ListenException.of(portKey, host, port, e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(THREADS, r -> {
            Thread t = new Thread(r, "danmaku-" + name.replace(' ', '-') + "-http-" + THREAD_IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        ApiHttpServer s = new ApiHttpServer(server, executor, api, tls);
        server.setExecutor(executor);
        server.createContext("/", s::serve);
        server.start();
        log.info("{} listening on {} ({})", name, server.getAddress(), tls == null ? "HTTP" : "HTTPS");
        return s;
    }

    /** The bound address (with the actual port). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Stops at once: reads in progress are cut off (clients retry; a history read changes nothing). */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        if (tls != null) {
            tls.close();
        }
    }

    private void serve(HttpExchange exchange) {
        ApiRequest request;
        try {
            Map<String, String> query;
            try {
                query = query(exchange.getRequestURI().getRawQuery());
            } catch (IllegalArgumentException e) {
                send(exchange, ApiResponse.json(400,
                        "{\"error\":{\"code\":107,\"message\":\"bad request: malformed query string\"}}"));
                return;
            }
            byte[] body = body(exchange);
            if (body == null) {
                send(exchange, ApiResponse.json(413, "{\"error\":{\"code\":107,\"message\":\"bad request: body over "
                        + MAX_BODY_BYTES + " bytes\"}}"));
                return;
            }
            Map<String, String> headers = new HashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> {
                if (!values.isEmpty()) {
                    headers.putIfAbsent(name.toLowerCase(Locale.ROOT), values.get(0));
                }
            });
            request = new ApiRequest(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), query,
                    headers, body);
        } catch (IOException | RuntimeException e) {
            log.debug("HTTP: reading a request failed", e);
            send(exchange, internalError());
            return;
        }
        CompletableFuture<ApiResponse> response;
        try {
            response = api.handle(request);
        } catch (RuntimeException e) {
            response = CompletableFuture.failedFuture(e);
        }
        response.whenComplete((r, e) -> {
            if (e != null || r == null) {
                log.warn("HTTP: request {} failed", request.path(), e);
            }
            send(exchange, e == null && r != null ? r : internalError());
        });
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            query.putIfAbsent(name, value);
        }
        return query;
    }

    /** The request body, or null when it is larger than allowed. */
    private static byte[] body(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            return body.length > MAX_BODY_BYTES ? null : body;
        }
    }

    private static ApiResponse internalError() {
        return ApiResponse.json(500, "{\"error\":{\"code\":100,\"message\":\"internal server error\"}}");
    }

    private static void send(HttpExchange exchange, ApiResponse response) {
        try (exchange) {
            exchange.getResponseHeaders().put("Content-Type", List.of(response.contentType()));
            exchange.getResponseHeaders().put("Cache-Control", List.of("no-cache"));
            response.headers().forEach((name, value) -> exchange.getResponseHeaders().put(name, List.of(value)));
            boolean head = "HEAD".equalsIgnoreCase(exchange.getRequestMethod());
            byte[] body = response.body();
            exchange.sendResponseHeaders(response.status(), head || body.length == 0 ? -1 : body.length);
            if (!head && body.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        } catch (IOException e) {
            log.debug("HTTP: writing a response failed (client gone?)", e);
        }
    }

    @Override
    public String toString() {
        return "ApiHttpServer[" + server.getAddress() + ", api=" + api + "]";
    }
}
