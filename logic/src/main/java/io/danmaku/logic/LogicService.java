package io.danmaku.logic;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.logic.rule.BlockedWordsRule;
import io.danmaku.logic.rule.DedupeRule;
import io.danmaku.logic.rule.PostBatch;
import io.danmaku.logic.rule.RateLimitRule;
import io.danmaku.logic.rule.Rejection;
import io.danmaku.logic.rule.RestrictionRule;
import io.danmaku.logic.rule.RulePipeline;
import io.danmaku.logic.rule.ShapeRule;
import io.danmaku.protocol.Futures;
import io.danmaku.protocol.Retraction;
import io.danmaku.protocol.RoomId;
import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.bus.BusMessage;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.bus.BusUnavailableException;
import io.danmaku.protocol.bus.MessageBus;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.json.RoomMessageCodec;
import io.danmaku.protocol.logging.ThrottledLog;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.PostService;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.protocol.store.ControlMessage;
import io.danmaku.protocol.store.HistoryQuery;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.trace.TraceId;
import io.danmaku.protocol.trace.TraceMdc;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The logic tier: validates danmaku posts through the rule pipeline (shape, ban/mute, rate limits, blocked
 * words, dedupe), stamps the accepted ones (id, server time) and publishes them on the bus; an accepted post is
 * durable. Also publishes what backends send through the server API ({@link #publishData}) and applies their
 * moderation (ban, mute).
 *
 * <p>Every method is non-blocking and safe from any thread, including event loops. {@link #post} never completes
 * exceptionally: infrastructure failures are {@code unavailable} rejections.
 *
 * <p>Logs: every post refused is a DEBUG line of this class with the post's trace id in the MDC
 * ({@link TraceMdc#TRACE_ID}), so {@code log.level=info,io.danmaku.logic.LogicService=debug} shows each refusal and
 * the post it was about; batch-wide failures are throttled WARN lines with the batch's trace ids
 * ({@link TraceMdc#TRACE_IDS}).
 *
 * <p>Meters: {@code danmaku.logic.posts} (counter, tag {@code result} = {@code accepted} or a reject reason code),
 * {@code danmaku.logic.post.latency} (timer, from the request to the answer), {@code danmaku.logic.api.messages}
 * (counter, tag {@code kind} = {@code danmaku}|{@code event}: messages published through the server API), and
 * those of the rules ({@code danmaku.logic.hotstore.errors}, {@code danmaku.logic.ratelimit.fallbacks}).
 */
public final class LogicService implements PostService, AutoCloseable {
    private static final int RULE_THREADS = Math.max(2, Runtime.getRuntime().availableProcessors());
    private static final AtomicInteger RULE_THREAD_IDS = new AtomicInteger();
    public static final String OVERLOADED_MESSAGE = "logic overloaded: too many posts in progress, retry";
    /**
     * Who the rules see as the author of a danmaku body that a backend publishes without a {@code user}. The
     * stamped message itself then has no {@code user} (clients show no name; Bilibili's layout gets uid 0): the
     * name would be bytes in every delivery that tell a client nothing.
     */
    public static final UserRef SYSTEM_USER = new UserRef("system", "System");
    public static final int MAX_CMD_LENGTH = 64;
    public static final int MAX_USER_ID_LENGTH = 128;
    public static final int MAX_USER_NAME_LENGTH = 128;
    /** Bound of one server API publish (all rooms together), so that a broadcast cannot exhaust memory. */
    public static final int MAX_PUBLISH_BYTES = 8 << 20;

    /** Fields of a server API danmaku body that the stamp owns; every other field is kept as sent. */
    private static final Set<String> DANMAKU_FIELDS = Set.of("id", "room", "time", "cmd", "user", "text", "color",
            "mode");
    /** Fields of a custom event that the stamp owns. */
    private static final Set<String> EVENT_STAMP_FIELDS = Set.of("id", "room", "time", "cmd");

    private static final Logger LOG = LoggerFactory.getLogger(LogicService.class);

    private final LogicConfig config;
    private final MessageBus bus;
    private final HotStore store;
    private final MeterRegistry registry;
    private final Clock clock;
    private final MessageIds ids;
    private final RestrictionRule restrictionRule;
    private final BlockedWordsRule blockedWordsRule;
    private final DedupeRule dedupeRule;
    private final RulePipeline postPipeline;
    private final RulePipeline apiPipeline;
    private final Counter acceptedCounter;
    private final Map<RejectReason, Counter> rejectedCounters = new EnumMap<>(RejectReason.class);
    private final Timer latency;
    private final DistributionSummary batchSize;
    /** Where a batch's rules go on after one waited for the hot store (never on the store's I/O thread). */
    private final ExecutorService rulesExecutor;
    private final Counter shed;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ThrottledLog overloadWarn = new ThrottledLog(LOG, Duration.ofSeconds(10));
    private final Counter apiDanmaku;
    private final Counter apiEvents;
    private final Counter retractions;
    private final ThrottledLog busWarn = new ThrottledLog(LOG, Duration.ofSeconds(10));
    private final IdempotentPublisher idempotent;

    /**
     * @throws IllegalArgumentException when the blocked words file is configured but cannot be read
     */
    public LogicService(LogicConfig config, MessageBus bus, HotStore store, MeterRegistry registry, Clock clock) {
        this.config = requireNonNull(config, "config");
        this.bus = requireNonNull(bus, "bus");
        this.store = requireNonNull(store, "store");
        this.registry = requireNonNull(registry, "registry");
        this.clock = requireNonNull(clock, "clock");
        this.ids = new MessageIds(clock);
        this.idempotent = new IdempotentPublisher(store, config.idempotencyTtl(), config.publishTimeout(), registry);

        ShapeRule shapeRule = new ShapeRule(config.maxTextCodePoints());
        this.restrictionRule = new RestrictionRule(store, config.restrictionCacheTtl(), clock, registry).start();
        RateLimitRule rateLimitRule = new RateLimitRule(store, config.userRate(), config.roomRate(),
                config.roomLeasePeriod(), clock, registry);
        this.blockedWordsRule = new BlockedWordsRule(config.blockedWords(), config.blockedWordsFile(),
                config.blockedWordsReload(), clock, ForkJoinPool.commonPool());
        this.dedupeRule = new DedupeRule(config.dedupeTtl(), clock, registry);
        // the fixed order of DESIGN §5; dedupe last so that a refused post can be retried with the same id
        this.rulesExecutor = Executors.newFixedThreadPool(RULE_THREADS, r -> {
            Thread t = new Thread(r, "danmaku-logic-rules-" + RULE_THREAD_IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.postPipeline = new RulePipeline(List.of(shapeRule, restrictionRule, rateLimitRule, blockedWordsRule,
                dedupeRule), rulesExecutor);
        // server API bodies: trusted senders, so neither ban/mute nor rate limits nor dedupe
        this.apiPipeline = new RulePipeline(List.of(shapeRule, blockedWordsRule));

        this.acceptedCounter = postCounter("accepted");
        for (RejectReason reason : RejectReason.values()) {
            rejectedCounters.put(reason, postCounter(reason.code()));
        }
        this.latency = Timer.builder("danmaku.logic.post.latency")
                .description("Time from a post's arrival in logic to its answer (accepted or rejected)")
                .publishPercentileHistogram()
                .register(registry);
        this.batchSize = DistributionSummary.builder("danmaku.logic.batch.size")
                .description("Posts per batch judged and published together")
                .register(registry);
        this.shed = Counter.builder("danmaku.logic.shed")
                .description("Posts refused unavailable at once because too many were in progress")
                .register(registry);
        Gauge.builder("danmaku.logic.in.flight", inFlight, AtomicInteger::get)
                .description("Posts being validated or published")
                .register(registry);
        this.apiDanmaku = apiCounter("danmaku");
        this.apiEvents = apiCounter("event");
        this.retractions = apiCounter("retraction");
        LOG.info("logic started: {}", config);
    }

    /** The hot store this service uses (the server API reads presence, history and node reports from it). */
    public HotStore hotStore() {
        return store;
    }

    /** The bus this service publishes to (the server API reads rooms' epochs from it). */
    public MessageBus bus() {
        return bus;
    }

    public LogicConfig config() {
        return config;
    }

    /** The blocked words rule, e.g. to {@link BlockedWordsRule#reload() reload} its file on an operator's signal. */
    public BlockedWordsRule blockedWords() {
        return blockedWordsRule;
    }

    /**
     * Validates a batch of posts in one pass of the rules (no store call per post), stamps the accepted ones and
     * publishes them on the bus as one batch; answers each post, in batch order, once the bus acknowledged it or
     * with its rejection. Beyond {@link LogicConfig#maxPostsInFlight} posts in progress, the whole batch is
     * refused {@code unavailable} at once.
     */
    @Override
    public CompletableFuture<List<PostResult>> postBatch(List<PostRequest> requests) {
        requireNonNull(requests, "requests");
        int n = requests.size();
        if (n == 0) {
            return CompletableFuture.completedFuture(List.of());
        }
        long startNanos = System.nanoTime();
        if (inFlight.addAndGet(n) > config.maxPostsInFlight()) {
            inFlight.addAndGet(-n);
            shed.increment(n);
            overloadWarn.warn(requests, PostRequest::traceId, "logic overloaded: {} posts in progress; refusing a"
                    + " batch of {}", config.maxPostsInFlight(), n);
            PostResult refused = PostResult.rejected(RejectReason.UNAVAILABLE, OVERLOADED_MESSAGE);
            if (LOG.isDebugEnabled()) {
                for (PostRequest request : requests) {
                    debugRefused(request, RejectReason.UNAVAILABLE, OVERLOADED_MESSAGE);
                }
            }
            return CompletableFuture.completedFuture(answer(Collections.nCopies(n, refused), startNanos));
        }
        CompletableFuture<List<PostResult>> result;
        try {
            PostBatch batch = new PostBatch(requests);
            result = postPipeline.run(batch).thenCompose(this::publishPassing);
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        return result.handle((results, e) -> {
            inFlight.addAndGet(-n);
            if (e != null || results == null || results.size() != n) {
                busWarn.warn(requests, PostRequest::traceId, "posts failed unexpectedly; answered unavailable", e);
                results = Collections.nCopies(n,
                        PostResult.rejected(RejectReason.UNAVAILABLE, "internal error, retry"));
            }
            return answer(results, startNanos);
        });
    }

    private List<PostResult> answer(List<PostResult> results, long startNanos) {
        long nanos = System.nanoTime() - startNanos;
        for (PostResult r : results) {
            (r.accepted() ? acceptedCounter : rejectedCounters.get(r.reason())).increment();
            latency.record(nanos, TimeUnit.NANOSECONDS);
        }
        batchSize.record(results.size());
        return results;
    }

    /** Stamps the posts that passed every rule and publishes them as one bus batch. */
    private CompletableFuture<List<PostResult>> publishPassing(PostBatch batch) {
        int n = batch.size();
        PostResult[] results = new PostResult[n];
        int passing = batch.passingCount();
        int[] indexes = new int[passing];
        String[] messageIds = new String[passing];
        List<BusMessage> messages = new ArrayList<>(passing);
        long now = clock.millis();
        boolean debug = passing < n && LOG.isDebugEnabled();
        for (int i = 0, k = 0; i < n; i++) {
            Rejection rejection = batch.rejection(i);
            if (rejection != null) {
                results[i] = PostResult.rejected(rejection.reason(), rejection.message());
                if (debug) {
                    debugRefused(batch.post(i), rejection.reason(), rejection.message());
                }
                continue;
            }
            PostRequest request = batch.post(i);
            String id = ids.next();
            int color = request.color() == null ? RoomMessage.DEFAULT_COLOR : request.color();
            int mode = request.mode() == null ? RoomMessage.DEFAULT_MODE : request.mode();
            ObjectNode extra = null;
            if (request.progressMillis() != null) {
                extra = Json.MAPPER.createObjectNode().put(RoomMessage.PROGRESS, request.progressMillis());
            }
            RoomMessage message = RoomMessage.danmaku(id, request.room(), now, request.user(), request.text(), color,
                    mode, extra);
            messages.add(new BusMessage(request.room(), RoomMessageCodec.encode(message), request.traceId()));
            indexes[k] = i;
            messageIds[k++] = id;
        }
        if (messages.isEmpty()) {
            return CompletableFuture.completedFuture(Arrays.asList(results));
        }
        return publish(messages).handle((positions, error) -> {
            if (error != null) {
                PostResult refused = PostResult.rejected(RejectReason.UNAVAILABLE, unavailableMessage(error, messages));
                boolean debugUnavailable = LOG.isDebugEnabled();
                // a retry with the same clientMsgId must pass when nothing was written; when the records may have
                // been written (a deadline passed while they were in flight) the id stays remembered, so the
                // client's retry is answered duplicate instead of publishing the post twice
                boolean release = Futures.unwrap(error) instanceof BusUnavailableException b && !b.mayHaveBeenPublished();
                for (int i : indexes) {
                    if (release) {
                        dedupeRule.release(batch.post(i));
                    }
                    results[i] = refused;
                    if (debugUnavailable) {
                        debugRefused(batch.post(i), RejectReason.UNAVAILABLE, refused.message());
                    }
                }
            } else {
                for (int k = 0; k < indexes.length; k++) {
                    results[indexes[k]] = PostResult.accepted(messageIds[k], positions.get(k));
                }
            }
            return Arrays.asList(results);
        });
    }

    /** Stops following the hot store's ban/mute changes and the rules' threads. */
    @Override
    public void close() {
        restrictionRule.close();
        rulesExecutor.shutdown();
    }

    /**
     * Publishes what a backend sent through the server API to every room of {@code rooms}, as one batch: one
     * message, with its own id, per room.
     *
     * <ul>
     *   <li>{@code data} with a string {@code cmd} is a custom event (gift, notice…): every field is kept as sent,
     *       only {@code id}, {@code room} and {@code time} are stamped by the server.</li>
     *   <li>otherwise {@code data} is a danmaku body: {@code text} (required), {@code color}, {@code mode} and
     *       {@code user} ({@code {"id","name"}}; when absent the message has none, see {@link #SYSTEM_USER}), checked like a client's
     *       (shape, blocked words) but without ban/mute, rate limits or dedupe; unknown fields are kept;
     *       {@code priority} is reserved (the request's flag, {@link #publishData(List, ObjectNode, String,
     *       TraceId, boolean)}).</li>
     * </ul>
     *
     * Never completes exceptionally: bad data is a {@code bad_request}/{@code too_long}/{@code blocked_word}
     * rejection naming the field ({@code data.text: …}), a bus failure {@code unavailable}.
     */
    public CompletableFuture<PublishOutcome> publishData(List<String> rooms, ObjectNode data) {
        return publishData(rooms, data, null);
    }

    /**
     * {@link #publishData(List, ObjectNode)} made idempotent by {@code idempotencyKey} (null: not idempotent):
     * within {@link LogicConfig#idempotencyTtl()} a repeat with the same key and rooms, on any logic instance,
     * answers the first publish's ids and positions and publishes nothing (see {@link IdempotentPublisher}).
     * Data that is refused does not use the key up.
     */
    public CompletableFuture<PublishOutcome> publishData(List<String> rooms, ObjectNode data, String idempotencyKey) {
        return publishData(rooms, data, idempotencyKey, TraceId.random());
    }

    /**
     * {@link #publishData(List, ObjectNode, String)} with the trace id its messages carry (to the bus, to storage)
     * and its log lines show; {@code null} = none.
     */
    public CompletableFuture<PublishOutcome> publishData(List<String> rooms, ObjectNode data, String idempotencyKey,
                                                         TraceId traceId) {
        return publishData(rooms, data, idempotencyKey, traceId, false);
    }

    /**
     * {@link #publishData(List, ObjectNode, String, TraceId)}; with {@code priority} a danmaku body is stamped with
     * the priority flag ({@link RoomMessage#isPriority()}: a hot room's fan-out never samples it out), the way a
     * backend sends a moderator's or host's message. Events are priority messages anyway; the flag changes nothing
     * for them.
     */
    public CompletableFuture<PublishOutcome> publishData(List<String> rooms, ObjectNode data, String idempotencyKey,
                                                         TraceId traceId, boolean priority) {
        requireNonNull(rooms, "rooms");
        requireNonNull(data, "data");
        CompletableFuture<PublishOutcome> outcome;
        try {
            outcome = interpretAndPublish(rooms, data, idempotencyKey, traceId, priority);
        } catch (RuntimeException e) {
            outcome = CompletableFuture.failedFuture(e);
        }
        return outcome.exceptionally(e -> {
            try (TraceMdc.Scope ignored = TraceMdc.put(traceId)) {
                busWarn.warn("server API publish failed unexpectedly; answered unavailable", e);
            }
            return PublishOutcome.rejected(RejectReason.UNAVAILABLE, "internal error, retry");
        }).thenApply(result -> {
            if (!result.accepted() && LOG.isDebugEnabled()) {
                try (TraceMdc.Scope ignored = TraceMdc.put(traceId)) {
                    LOG.debug("server API publish to {} rooms refused: {}: {}", rooms.size(), result.reason().code(),
                            result.message());
                }
            }
            return result;
        });
    }

    private CompletableFuture<PublishOutcome> interpretAndPublish(List<String> rooms, ObjectNode data,
                                                                  String idempotencyKey, TraceId traceId,
                                                                  boolean priority) {
        if (rooms.isEmpty()) {
            return done(PublishOutcome.rejected(RejectReason.BAD_REQUEST,
                    "channels: empty (expected: at least one room id)"));
        }
        for (String room : rooms) {
            if (!RoomId.isValid(room)) {
                return done(PublishOutcome.rejected(RejectReason.INVALID_ROOM,
                        RoomId.describeInvalid(room, "channel")));
            }
        }
        JsonNode cmd = data.get("cmd");
        if (cmd != null && !cmd.isNull()) {
            if (!cmd.isTextual()) {
                return done(badData("data.cmd: " + typeName(cmd) + " (expected: a string, or no cmd for a danmaku)"));
            }
            return publishEvent(rooms, cmd.textValue(), data, idempotencyKey, traceId);
        }
        return publishDanmakuBody(rooms, data, idempotencyKey, traceId, priority);
    }

    private CompletableFuture<PublishOutcome> publishEvent(List<String> rooms, String cmd, ObjectNode data,
                                                           String idempotencyKey, TraceId traceId) {
        if (cmd.isEmpty() || cmd.length() > MAX_CMD_LENGTH) {
            return done(badData("data.cmd: \"" + abbreviate(cmd) + "\" (expected: 1.." + MAX_CMD_LENGTH
                    + " characters)"));
        }
        if (cmd.equals(Retraction.CMD)) {
            return done(badData("data.cmd: \"" + Retraction.CMD + "\" is reserved for retractions (expected: another"
                    + " cmd; delete messages with /api/delete or /api/delete_user_messages)"));
        }
        Rejection r = ShapeRule.validateCharacters("data.cmd", cmd);
        if (r != null) {
            return done(PublishOutcome.rejected(r.reason(), r.message()));
        }
        ObjectNode fields = Json.MAPPER.createObjectNode();
        for (Map.Entry<String, JsonNode> e : data.properties()) {
            if (!EVENT_STAMP_FIELDS.contains(e.getKey())) {
                fields.set(e.getKey(), e.getValue());
            }
        }
        long now = clock.millis();
        return publishToRooms(rooms, (id, room) -> RoomMessage.event(id, room, now, cmd, fields), apiEvents,
                idempotencyKey, traceId);
    }

    private CompletableFuture<PublishOutcome> publishDanmakuBody(List<String> rooms, ObjectNode data,
                                                                 String idempotencyKey, TraceId traceId,
                                                                 boolean priority) {
        if (data.has("priority")) {
            return done(badData("data.priority: reserved (expected: the request's priority flag, beside data)"));
        }
        JsonNode textNode = data.get("text");
        if (textNode == null || textNode.isNull()) {
            return done(badData("data.text: missing (expected: a string of 1.." + config.maxTextCodePoints()
                    + " code points, or a cmd for a custom event)"));
        }
        if (!textNode.isTextual()) {
            return done(badData("data.text: " + typeName(textNode) + " (expected: a string)"));
        }
        Integer color;
        Integer mode;
        UserRef user;
        try {
            color = optionalInt(data, "color");
            mode = optionalInt(data, "mode");
            user = optionalUser(data.get("user"));
        } catch (IllegalArgumentException e) {
            return done(badData(e.getMessage()));
        }
        JsonNode progress = data.get(RoomMessage.PROGRESS);
        if (progress != null && !progress.isNull()) {
            Rejection bad = !progress.isIntegralNumber() || !progress.canConvertToLong()
                    ? new Rejection(RejectReason.BAD_REQUEST, "progress: " + abbreviate(progress.toString())
                            + " (expected: milliseconds into the video, 0.." + PostRequest.MAX_PROGRESS_MILLIS + ")")
                    : ShapeRule.validateProgress(progress.longValue());
            if (bad != null) {
                return done(PublishOutcome.rejected(bad.reason(), "data." + bad.message()));
            }
        }
        String text = textNode.textValue();
        PostRequest asPost = new PostRequest(rooms.get(0), user, text, color, mode, null);
        return apiPipeline.run(new PostBatch(List.of(asPost))).thenCompose(judged -> {
            Rejection rejection = judged.rejection(0);
            if (rejection != null) {
                String message = rejection.reason() == RejectReason.UNAVAILABLE ? rejection.message()
                        : "data." + rejection.message();
                return done(PublishOutcome.rejected(rejection.reason(), message));
            }
            ObjectNode extra = Json.MAPPER.createObjectNode();
            for (Map.Entry<String, JsonNode> e : data.properties()) {
                if (!DANMAKU_FIELDS.contains(e.getKey())) {
                    extra.set(e.getKey(), e.getValue());
                }
            }
            long now = clock.millis();
            int c = color == null ? RoomMessage.DEFAULT_COLOR : color;
            int m = mode == null ? RoomMessage.DEFAULT_MODE : mode;
            UserRef author = user == SYSTEM_USER ? null : user;
            return publishToRooms(rooms, (id, room) -> {
                RoomMessage message = RoomMessage.danmaku(id, room, now, author, text, c, m, extra);
                return priority ? message.withPriority() : message;
            }, apiDanmaku, idempotencyKey, traceId);
        });
    }

    /** Stamps one message per room (each with its own id) and publishes them as one batch. */
    private CompletableFuture<PublishOutcome> publishToRooms(List<String> rooms,
                                                             BiFunction<String, String, RoomMessage> stamp,
                                                             Counter kind, String idempotencyKey, TraceId traceId) {
        List<String> messageIds = new ArrayList<>(rooms.size());
        List<BusMessage> batch = new ArrayList<>(rooms.size());
        long bytes = 0;
        for (String room : rooms) {
            String id = ids.next();
            byte[] payload = RoomMessageCodec.encode(stamp.apply(id, room));
            bytes += payload.length;
            if (bytes > MAX_PUBLISH_BYTES) {
                return done(badData("data: " + rooms.size() + " messages of " + payload.length
                        + " bytes (expected: at most " + MAX_PUBLISH_BYTES + " bytes per publish: fewer channels or"
                        + " smaller data)"));
            }
            messageIds.add(id);
            batch.add(new BusMessage(room, payload, traceId));
        }
        if (idempotencyKey != null) {
            return idempotent.publish(idempotencyKey, rooms, messageIds, batch, this::publishWithoutDeadline)
                    .thenApply(outcome -> {
                        if (outcome.accepted()) {
                            kind.increment(batch.size());
                        }
                        return outcome;
                    });
        }
        return publish(batch).handle((positions, error) -> {
            if (error != null) {
                return PublishOutcome.rejected(RejectReason.UNAVAILABLE, apiUnavailableMessage(error, batch));
            }
            kind.increment(batch.size());
            return PublishOutcome.accepted(messageIds, positions);
        });
    }

    /** Bans a user from posting anywhere; a ban through this process applies to the next post at once. */
    public CompletableFuture<Void> ban(String userId, Duration duration) {
        requireNonNull(userId, "userId");
        requireNonNull(duration, "duration");
        return moderate(() -> store.ban(userId, duration), () -> restrictionRule.invalidateUser(userId));
    }

    public CompletableFuture<Void> unban(String userId) {
        requireNonNull(userId, "userId");
        return moderate(() -> store.unban(userId), () -> restrictionRule.invalidateUser(userId));
    }

    /** Mutes a user in one room; a mute through this process applies to the next post at once. */
    public CompletableFuture<Void> mute(String room, String userId, Duration duration) {
        requireNonNull(room, "room");
        requireNonNull(userId, "userId");
        requireNonNull(duration, "duration");
        return moderate(() -> store.mute(room, userId, duration), () -> restrictionRule.invalidate(room, userId));
    }

    public CompletableFuture<Void> unmute(String room, String userId) {
        requireNonNull(room, "room");
        requireNonNull(userId, "userId");
        return moderate(() -> store.unmute(room, userId), () -> restrictionRule.invalidate(room, userId));
    }

    /**
     * Retracts messages of {@code room}: publishes one {@link Retraction} event naming {@code messageIds} in the
     * room's stream, ordered after the messages; gateways push it to the room's members and drop the messages from
     * their recent rings, storage removes them from the hot history and marks them in the archive. Ids of messages
     * that do not exist (or were retracted already) are published all the same and ignored by everyone: whether a
     * message exists cannot be known here (it may still be on its way to storage, or be only in the archive), so a
     * retraction is idempotent. Never completes exceptionally; a bus failure is {@code unavailable}.
     */
    public CompletableFuture<PublishOutcome> retract(String room, List<String> messageIds, TraceId traceId) {
        requireNonNull(messageIds, "messageIds");
        if (!RoomId.isValid(room)) {
            return done(PublishOutcome.rejected(RejectReason.INVALID_ROOM, RoomId.describeInvalid(room, "channel")));
        }
        if (messageIds.isEmpty() || messageIds.size() > Retraction.MAX_IDS) {
            return done(badData("ids: " + messageIds.size() + " (expected: 1.." + Retraction.MAX_IDS + ")"));
        }
        List<String> distinct = List.copyOf(new java.util.LinkedHashSet<>(messageIds));
        long now = clock.millis();
        return publishToRooms(List.of(room), (id, r) -> Retraction.event(id, r, now, distinct), retractions, null,
                traceId).exceptionally(e -> {
                    busWarn.warn("retraction failed unexpectedly; answered unavailable", e);
                    return PublishOutcome.rejected(RejectReason.UNAVAILABLE, "internal error, retry");
                });
    }

    /**
     * The ids of {@code userId}'s danmaku in {@code room} stamped at or after {@code sinceMillis}, newest first,
     * found in the room's hot history (its newest {@value HistoryQuery#MAX_LIMIT} records at most, one read):
     * what {@code delete_user_messages} retracts. Once storage applied a retraction its messages are no longer there,
     * so a repeat after that finds none (one before it names them again: harmless, a retraction is idempotent).
     */
    public CompletableFuture<List<String>> recentMessagesOf(String room, String userId, long sinceMillis) {
        requireNonNull(userId, "userId");
        return store.history(HistoryQuery.latest(room, HistoryQuery.MAX_LIMIT)).thenApply(page -> {
            List<String> found = new ArrayList<>();
            for (RoomRecord r : page.records()) {
                if (Retraction.isRetraction(r.payload())) {
                    continue;
                }
                RoomMessage m;
                try {
                    m = RoomMessageCodec.decode(r.payload());
                } catch (RuntimeException e) {
                    continue;
                }
                if (m.isDanmaku() && m.user() != null && m.user().id().equals(userId) && m.timeMillis() >= sinceMillis) {
                    found.add(m.id());
                }
            }
            return found;
        });
    }

    /** This service's clock, in ms since the epoch. */
    public long nowMillis() {
        return clock.millis();
    }

    /**
     * Sets the room's stream start ({@link HotStore#setStreamStart}), the origin of its recording's timeline that
     * storage serves; {@code startMillis} null means now (this service's clock).
     *
     * @return the start that was set, once the hot store took it
     */
    public CompletableFuture<Long> setStreamStart(String room, Long startMillis) {
        io.danmaku.protocol.RoomId.requireValid(room, "room");
        long start = startMillis == null ? clock.millis() : startMillis;
        return store.setStreamStart(room, start).thenApply(v -> start);
    }

    /**
     * Acts on connections of a user on every gateway ({@link ControlMessage}: disconnect, subscribe, unsubscribe,
     * refresh): the message goes through the hot store's control feed; completes once the store took it.
     */
    public CompletableFuture<Void> control(ControlMessage request) {
        requireNonNull(request, "request");
        try {
            return store.publishControl(request);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static CompletableFuture<Void> moderate(Supplier<CompletableFuture<Void>> action,
                                                    Runnable invalidate) {
        CompletableFuture<Void> f;
        try {
            f = action.get();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        // invalidate even after a failure: the change may have been applied
        return f.whenComplete((v, e) -> invalidate.run());
    }

    /** Publishes with the configured deadline; the bus's own future is left untouched. */
    private CompletableFuture<List<BusPosition>> publish(List<BusMessage> batch) {
        return publishWithoutDeadline(batch).orTimeout(config.publishTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Publishes and checks the answer's size; completes when the bus answers, however late. */
    private CompletableFuture<List<BusPosition>> publishWithoutDeadline(List<BusMessage> batch) {
        CompletableFuture<List<BusPosition>> f;
        try {
            f = bus.publish(batch).copy();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.thenApply(positions -> {
            if (positions == null || positions.size() != batch.size()) {
                throw new IllegalStateException("bus answered " + (positions == null ? "null" : positions.size())
                        + " positions for " + batch.size() + " messages");
            }
            return positions;
        });
    }

    /** The message of the {@code unavailable} answer to {@code messages} after a bus failure; logs it (throttled). */
    private String unavailableMessage(Throwable error, List<BusMessage> messages) {
        Throwable cause = Futures.unwrap(error);
        if (cause instanceof TimeoutException) {
            busWarn.warn(messages, BusMessage::traceId, "message bus did not acknowledge {} messages within {};"
                    + " answering unavailable", messages.size(), config.publishTimeout());
            return "message bus did not acknowledge in time, retry";
        }
        busWarn.warn(messages, BusMessage::traceId, "message bus failed {} messages; answering unavailable: {}",
                messages.size(), cause.toString());
        return "message bus unavailable, retry";
    }

    /** A DEBUG line saying that {@code post} was refused, with its trace id. */
    private static void debugRefused(PostRequest post, RejectReason reason, String message) {
        try (TraceMdc.Scope ignored = TraceMdc.put(post.traceId())) {
            LOG.debug("post refused: {}: {} (room {}, user {})", reason.code(), message, post.room(),
                    post.user() == null ? "anonymous" : post.user().id());
        }
    }

    /**
     * As {@link #unavailableMessage}, saying for a server API publish whether it may have happened: after a
     * deadline or a bus failure that does not rule it out, a retry may publish a second copy.
     */
    private String apiUnavailableMessage(Throwable error, List<BusMessage> messages) {
        unavailableMessage(error, messages); // logs
        Throwable cause = Futures.unwrap(error);
        if (cause instanceof BusUnavailableException b && !b.mayHaveBeenPublished()) {
            return "message bus unavailable, nothing was published; retry";
        }
        String what = cause instanceof TimeoutException ? "message bus did not acknowledge in time"
                : "message bus failed";
        return what + ": the message may have been published; a retry may publish it twice unless it carries an"
                + " idempotency_key";
    }

    private static Integer optionalInt(ObjectNode data, String field) {
        JsonNode n = data.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new IllegalArgumentException("data." + field + ": " + abbreviate(n.toString())
                    + " (expected: an integer)");
        }
        return n.intValue();
    }

    private static UserRef optionalUser(JsonNode n) {
        if (n == null || n.isNull()) {
            return SYSTEM_USER;
        }
        if (!n.isObject()) {
            throw new IllegalArgumentException("data.user: " + typeName(n)
                    + " (expected: an object {\"id\",\"name\"})");
        }
        JsonNode id = n.get("id");
        if (id == null || !id.isTextual() || id.textValue().isEmpty() || id.textValue().length() > MAX_USER_ID_LENGTH) {
            throw new IllegalArgumentException("data.user.id: " + (id == null ? "missing" : abbreviate(id.toString()))
                    + " (expected: a string of 1.." + MAX_USER_ID_LENGTH + " characters)");
        }
        Rejection r = ShapeRule.validateCharacters("data.user.id", id.textValue());
        if (r != null) {
            throw new IllegalArgumentException(r.message());
        }
        JsonNode name = n.get("name");
        String nameText = null;
        if (name != null && !name.isNull()) {
            if (!name.isTextual() || name.textValue().length() > MAX_USER_NAME_LENGTH) {
                throw new IllegalArgumentException("data.user.name: " + abbreviate(name.toString())
                        + " (expected: a string of at most " + MAX_USER_NAME_LENGTH + " characters)");
            }
            r = ShapeRule.validateCharacters("data.user.name", name.textValue());
            if (r != null) {
                throw new IllegalArgumentException(r.message());
            }
            nameText = name.textValue();
        }
        return new UserRef(id.textValue(), nameText);
    }

    private static String typeName(JsonNode n) {
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

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "…";
    }

    private static PublishOutcome badData(String message) {
        return PublishOutcome.rejected(RejectReason.BAD_REQUEST, message);
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }

    private Counter postCounter(String result) {
        return Counter.builder("danmaku.logic.posts")
                .description("Danmaku posts by result: accepted or the reject reason")
                .tag("result", result)
                .register(registry);
    }

    private Counter apiCounter(String kind) {
        return Counter.builder("danmaku.logic.api.messages")
                .description("Messages published through the server API, by kind")
                .tag("kind", kind)
                .register(registry);
    }
}
