package io.danmaku.gateway.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.json.Json;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the Centrifugo protocol's {@code rpc} and {@code send} commands to the application's backend over HTTP, in
 * the shape of Centrifugo's RPC proxy: a {@code POST} of
 * {@code {"client","transport","protocol","encoding":"json","user","method","data"}} ({@code method} for rpc only;
 * {@code data} the command's data as JSON). An rpc's answer is {@code {"result":{"data":…}}},
 * {@code {"error":{"code","message","temporary"}}} or {@code {"disconnect":{"code","reason"}}}; anything else (a
 * status other than 200, a body that is not such an object, no answer within the timeout, no connection) is error
 * 100 for the client, counted by what went wrong. A send's answer is ignored.
 *
 * <p>Asynchronous throughout (the JDK's HTTP client on two threads of its own): callers get a future and hand its
 * result back to their event loop. Thread-safe; one per gateway.
 */
public final class BackendProxy implements AutoCloseable {
    /** Centrifugo's "internal server error". */
    public static final int ERROR_INTERNAL = 100;
    private static final Logger log = LoggerFactory.getLogger(BackendProxy.class);

    private final BackendConfig config;
    private final MeterRegistry meters;
    private final ExecutorService executor;
    private final HttpClient http;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public BackendProxy(BackendConfig config, MeterRegistry meters) {
        this.config = config;
        this.meters = meters;
        if (config.rpcUrl() == null && config.sendUrl() == null) {
            executor = null;
            http = null;
        } else {
            AtomicInteger n = new AtomicInteger();
            executor = Executors.newFixedThreadPool(2, r -> {
                Thread t = new Thread(r, "danmaku-backend-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            http = HttpClient.newBuilder()
                    .executor(executor)
                    .connectTimeout(config.timeout())
                    .version(HttpClient.Version.HTTP_1_1)
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
        }
    }

    public BackendConfig config() {
        return config;
    }

    public boolean rpcEnabled() {
        return config.rpcUrl() != null;
    }

    public boolean sendEnabled() {
        return config.sendUrl() != null;
    }

    /**
     * Calls the backend's rpc endpoint; the future always completes normally (failures are {@link RpcAnswer.Error}
     * 100), on a backend thread.
     *
     * @param data the command's data, or null
     */
    public CompletableFuture<RpcAnswer> rpc(BackendCall call, String method, JsonNode data) {
        if (!rpcEnabled()) {
            throw new IllegalStateException("gateway.backend.rpc-url is not set");
        }
        return post(config.rpcUrl(), body(call, method, data)).handle((res, err) -> {
            RpcAnswer answer;
            String outcome;
            if (err != null) {
                Throwable cause = unwrap(err);
                boolean timeout = cause instanceof HttpTimeoutException || cause instanceof TimeoutException;
                outcome = timeout ? "timeout" : "failed";
                log.debug("rpc {} to the backend failed: {}", method, cause.toString());
                answer = internal();
            } else if (res.statusCode() != 200) {
                outcome = "status";
                log.debug("rpc {}: backend answered HTTP {}", method, res.statusCode());
                answer = internal();
            } else {
                answer = parse(res.body());
                outcome = answer == null ? "bad_response" : answer instanceof RpcAnswer.Result ? "ok"
                        : answer instanceof RpcAnswer.Error ? "error" : "disconnect";
                if (answer == null) {
                    log.debug("rpc {}: unreadable backend answer ({} bytes)", method, res.body().length);
                    answer = internal();
                }
            }
            count("rpc", outcome);
            return answer;
        });
    }

    /** Posts a send to the backend; the future completes (normally) when the call is over, either way. */
    public CompletableFuture<Void> send(BackendCall call, JsonNode data) {
        if (!sendEnabled()) {
            throw new IllegalStateException("gateway.backend.send-url is not set");
        }
        return post(config.sendUrl(), body(call, null, data)).handle((res, err) -> {
            if (err != null) {
                Throwable cause = unwrap(err);
                count("send", cause instanceof HttpTimeoutException || cause instanceof TimeoutException
                        ? "timeout" : "failed");
            } else {
                count("send", res.statusCode() == 200 ? "ok" : "status");
            }
            return null;
        });
    }

    /**
     * Counts a call that did not reach the backend: {@code unconfigured} (no URL) or {@code limited} (the
     * connection's in-flight bound).
     */
    public void countDropped(String kind, String outcome) {
        count(kind, outcome);
    }

    private CompletableFuture<HttpResponse<byte[]>> post(URI url, byte[] body) {
        HttpRequest req = HttpRequest.newBuilder(url)
                .timeout(config.timeout())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        try {
            return http.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray())
                    .orTimeout(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static byte[] body(BackendCall call, String method, JsonNode data) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("client", call.client());
        o.put("transport", call.transport());
        o.put("protocol", call.protocol());
        o.put("encoding", "json");
        o.put("user", call.user());
        if (method != null) {
            o.put("method", method);
        }
        if (data != null && !data.isMissingNode()) {
            o.set("data", data);
        }
        try {
            return Json.MAPPER.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a backend request", e);
        }
    }

    /** The answer in {@code body}, or null when it is not one (not JSON, not an object, a field of a wrong type). */
    static RpcAnswer parse(byte[] body) {
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            return null;
        }
        if (n == null || !n.isObject()) {
            return null;
        }
        JsonNode d = n.get("disconnect");
        if (d != null && !d.isNull()) {
            JsonNode code = d.get("code");
            if (!d.isObject() || code == null || !code.isInt() || code.intValue() < 3000 || code.intValue() > 4999) {
                return null;
            }
            return new RpcAnswer.Disconnect(code.intValue(), d.path("reason").asText(""));
        }
        JsonNode e = n.get("error");
        if (e != null && !e.isNull()) {
            JsonNode code = e.get("code");
            if (!e.isObject() || code == null || !code.isInt() || code.intValue() <= 0) {
                return null;
            }
            return new RpcAnswer.Error(code.intValue(), e.path("message").asText(""),
                    e.path("temporary").asBoolean(false));
        }
        JsonNode r = n.get("result");
        if (r == null || r.isNull()) {
            return new RpcAnswer.Result(null);
        }
        if (!r.isObject()) {
            return null;
        }
        JsonNode data = r.get("data");
        return new RpcAnswer.Result(data == null || data.isNull() ? null : data.toString());
    }

    private static RpcAnswer internal() {
        return new RpcAnswer.Error(ERROR_INTERNAL, "internal server error", true);
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof java.util.concurrent.CompletionException
                || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private void count(String kind, String outcome) {
        counters.computeIfAbsent(kind + '|' + outcome, k -> Counter.builder("danmaku.gateway.backend.calls")
                .description("rpc and send commands proxied to the backend, by outcome")
                .tag("kind", kind)
                .tag("outcome", outcome)
                .register(meters)).increment();
    }

    @Override
    public void close() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }
}
