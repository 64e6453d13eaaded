package io.danmaku.gateway.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.RoomId;
import io.danmaku.protocol.json.Json;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the Centrifugo protocol's events to the application's backend over HTTP, in the shape of Centrifugo's HTTP
 * proxies: a {@code POST} of a JSON object that names the connection
 * ({@code {"client","transport","protocol","encoding":"json",…}}) plus what the event carries:
 * <ul>
 *   <li>rpc: {@code user}, {@code method}, {@code data}; the answer's {@code result.data} goes to the client;</li>
 *   <li>send: {@code user}, {@code data}; the answer is ignored;</li>
 *   <li>connect (a connect without a token): {@code name}, {@code version}, {@code data}, and the allowed
 *       headers of the client's request as headers; the answer's {@code result} is a {@link ConnectResult};</li>
 *   <li>publish: {@code user}, {@code channel}, {@code data}; the answer's {@code result.data}, when there is one,
 *       replaces the data.</li>
 * </ul>
 * An answer is {@code {"result":{…}}}, {@code {"error":{"code","message","temporary"}}} or
 * {@code {"disconnect":{"code","reason"}}} ({@link ProxyAnswer}); anything else (a status other than 200, a body
 * that is not such an object or whose result has a field of the wrong type, a body over
 * {@code gateway.backend.max-response-bytes}, no answer within the timeout, no connection) is error 100 for the
 * client, counted by what went wrong in {@code danmaku.gateway.backend.calls{kind,outcome}}. An answer's body is
 * read no further than the size limit.
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
        if (!config.anyEnabled()) {
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

    public boolean connectEnabled() {
        return config.connectUrl() != null;
    }

    public boolean publishEnabled() {
        return config.publishUrl() != null;
    }

    /**
     * Calls the backend's rpc endpoint; the result carries the answer's {@code data} as raw JSON (null when it has
     * none). The future always completes normally (failures are {@link ProxyAnswer.Error} 100), on a backend
     * thread.
     *
     * @param data the command's data, or null
     */
    public CompletableFuture<ProxyAnswer<String>> rpc(BackendCall call, String method, JsonNode data) {
        ObjectNode body = request(call);
        body.put("method", method);
        putData(body, data);
        return exchange("rpc", enabled(config.rpcUrl(), "rpc-url"), body, Map.of(), r -> {
            JsonNode d = r.get("data");
            return d == null || d.isNull() ? null : d.toString();
        });
    }

    /** Posts a send to the backend; the future completes (normally) when the call is over, either way. */
    public CompletableFuture<Void> send(BackendCall call, JsonNode data) {
        ObjectNode body = request(call);
        putData(body, data);
        return post(enabled(config.sendUrl(), "send-url"), bytes(body), Map.of()).handle((res, err) -> {
            count("send", err != null ? failure(err) : res.statusCode() == 200 ? "ok" : "status");
            return null;
        });
    }

    /**
     * Asks the backend's connect endpoint who a connection without a token is. The future always completes
     * normally (failures are {@link ProxyAnswer.Error} 100), on a backend thread.
     */
    public CompletableFuture<ProxyAnswer<ConnectResult>> connect(ConnectCall call) {
        ObjectNode body = connection(call.client(), call.transport(), call.protocol());
        if (!call.name().isEmpty()) {
            body.put("name", call.name());
        }
        if (!call.version().isEmpty()) {
            body.put("version", call.version());
        }
        putData(body, call.data());
        return exchange("connect", enabled(config.connectUrl(), "connect-url"), body, call.headers(),
                BackendProxy::connectResult);
    }

    /**
     * Asks the backend's publish endpoint whether a client's publish may go on; the result carries the data that
     * replaces the client's, or null to keep it. The future always completes normally (failures are
     * {@link ProxyAnswer.Error} 100), on a backend thread.
     */
    public CompletableFuture<ProxyAnswer<JsonNode>> publish(BackendCall call, String channel, JsonNode data) {
        ObjectNode body = request(call);
        body.put("channel", channel);
        putData(body, data);
        return exchange("publish", enabled(config.publishUrl(), "publish-url"), body, Map.of(), r -> {
            if (r.hasNonNull("b64data")) {
                throw new BadAnswer("result.b64data (not supported: replace the data with result.data, as JSON)");
            }
            JsonNode d = r.get("data");
            return d == null || d.isNull() ? null : d;
        });
    }

    /**
     * Counts a call that did not reach the backend: {@code unconfigured} (no URL), {@code limited} (the
     * connection's in-flight bound) or {@code bad_request} (a client's data the backend cannot take).
     */
    public void countDropped(String kind, String outcome) {
        count(kind, outcome);
    }

    // ---- the call --------------------------------------------------------------------------------------------------

    /** Reads a {@code result} object into what the call gives; throws {@link BadAnswer} naming a wrong field. */
    @FunctionalInterface
    interface ResultReader<T> {
        T read(ObjectNode result);
    }

    /** The answer's {@code result} (or the whole answer) has the wrong shape; the message names the field. */
    static final class BadAnswer extends RuntimeException {
        BadAnswer(String message) {
            super(message, null, false, false);
        }
    }

    /** The answer's body is larger than {@code gateway.backend.max-response-bytes}. */
    static final class TooLarge extends IOException {
        TooLarge(long bytes, int max) {
            super("answer of " + (bytes < 0 ? "more than " + max : bytes) + " bytes (limit: " + max + ")");
        }
    }

    /** POSTs {@code body} to {@code url} and reads the answer; counts the call under {@code kind}. */
    private <T> CompletableFuture<ProxyAnswer<T>> exchange(String kind, URI url, ObjectNode body,
                                                          Map<String, String> headers, ResultReader<T> reader) {
        return post(url, bytes(body), headers).handle((res, err) -> {
            ProxyAnswer<T> answer;
            String outcome;
            if (err != null) {
                outcome = failure(err);
                log.debug("{} to the backend failed: {}", kind, unwrap(err).toString());
                answer = internal();
            } else if (res.statusCode() != 200) {
                outcome = "status";
                log.debug("{}: the backend answered HTTP {}", kind, res.statusCode());
                answer = internal();
            } else {
                try {
                    answer = parse(res.body(), reader);
                    outcome = answer instanceof ProxyAnswer.Result ? "ok"
                            : answer instanceof ProxyAnswer.Error ? "error" : "disconnect";
                } catch (BadAnswer e) {
                    outcome = "bad_response";
                    log.debug("{}: unreadable backend answer ({} bytes): {}", kind, res.body().length,
                            e.getMessage());
                    answer = internal();
                }
            }
            count(kind, outcome);
            return answer;
        });
    }

    private CompletableFuture<HttpResponse<byte[]>> post(URI url, byte[] body, Map<String, String> headers) {
        try {
            HttpRequest.Builder req = HttpRequest.newBuilder(url)
                    .timeout(config.timeout())
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            headers.forEach(req::header);
            return http.sendAsync(req.build(), capped(config.maxResponseBytes()))
                    .orTimeout(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * The answer's body, read up to {@code max} bytes: an answer that declares a larger length, or sends more,
     * fails with {@link TooLarge} and its connection is dropped. The body of an answer that is not 200 is
     * discarded unread.
     */
    static HttpResponse.BodyHandler<byte[]> capped(int max) {
        return info -> info.statusCode() != 200 ? HttpResponse.BodySubscribers.replacing(new byte[0])
                : new CappedBody(max, info.headers().firstValueAsLong("content-length").orElse(-1));
    }

    /** Collects a body of at most {@code max} bytes; see {@link #capped}. */
    static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int max;
        private final long declared;
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private Flow.Subscription subscription;
        private byte[] buf;
        private int size;

        CappedBody(int max, long declared) {
            this.max = max;
            this.declared = declared;
            this.buf = new byte[(int) Math.min(max, declared >= 0 ? declared : 1024)];
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (declared > max) {
                s.cancel();
                body.completeExceptionally(new TooLarge(declared, max));
                return;
            }
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (body.isDone()) {
                return;
            }
            for (ByteBuffer b : items) {
                int n = b.remaining();
                if ((long) size + n > max) {
                    subscription.cancel();
                    body.completeExceptionally(new TooLarge(-1, max));
                    return;
                }
                if (size + n > buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.min(max, Math.max((long) buf.length * 2, size + n)));
                }
                b.get(buf, size, n);
                size += n;
            }
        }

        @Override
        public void onError(Throwable t) {
            body.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            body.complete(size == buf.length ? buf : Arrays.copyOf(buf, size));
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }
    }

    // ---- requests and answers ------------------------------------------------------------------------------------

    private static URI enabled(URI url, String key) {
        if (url == null) {
            throw new IllegalStateException("gateway.backend." + key + " is not set");
        }
        return url;
    }

    /** The fields naming a connection's call: client, transport, protocol, encoding, user. */
    private static ObjectNode request(BackendCall call) {
        return connection(call.client(), call.transport(), call.protocol()).put("user", call.user());
    }

    /** The fields naming the connection in every proxy request: client, transport, protocol, encoding. */
    private static ObjectNode connection(String client, String transport, String protocol) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("client", client);
        o.put("transport", transport);
        o.put("protocol", protocol);
        o.put("encoding", "json");
        return o;
    }

    private static void putData(ObjectNode body, JsonNode data) {
        if (data != null && !data.isMissingNode() && !data.isNull()) {
            body.set("data", data);
        }
    }

    private static byte[] bytes(ObjectNode o) {
        try {
            return Json.MAPPER.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a backend request", e);
        }
    }

    /**
     * The answer in {@code body}: a disconnect, an error, or a result read by {@code reader} (an absent or null
     * {@code result} reads as {@code {}}). Throws {@link BadAnswer} when it is not one (not JSON, not an object, a
     * field of a wrong type).
     */
    static <T> ProxyAnswer<T> parse(byte[] body, ResultReader<T> reader) {
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new BadAnswer("not JSON");
        }
        if (n == null || !n.isObject()) {
            throw new BadAnswer("not a JSON object");
        }
        JsonNode d = n.get("disconnect");
        if (d != null && !d.isNull()) {
            JsonNode code = d.get("code");
            if (!d.isObject() || code == null || !code.isInt() || code.intValue() < 3000 || code.intValue() > 4999) {
                throw new BadAnswer("disconnect.code (expected: an integer 3000..4999)");
            }
            return new ProxyAnswer.Disconnect<>(code.intValue(), d.path("reason").asText(""));
        }
        JsonNode e = n.get("error");
        if (e != null && !e.isNull()) {
            JsonNode code = e.get("code");
            if (!e.isObject() || code == null || !code.isInt() || code.intValue() <= 0) {
                throw new BadAnswer("error.code (expected: a positive integer)");
            }
            return new ProxyAnswer.Error<>(code.intValue(), e.path("message").asText(""),
                    e.path("temporary").asBoolean(false));
        }
        JsonNode r = n.get("result");
        if (r == null || r.isNull()) {
            return new ProxyAnswer.Result<>(reader.read(Json.MAPPER.createObjectNode()));
        }
        if (!r.isObject()) {
            throw new BadAnswer("result (expected: an object)");
        }
        return new ProxyAnswer.Result<>(reader.read((ObjectNode) r));
    }

    /** A connect answer's result; binary ({@code b64…}) fields and {@code subs} are not supported. */
    static ConnectResult connectResult(ObjectNode r) {
        for (String unsupported : List.of("b64info", "b64data", "subs")) {
            if (r.hasNonNull(unsupported)) {
                throw new BadAnswer("result." + unsupported + " (not supported: "
                        + (unsupported.equals("subs") ? "list the rooms in result.channels" : "send it as JSON")
                        + ")");
            }
        }
        JsonNode user = r.get("user");
        if (user != null && !user.isNull() && !user.isTextual()) {
            throw new BadAnswer("result.user (expected: a string, \"\" for anonymous)");
        }
        JsonNode exp = r.get("expire_at");
        if (exp != null && !exp.isNull() && !(exp.isIntegralNumber() && exp.canConvertToLong() && exp.asLong() >= 0)) {
            throw new BadAnswer("result.expire_at (expected: Unix seconds, 0 for never)");
        }
        List<String> channels = new ArrayList<>();
        JsonNode ch = r.get("channels");
        if (ch != null && !ch.isNull()) {
            if (!ch.isArray()) {
                throw new BadAnswer("result.channels (expected: an array of room ids)");
            }
            for (int i = 0; i < ch.size(); i++) {
                JsonNode c = ch.get(i);
                if (!c.isTextual() || !RoomId.isValid(c.asText())) {
                    throw new BadAnswer("result.channels[" + i + "]: " + c + " (expected: a room id)");
                }
                channels.add(c.asText());
            }
        }
        JsonNode info = r.get("info");
        JsonNode data = r.get("data");
        return new ConnectResult(user == null || user.isNull() ? "" : user.asText(),
                exp == null || exp.isNull() ? 0 : exp.asLong(),
                info == null || info.isNull() ? null : info.toString(),
                data == null || data.isNull() ? null : data.toString(), channels);
    }

    private static <T> ProxyAnswer<T> internal() {
        return new ProxyAnswer.Error<>(ERROR_INTERNAL, "internal server error", true);
    }

    /** The outcome of a call that failed without an answer: {@code too_large}, {@code timeout}, {@code failed}. */
    private static String failure(Throwable err) {
        for (Throwable t = err; t != null; t = t.getCause()) {
            if (t instanceof TooLarge) {
                return "too_large";
            }
            if (t instanceof HttpTimeoutException || t instanceof TimeoutException) {
                return "timeout";
            }
        }
        return "failed";
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
                .description("calls to the application backend (rpc, send, connect and publish), by outcome")
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
