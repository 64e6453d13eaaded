package io.danmaku.logic.api;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.logic.LogicConfig;
import io.danmaku.logic.LogicService;
import io.danmaku.logic.MessageIds;
import io.danmaku.logic.PublishOutcome;
import io.danmaku.protocol.RoomId;
import io.danmaku.protocol.api.ApiRequest;
import io.danmaku.protocol.api.ApiResponse;
import io.danmaku.protocol.api.HttpApi;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.logging.ThrottledLog;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.protocol.store.DisconnectRequest;
import io.danmaku.protocol.trace.TraceId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server API for backends, compatible with Centrifugo's HTTP API: {@code POST /api/publish}
 * ({@code {"channel","data"}}) and {@code POST /api/broadcast} ({@code {"channels":[…],"data"}}) answer
 * {@code {"result":{"offset","epoch"}}} and {@code {"result":{"responses":[{"result":{…}},…]}}}; both take an
 * optional {@code idempotency_key}: a repeat with the same key and channels within {@code logic.idempotency.ttl}
 * answers the first result and publishes nothing ({@link LogicService#publishData(List, ObjectNode, String)});
 * moderation
 * {@code POST /api/ban} ({@code {"user","duration_ms"}}), {@code /api/unban} ({@code {"user"}}),
 * {@code /api/mute} ({@code {"channel","user","duration_ms"}}), {@code /api/unmute} ({@code {"channel","user"}})
 * answer {@code {"result":{}}}; {@code POST /api/disconnect} ({@code {"user"}}, optional {@code "client"}: one
 * connection's client id, optional {@code "disconnect":{"code","reason"}}) closes that user's connections on every
 * gateway (Centrifugo's close code 3503 unless given, no reconnect) and answers {@code {"result":{}}} once the hot
 * store carried the request; {@code POST /api/stream_start} ({@code {"channel"}}, optional {@code "start_ms"}: ms
 * since the epoch, now when absent) sets where the room's recording begins, the origin of the timeline storage
 * serves at {@code GET /api/rooms/{room}/timeline}, and answers {@code {"result":{"start_ms"}}};
 * {@code POST /api/delete} ({@code {"channel","id"}} or {@code "ids":[…]}) retracts messages already sent and
 * answers the retraction's {@code {"result":{"offset","epoch"}}} (idempotent: unknown ids are not an error), and
 * {@code POST /api/delete_user_messages} ({@code {"channel","user","minutes"}}) retracts that user's messages of
 * the last {@code minutes} and answers {@code {"result":{"ids":[…],"offset"?,"epoch"?}}}. What {@code data} may
 * hold is described at {@link LogicService#publishData};
 * {@code publish} and {@code broadcast} take Centrifugo's {@code tags}, kept as the message's {@code tags} field,
 * and a {@code priority} boolean: a danmaku published with {@code "priority": true} (a moderator's or host's
 * message) is never sampled out of a hot room's fan-out, like events and messages without a user.
 * {@code subscribe}, {@code unsubscribe}, {@code refresh}, {@code presence}, {@code presence_stats},
 * {@code history}, {@code history_remove}, {@code channels} and {@code info} are {@link ClusterMethods};
 * {@code batch} runs several methods in one request.
 *
 * <p>Tracing: a publish or broadcast takes the trace-id of a W3C {@code traceparent} header as the trace id of its
 * messages (a new one when the header is absent or not valid), so the caller's trace id is in every log line about
 * them, in logic and in storage.
 *
 * <p>Authentication: the configured key in {@code X-API-Key: <key>} or {@code Authorization: apikey <key>},
 * compared in constant time; without a configured key the API answers 403 to everything.
 *
 * <p>Errors are {@code {"error":{"code":N,"message":"…"}}} with Centrifugo's codes: 100 internal (HTTP 500),
 * 101 unauthorized (401), 103 permission denied (403), 104 method not found (404), 106 limit exceeded (400),
 * 107 bad request (400; also 405 for another HTTP method than POST and 413 for a body over
 * {@value #MAX_BODY_BYTES} bytes), 108 not available (503: the bus or the hot store cannot take the request now,
 * or presence above its cap), 112 unrecoverable position (400). A refused danmaku body is a 107 whose
 * message starts with the reason code ({@code "too_long: data.text: …"}).
 *
 * <p>Meter: {@code danmaku.logic.api.requests} (counter, tags {@code method} = the API method or
 * {@code unknown}, {@code status} = the HTTP status).
 */
public final class ServerApi implements HttpApi {
    public static final String PATH_PREFIX = "/api/";
    public static final int MAX_BODY_BYTES = 64 * 1024;
    public static final int MAX_BROADCAST_CHANNELS = 1000;
    public static final int MAX_USER_ID_LENGTH = LogicService.MAX_USER_ID_LENGTH;
    public static final long MAX_DURATION_MS = Duration.ofDays(3650).toMillis();
    public static final int MAX_IDEMPOTENCY_KEY_LENGTH = 256;
    /** The W3C trace context header whose trace-id a publish takes as its trace id. */
    public static final String TRACEPARENT = "traceparent";
    public static final int MAX_BATCH_COMMANDS = 100;
    public static final int MAX_TAGS = 32;
    public static final int MAX_TAG_LENGTH = 256;
    public static final int DEFAULT_PRESENCE_MAX_MEMBERS = 1000;
    /** The most ids one {@code delete} takes. */
    public static final int MAX_DELETE_IDS = 100;
    /** The widest window {@code delete_user_messages} takes, in minutes (a day). */
    public static final int MAX_DELETE_MINUTES = 1440;
    /** The latest stream start {@code stream_start} takes: the last millisecond of the year 9999. */
    public static final long MAX_START_MS = 253_402_300_799_999L;

    public static final int CODE_INTERNAL = 100;
    public static final int CODE_UNAUTHORIZED = 101;
    public static final int CODE_PERMISSION_DENIED = 103;
    public static final int CODE_METHOD_NOT_FOUND = 104;
    public static final int CODE_LIMIT_EXCEEDED = ClusterMethods.CODE_LIMIT_EXCEEDED;
    public static final int CODE_BAD_REQUEST = 107;
    public static final int CODE_NOT_AVAILABLE = 108;
    public static final int CODE_UNRECOVERABLE_POSITION = ClusterMethods.CODE_UNRECOVERABLE_POSITION;

    private static final Logger LOG = LoggerFactory.getLogger(ServerApi.class);
    private static final String ROOM_EXPECTED = "a room id matching " + RoomId.PATTERN_TEXT;

    private final LogicService logic;
    private final MeterRegistry registry;
    /** The configured key; null when unset. */
    private final String apiKey;
    private final Map<String, BiFunction<ObjectNode, ApiRequest, CompletableFuture<ApiResponse>>> methods;
    private final ThrottledLog warn = new ThrottledLog(LOG, Duration.ofSeconds(10));

    public ServerApi(LogicConfig config, LogicService logic, MeterRegistry registry) {
        this(config, logic, registry, DEFAULT_PRESENCE_MAX_MEMBERS);
    }

    /**
     * @param presenceMaxMembers {@code presence} answers 108 for a room with more connections than this
     *     ({@code presence.max-members})
     */
    public ServerApi(LogicConfig config, LogicService logic, MeterRegistry registry, int presenceMaxMembers) {
        requireNonNull(config, "config");
        this.logic = requireNonNull(logic, "logic");
        this.registry = requireNonNull(registry, "registry");
        this.apiKey = config.apiKey();
        if (presenceMaxMembers < 0) {
            throw new IllegalArgumentException("presenceMaxMembers: " + presenceMaxMembers + " (expected: >= 0)");
        }
        Map<String, BiFunction<ObjectNode, ApiRequest, CompletableFuture<ApiResponse>>> table = new TreeMap<>();
        table.put("publish", (body, request) -> publish(body, traceOf(request)));
        table.put("broadcast", (body, request) -> broadcast(body, traceOf(request)));
        table.put("ban", (body, request) -> ban(body));
        table.put("unban", (body, request) -> unban(body));
        table.put("mute", (body, request) -> mute(body));
        table.put("unmute", (body, request) -> unmute(body));
        table.put("disconnect", (body, request) -> disconnect(body));
        table.put("stream_start", (body, request) -> streamStart(body));
        table.put("delete", (body, request) -> delete(body, traceOf(request)));
        table.put("delete_user_messages", (body, request) -> deleteUserMessages(body, traceOf(request)));
        table.put("batch", this::batch);
        new ClusterMethods(logic, presenceMaxMembers).methods()
                .forEach((name, method) -> table.put(name, (body, request) -> method.apply(body)));
        this.methods = Collections.unmodifiableMap(table);
        if (apiKey == null) {
            LOG.warn("server API disabled: no API key configured (api.key, env DANMAKU_API_KEY); every request gets 403");
        }
    }

    /** The API methods this server answers ({@code publish} is {@code POST /api/publish}). */
    public Set<String> methodNames() {
        return methods.keySet();
    }

    @Override
    public CompletableFuture<ApiResponse> handle(ApiRequest request) {
        String method = methodName(request.path());
        CompletableFuture<ApiResponse> response;
        try {
            response = route(request, method);
        } catch (RuntimeException e) {
            response = CompletableFuture.failedFuture(e);
        }
        return response
                .exceptionally(e -> {
                    warn.warn("server API {} failed unexpectedly", method, e);
                    return ApiResponse.error(500, CODE_INTERNAL, "internal server error");
                })
                .thenApply(r -> {
                    Counter.builder("danmaku.logic.api.requests")
                            .description("Server API requests by method and HTTP status")
                            .tag("method", method)
                            .tag("status", String.valueOf(r.status()))
                            .register(registry)
                            .increment();
                    return r;
                });
    }

    private CompletableFuture<ApiResponse> route(ApiRequest request, String method) {
        if (apiKey == null) {
            return done(ApiResponse.error(403, CODE_PERMISSION_DENIED, "permission denied: the server API is disabled because"
                    + " no API key is configured (set api.key or DANMAKU_API_KEY)"));
        }
        String key = presentedKey(request);
        if (key == null) {
            return done(ApiResponse.error(401, CODE_UNAUTHORIZED, "unauthorized: missing API key (expected: header"
                    + " X-API-Key: <key> or Authorization: apikey <key>)"));
        }
        if (!keyMatches(key, apiKey)) {
            return done(ApiResponse.error(401, CODE_UNAUTHORIZED, "unauthorized: wrong API key"));
        }
        BiFunction<ObjectNode, ApiRequest, CompletableFuture<ApiResponse>> handler = methods.get(method);
        if (handler == null) {
            return done(ApiResponse.error(404, CODE_METHOD_NOT_FOUND, "method not found: " + abbreviate(request.path())
                    + " (expected: " + PATH_PREFIX + "{" + String.join(",", methods.keySet()) + "})"));
        }
        if (!"POST".equalsIgnoreCase(request.method())) {
            return done(ApiResponse.error(405, CODE_BAD_REQUEST, "bad request: HTTP method " + abbreviate(request.method())
                    + " not allowed (expected: POST)"));
        }
        if (request.body().length > MAX_BODY_BYTES) {
            return done(ApiResponse.error(413, CODE_BAD_REQUEST, "bad request: body of " + request.body().length
                    + " bytes (expected: at most " + MAX_BODY_BYTES + ")"));
        }
        if (request.body().length == 0) {
            return done(badRequest("bad request: empty body (expected: a JSON object)"));
        }
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(request.body());
        } catch (JsonProcessingException e) {
            return done(badRequest("bad request: " + malformed(e)));
        } catch (IOException e) {
            return done(badRequest("bad request: malformed JSON"));
        }
        if (body == null || !body.isObject()) {
            return done(badRequest("bad request: body is " + (body == null ? "empty" : typeName(body))
                    + " (expected: a JSON object)"));
        }
        try {
            return handler.apply((ObjectNode) body, request);
        } catch (BadRequest e) {
            return done(badRequest(e.getMessage()));
        }
    }

    // ---- methods

    /**
     * The trace id of a publish: the trace-id of the request's W3C {@code traceparent} header when it has a valid
     * one, else a new one. Every message of the publish carries it to storage and into the log lines about it.
     */
    static TraceId traceOf(ApiRequest request) {
        TraceId given = TraceId.fromTraceparent(request.header(TRACEPARENT));
        return given != null ? given : TraceId.random();
    }

    private CompletableFuture<ApiResponse> publish(ObjectNode body, TraceId trace) {
        String channel = room(body, "channel");
        ObjectNode data = withTags(data(body), body);
        boolean priority = priority(body);
        return logic.publishData(List.of(channel), data, idempotencyKey(body), trace, priority).thenApply(outcome -> {
            if (!outcome.accepted()) {
                return rejected(outcome);
            }
            ObjectNode root = Json.MAPPER.createObjectNode();
            position(root.putObject("result"), outcome.positions().get(0));
            return ok(root);
        });
    }

    private CompletableFuture<ApiResponse> broadcast(ObjectNode body, TraceId trace) {
        JsonNode channels = body.get("channels");
        String expected = "an array of 1.." + MAX_BROADCAST_CHANNELS + " room ids";
        if (channels == null || channels.isNull()) {
            throw new BadRequest("channels: missing (expected: " + expected + ")");
        }
        if (!channels.isArray()) {
            throw new BadRequest("channels: " + typeName(channels) + " (expected: " + expected + ")");
        }
        if (channels.isEmpty() || channels.size() > MAX_BROADCAST_CHANNELS) {
            throw new BadRequest("channels: " + (channels.isEmpty() ? "empty" : channels.size() + " room ids")
                    + " (expected: " + expected + ")");
        }
        List<String> rooms = new ArrayList<>(channels.size());
        for (int i = 0; i < channels.size(); i++) {
            rooms.add(roomValue(channels.get(i), "channels[" + i + "]"));
        }
        ObjectNode data = withTags(data(body), body);
        return logic.publishData(rooms, data, idempotencyKey(body), trace, priority(body)).thenApply(outcome -> {
            if (!outcome.accepted()) {
                return rejected(outcome);
            }
            ObjectNode root = Json.MAPPER.createObjectNode();
            ArrayNode responses = root.putObject("result").putArray("responses");
            for (BusPosition p : outcome.positions()) {
                position(responses.addObject().putObject("result"), p);
            }
            return ok(root);
        });
    }

    private CompletableFuture<ApiResponse> ban(ObjectNode body) {
        String user = user(body);
        Duration duration = duration(body);
        LOG.info("server API: ban user {} for {}", user, duration);
        return moderation(logic.ban(user, duration));
    }

    private CompletableFuture<ApiResponse> unban(ObjectNode body) {
        String user = user(body);
        LOG.info("server API: unban user {}", user);
        return moderation(logic.unban(user));
    }

    private CompletableFuture<ApiResponse> mute(ObjectNode body) {
        String room = room(body, "channel");
        String user = user(body);
        Duration duration = duration(body);
        LOG.info("server API: mute user {} in room {} for {}", user, room, duration);
        return moderation(logic.mute(room, user, duration));
    }

    private CompletableFuture<ApiResponse> unmute(ObjectNode body) {
        String room = room(body, "channel");
        String user = user(body);
        LOG.info("server API: unmute user {} in room {}", user, room);
        return moderation(logic.unmute(room, user));
    }

    private CompletableFuture<ApiResponse> streamStart(ObjectNode body) {
        String room = room(body, "channel");
        Long start = null;
        JsonNode n = body.get("start_ms");
        if (n != null && !n.isNull()) {
            if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0 || n.longValue() > MAX_START_MS) {
                throw new BadRequest("start_ms: " + abbreviate(n.toString()) + " (expected: milliseconds since the"
                        + " epoch, 0.." + MAX_START_MS + ", or absent for now)");
            }
            start = n.longValue();
        }
        LOG.info("server API: stream start of room {} at {}", room, start == null ? "now" : start);
        return logic.setStreamStart(room, start).handle((set, e) -> {
            if (e != null) {
                warn.warn("server API stream_start failed: {}", e.toString());
                return ApiResponse.error(503, CODE_NOT_AVAILABLE, "unavailable: hot store unavailable, retry");
            }
            ObjectNode result = Json.MAPPER.createObjectNode();
            result.put("start_ms", set);
            ObjectNode root = Json.MAPPER.createObjectNode();
            root.set("result", result);
            return ApiResponse.json(200, root);
        });
    }

    /**
     * {@code {"channel","id"}} or {@code {"channel","ids":[…]}}: retracts messages ({@link LogicService#retract});
     * answers the retraction's position {@code {"result":{"offset","epoch"}}}. An id nobody holds is not an error
     * (a retraction is idempotent): the answer is the same.
     */
    private CompletableFuture<ApiResponse> delete(ObjectNode body, TraceId trace) {
        String room = room(body, "channel");
        List<String> ids = messageIds(body);
        LOG.info("server API: delete {} messages in room {}", ids.size(), room);
        return logic.retract(room, ids, trace).thenApply(outcome -> {
            if (!outcome.accepted()) {
                return rejected(outcome);
            }
            ObjectNode root = Json.MAPPER.createObjectNode();
            position(root.putObject("result"), outcome.positions().get(0));
            return ok(root);
        });
    }

    /**
     * {@code {"channel","user","minutes"}}: retracts the user's danmaku in the room from the last {@code minutes}
     * (1..{@value #MAX_DELETE_MINUTES}) that the room's hot history holds ({@link LogicService#recentMessagesOf});
     * answers {@code {"result":{"ids":[…],"offset","epoch"}}}, or {@code {"result":{"ids":[]}}} when there were
     * none (nothing is published then).
     */
    private CompletableFuture<ApiResponse> deleteUserMessages(ObjectNode body, TraceId trace) {
        String room = room(body, "channel");
        String user = user(body);
        JsonNode n = body.get("minutes");
        String expected = "a whole number of minutes, 1.." + MAX_DELETE_MINUTES;
        if (n == null || n.isNull()) {
            throw new BadRequest("minutes: missing (expected: " + expected + ")");
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 1 || n.intValue() > MAX_DELETE_MINUTES) {
            throw new BadRequest("minutes: " + abbreviate(n.toString()) + " (expected: " + expected + ")");
        }
        long since = logic.nowMillis() - Duration.ofMinutes(n.intValue()).toMillis();
        LOG.info("server API: delete the messages of user {} in room {} from the last {} minutes", user, room,
                n.intValue());
        return logic.recentMessagesOf(room, user, since).handle((ids, e) -> {
            if (e != null) {
                warn.warn("server API delete_user_messages failed: {}", e.toString());
                return done(ApiResponse.error(503, CODE_NOT_AVAILABLE, "unavailable: hot store unavailable, retry"));
            }
            ObjectNode root = Json.MAPPER.createObjectNode();
            ObjectNode result = root.putObject("result");
            ArrayNode list = result.putArray("ids");
            ids.forEach(list::add);
            if (ids.isEmpty()) {
                return done(ok(root));
            }
            return logic.retract(room, ids, trace).thenApply(outcome -> {
                if (!outcome.accepted()) {
                    return rejected(outcome);
                }
                position(result, outcome.positions().get(0));
                return ok(root);
            });
        }).thenCompose(f -> f);
    }

    private CompletableFuture<ApiResponse> disconnect(ObjectNode body) {
        String user = user(body);
        String client = client(body);
        int code = 0;
        String reason = null;
        JsonNode d = body.get("disconnect");
        if (d != null && !d.isNull()) {
            if (!d.isObject()) {
                throw new BadRequest("disconnect: " + typeName(d) + " (expected: an object {code, reason})");
            }
            JsonNode c = d.get("code");
            if (c != null && !c.isNull()) {
                if (!c.isIntegralNumber() || c.longValue() < 3000 || c.longValue() > 4999) {
                    throw new BadRequest("disconnect.code: " + abbreviate(c.toString())
                            + " (expected: a WebSocket close code, 3000..4999)");
                }
                code = c.intValue();
            }
            JsonNode r = d.get("reason");
            if (r != null && !r.isNull()) {
                if (!r.isTextual() || r.textValue().length() > DisconnectRequest.MAX_REASON_LENGTH) {
                    throw new BadRequest("disconnect.reason: " + abbreviate(r.toString()) + " (expected: a string of at"
                            + " most " + DisconnectRequest.MAX_REASON_LENGTH + " characters)");
                }
                reason = r.textValue();
            }
        }
        LOG.info("server API: disconnect user {}{}", user, client == null ? "" : " client " + client);
        return moderation(logic.control(new DisconnectRequest(user, client, code, reason)));
    }

    /**
     * Centrifugo's batch: {@code {"commands":[{"publish":{…}},{"broadcast":{…}},…],"parallel":false}} answers
     * {@code {"replies":[{"publish":{…result…}},{"error":{"code","message"}},…]}}, one reply per command in the
     * order of the commands, each command answered as its own method would (a failed one does not stop the others).
     * Without {@code parallel} the commands run one after another; with it, all at once.
     */
    private CompletableFuture<ApiResponse> batch(ObjectNode body, ApiRequest request) {
        JsonNode commands = body.get("commands");
        String expected = "an array of 1.." + MAX_BATCH_COMMANDS + " commands, each {\"<method>\":{…}}";
        if (commands == null || commands.isNull()) {
            throw new BadRequest("commands: missing (expected: " + expected + ")");
        }
        if (!commands.isArray() || commands.isEmpty() || commands.size() > MAX_BATCH_COMMANDS) {
            throw new BadRequest("commands: " + (commands.isArray() ? commands.size() + " commands" : typeName(commands))
                    + " (expected: " + expected + ")");
        }
        JsonNode parallelNode = body.get("parallel");
        if (parallelNode != null && !parallelNode.isNull() && !parallelNode.isBoolean()) {
            throw new BadRequest("parallel: " + typeName(parallelNode) + " (expected: a boolean)");
        }
        boolean parallel = parallelNode != null && parallelNode.booleanValue();
        int n = commands.size();
        @SuppressWarnings("unchecked")
        CompletableFuture<ObjectNode>[] replies = new CompletableFuture[n];
        CompletableFuture<?> previous = CompletableFuture.completedFuture(null);
        for (int i = 0; i < n; i++) {
            JsonNode command = commands.get(i);
            String field = "commands[" + i + "]";
            if (parallel) {
                replies[i] = batchCommand(command, field, request);
            } else {
                replies[i] = previous.thenCompose(v -> batchCommand(command, field, request));
                previous = replies[i];
            }
        }
        return CompletableFuture.allOf(replies).thenApply(v -> {
            ObjectNode root = Json.MAPPER.createObjectNode();
            ArrayNode list = root.putArray("replies");
            for (CompletableFuture<ObjectNode> r : replies) {
                list.add(r.join());
            }
            return ok(root);
        });
    }

    /** One command of a batch as its reply: {@code {"<method>":result}} or {@code {"error":…}}; never fails. */
    private CompletableFuture<ObjectNode> batchCommand(JsonNode command, String field, ApiRequest request) {
        if (command == null || !command.isObject() || command.size() != 1) {
            return CompletableFuture.completedFuture(errorReply(CODE_BAD_REQUEST, "bad request: " + field + ": "
                    + (command == null ? "null" : command.isObject() ? command.size() + " fields" : typeName(command))
                    + " (expected: an object with one method, {\"<method>\":{…}})"));
        }
        String method = command.fieldNames().next();
        JsonNode params = command.get(method);
        BiFunction<ObjectNode, ApiRequest, CompletableFuture<ApiResponse>> handler =
                "batch".equals(method) ? null : methods.get(method);
        if (handler == null) {
            return CompletableFuture.completedFuture(errorReply(CODE_METHOD_NOT_FOUND, "method not found: " + field + ": "
                    + abbreviate(method)));
        }
        if (!params.isObject()) {
            return CompletableFuture.completedFuture(errorReply(CODE_BAD_REQUEST, "bad request: " + field + "."
                    + method + ": " + typeName(params) + " (expected: a JSON object)"));
        }
        CompletableFuture<ApiResponse> answer;
        try {
            answer = handler.apply((ObjectNode) params, request);
        } catch (BadRequest e) {
            answer = done(badRequest(e.getMessage()));
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        return answer.handle((r, e) -> {
            if (e != null) {
                warn.warn("server API batch command {} failed unexpectedly", method, e);
                return errorReply(CODE_INTERNAL, "internal server error");
            }
            try {
                JsonNode reply = Json.MAPPER.readTree(r.body());
                ObjectNode out = Json.MAPPER.createObjectNode();
                if (reply.has("error")) {
                    out.set("error", reply.get("error"));
                } else {
                    out.set(method, reply.path("result"));
                }
                return out;
            } catch (IOException ex) {
                return errorReply(CODE_INTERNAL, "internal server error");
            }
        });
    }

    private static ObjectNode errorReply(int code, String message) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.putObject("error").put("code", code).put("message", message);
        return out;
    }

    /**
     * {@code data} with the request's {@code tags} (Centrifugo's publication tags: an object of at most
     * {@value #MAX_TAGS} string values) as its {@code tags} field, which subscribers receive as the publication's
     * tags; {@code data} itself when the request has none.
     */
    private static ObjectNode withTags(ObjectNode data, ObjectNode body) {
        JsonNode tags = body.get("tags");
        if (tags == null || tags.isNull()) {
            return data;
        }
        String expected = "an object of at most " + MAX_TAGS + " string values, keys and values of at most "
                + MAX_TAG_LENGTH + " characters";
        if (!tags.isObject() || tags.size() > MAX_TAGS) {
            throw new BadRequest("tags: " + (tags.isObject() ? tags.size() + " tags" : typeName(tags)) + " (expected: "
                    + expected + ")");
        }
        for (Map.Entry<String, JsonNode> e : tags.properties()) {
            if (e.getKey().isEmpty() || e.getKey().length() > MAX_TAG_LENGTH || !e.getValue().isTextual()
                    || e.getValue().textValue().length() > MAX_TAG_LENGTH) {
                throw new BadRequest("tags." + abbreviate(e.getKey()) + ": " + abbreviate(e.getValue().toString())
                        + " (expected: " + expected + ")");
            }
        }
        if (tags.isEmpty()) {
            return data;
        }
        ObjectNode copy = data.deepCopy();
        copy.set("tags", tags);
        return copy;
    }

    private CompletableFuture<ApiResponse> moderation(CompletableFuture<Void> action) {
        return action.handle((v, e) -> {
            if (e != null) {
                warn.warn("server API moderation failed: {}", e.toString());
                return ApiResponse.error(503, CODE_NOT_AVAILABLE, "unavailable: hot store unavailable, retry");
            }
            return ok(emptyResult());
        });
    }

    // ---- fields

    /** Thrown while reading fields; becomes a 107 naming the field. */
    static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message, null, false, false);
        }
    }

    static String room(ObjectNode body, String field) {
        return roomValue(body.get(field), field);
    }

    static String roomValue(JsonNode n, String field) {
        if (n == null || n.isNull()) {
            throw new BadRequest(field + ": missing (expected: " + ROOM_EXPECTED + ")");
        }
        if (!n.isTextual()) {
            throw new BadRequest(field + ": " + typeName(n) + " (expected: " + ROOM_EXPECTED + ")");
        }
        if (!RoomId.isValid(n.textValue())) {
            throw new BadRequest(RoomId.describeInvalid(n.textValue(), field));
        }
        return n.textValue();
    }

    private static ObjectNode data(ObjectNode body) {
        JsonNode data = body.get("data");
        if (data == null || data.isNull()) {
            throw new BadRequest("data: missing (expected: a JSON object)");
        }
        if (!data.isObject()) {
            throw new BadRequest("data: " + typeName(data) + " (expected: a JSON object)");
        }
        return (ObjectNode) data;
    }

    /**
     * The optional {@code priority} flag (false when absent): a danmaku published with it is a priority message, never
     * sampled out of a hot room's fan-out ({@link io.danmaku.protocol.RoomMessage#isPriority()}).
     */
    private static boolean priority(ObjectNode body) {
        JsonNode n = body.get("priority");
        if (n == null || n.isNull()) {
            return false;
        }
        if (!n.isBoolean()) {
            throw new BadRequest("priority: " + typeName(n) + " (expected: a boolean)");
        }
        return n.booleanValue();
    }

    /** The optional {@code idempotency_key}; null when absent. */
    private static String idempotencyKey(ObjectNode body) {
        JsonNode n = body.get("idempotency_key");
        if (n == null || n.isNull()) {
            return null;
        }
        String expected = "a string of 1.." + MAX_IDEMPOTENCY_KEY_LENGTH + " characters";
        if (!n.isTextual() || n.textValue().isEmpty() || n.textValue().length() > MAX_IDEMPOTENCY_KEY_LENGTH) {
            throw new BadRequest("idempotency_key: " + abbreviate(n.toString()) + " (expected: " + expected + ")");
        }
        return n.textValue();
    }

    static String user(ObjectNode body) {
        JsonNode n = body.get("user");
        String expected = "a user id of 1.." + MAX_USER_ID_LENGTH + " characters";
        if (n == null || n.isNull()) {
            throw new BadRequest("user: missing (expected: " + expected + ")");
        }
        if (!n.isTextual() || n.textValue().isEmpty() || n.textValue().length() > MAX_USER_ID_LENGTH) {
            throw new BadRequest("user: " + abbreviate(n.toString()) + " (expected: " + expected + ")");
        }
        return n.textValue();
    }

    /** {@code id} (one message id) or {@code ids} (1..{@value #MAX_DELETE_IDS} of them), exactly one of the two. */
    static List<String> messageIds(ObjectNode body) {
        JsonNode one = body.get("id");
        JsonNode many = body.get("ids");
        boolean hasOne = one != null && !one.isNull();
        boolean hasMany = many != null && !many.isNull();
        String expectedId = "a message id: " + MessageIds.LENGTH + " characters of 0-9 A-Z without I L O U";
        if (hasOne == hasMany) {
            throw new BadRequest((hasOne ? "id, ids: both given" : "id: missing") + " (expected: id, " + expectedId
                    + ", or ids, an array of 1.." + MAX_DELETE_IDS + " of them)");
        }
        if (hasOne) {
            if (!one.isTextual() || !MessageIds.isValid(one.textValue())) {
                throw new BadRequest("id: " + abbreviate(one.toString()) + " (expected: " + expectedId + ")");
            }
            return List.of(one.textValue());
        }
        if (!many.isArray() || many.isEmpty() || many.size() > MAX_DELETE_IDS) {
            throw new BadRequest("ids: " + (many.isArray() ? many.size() + " ids" : typeName(many))
                    + " (expected: an array of 1.." + MAX_DELETE_IDS + " message ids)");
        }
        List<String> ids = new ArrayList<>(many.size());
        for (int i = 0; i < many.size(); i++) {
            JsonNode id = many.get(i);
            if (!id.isTextual() || !MessageIds.isValid(id.textValue())) {
                throw new BadRequest("ids[" + i + "]: " + abbreviate(id.toString()) + " (expected: " + expectedId + ")");
            }
            ids.add(id.textValue());
        }
        return ids;
    }

    /** The optional {@code client} (a connection's client id); null when absent or empty, as in Centrifugo. */
    static String client(ObjectNode body) {
        JsonNode n = body.get("client");
        if (n == null || n.isNull() || (n.isTextual() && n.textValue().isEmpty())) {
            return null;
        }
        String expected = "a client id of 1.." + DisconnectRequest.MAX_CLIENT_ID_LENGTH
                + " characters without a line feed";
        if (!n.isTextual() || n.textValue().length() > DisconnectRequest.MAX_CLIENT_ID_LENGTH
                || n.textValue().indexOf('\n') >= 0) {
            throw new BadRequest("client: " + abbreviate(n.toString()) + " (expected: " + expected + ")");
        }
        return n.textValue();
    }

    private static Duration duration(ObjectNode body) {
        JsonNode n = body.get("duration_ms");
        String expected = "milliseconds, 1.." + MAX_DURATION_MS;
        if (n == null || n.isNull()) {
            throw new BadRequest("duration_ms: missing (expected: " + expected + ")");
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 1 || n.longValue() > MAX_DURATION_MS) {
            throw new BadRequest("duration_ms: " + abbreviate(n.toString()) + " (expected: " + expected + ")");
        }
        return Duration.ofMillis(n.longValue());
    }

    // ---- responses

    private static ApiResponse rejected(PublishOutcome outcome) {
        String message = outcome.reason().code() + ": " + outcome.message();
        if (outcome.reason() == RejectReason.UNAVAILABLE) {
            return ApiResponse.error(503, CODE_NOT_AVAILABLE, message);
        }
        return badRequest(message);
    }

    /**
     * Where a body stopped being JSON: the position and the field being read, in our words; never the parser's own
     * message, which describes its internals (features, source redaction).
     */
    static String malformed(JsonProcessingException e) {
        StringBuilder b = new StringBuilder("malformed JSON");
        if (e instanceof com.fasterxml.jackson.core.io.JsonEOFException
                || String.valueOf(e.getOriginalMessage()).startsWith("Unexpected end-of-input")) {
            b.append(" (ends too early)");
        } else if (String.valueOf(e.getOriginalMessage()).startsWith("Duplicate field")) {
            b.append(" (duplicate field)");
        }
        com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
        if (at != null && at.getLineNr() > 0) {
            b.append(" at line ").append(at.getLineNr()).append(", column ").append(at.getColumnNr());
        }
        if (e.getProcessor() instanceof com.fasterxml.jackson.core.JsonParser parser && parser.getParsingContext() != null
                && parser.getParsingContext().getCurrentName() != null) {
            b.append(", field \"").append(abbreviate(parser.getParsingContext().getCurrentName())).append('"');
        }
        return b.toString();
    }

    private static void position(ObjectNode result, BusPosition p) {
        result.put("offset", p.offset());
        result.put("epoch", p.epoch());
    }

    private static ObjectNode emptyResult() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.putObject("result");
        return root;
    }

    private static ApiResponse ok(ObjectNode body) {
        return ApiResponse.json(200, body);
    }

    private static ApiResponse badRequest(String message) {
        return ApiResponse.error(400, CODE_BAD_REQUEST, message);
    }


    // ---- helpers

    /** The API method of {@code path} ({@code /api/publish} → {@code publish}), or {@code unknown}. */
    private String methodName(String path) {
        if (path.startsWith(PATH_PREFIX)) {
            String name = path.substring(PATH_PREFIX.length());
            if (name.endsWith("/")) {
                name = name.substring(0, name.length() - 1);
            }
            if (methods.containsKey(name)) {
                return name;
            }
        }
        return "unknown";
    }

    private static String presentedKey(ApiRequest request) {
        String key = request.header("x-api-key");
        if (key != null && !key.isEmpty()) {
            return key.strip();
        }
        String authorization = request.header("authorization");
        if (authorization != null) {
            String a = authorization.strip();
            if (a.length() > 7 && a.substring(0, 7).toLowerCase(Locale.ROOT).equals("apikey ")) {
                String k = a.substring(7).strip();
                return k.isEmpty() ? null : k;
            }
        }
        return null;
    }

    /**
     * Whether {@code presented} equals {@code expected}, in a time that depends only on the presented key's length
     * (which its sender knows): neither the configured key's characters nor its length can be learned by timing.
     * No digest and no copy per request.
     */
    static boolean keyMatches(String presented, String expected) {
        int n = presented.length();
        int m = expected.length();
        if (m == 0) {
            return n == 0;
        }
        int diff = n ^ m;
        for (int i = 0; i < n; i++) {
            // past the end of the expected key, compare against its first character: same work, already unequal
            int j = i < m ? i : 0;
            diff |= presented.charAt(i) ^ expected.charAt(j);
        }
        return diff == 0;
    }

    static String typeName(JsonNode n) {
        return switch (n.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case STRING -> "a string";
            case NULL, MISSING -> "null";
            case BINARY -> "binary";
        };
    }

    static String abbreviate(String s) {
        if (s == null) {
            return "null";
        }
        return s.length() <= 120 ? s : s.substring(0, 120) + "…";
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }
}
