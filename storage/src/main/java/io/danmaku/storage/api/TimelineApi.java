package io.danmaku.storage.api;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.Futures;
import io.danmaku.protocol.RoomId;
import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.api.ApiRequest;
import io.danmaku.protocol.api.ApiResponse;
import io.danmaku.protocol.api.HttpApi;
import io.danmaku.protocol.api.RoomReadAccess;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.store.HotStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A room's messages on its recording's timeline, for replay under the video a live stream became:
 * {@code GET /api/rooms/{room}/timeline?from_ms=&to_ms=} answers
 * {@code {"room","stream_start","segment","segment_ms","from_ms","to_ms","closed","messages":[…],"truncated"}}.
 *
 * <p>Positions: the room's stream start (server API {@code stream_start}, kept in the hot store) is position 0;
 * a message's {@code position_ms} is its time minus the stream start (its time on the bus, the record time, as
 * the history API selects by: within milliseconds of the {@code time} it was stamped with). Messages from before
 * the start have no such position. A post that carries a {@code progress} (ms into a video that is not live, sent by
 * the client) is placed by it instead, whenever it was posted (after the stream start, when there is one); those
 * are found by reading the room's messages by time, at most {@value #MAX_PROGRESS_PAGES} pages of
 * {@value #MAX_MESSAGES} (the answer is {@code truncated} beyond). A room without a stream start answers
 * {@code "stream_start":null} and its posts with a progress only.
 *
 * <p>Paging: the timeline is cut in fixed segments of {@value #SEGMENT_MS} ms (6 minutes, as Bilibili's
 * players fetch them): segment {@code n} covers positions [{@code n × 360000}, {@code (n + 1) × 360000}). A
 * request covers positions [{@code from_ms}, {@code to_ms}) within one segment: {@code from_ms} (default 0)
 * picks the segment, {@code to_ms} defaults to the segment's end and may not pass it. A player asks for
 * {@code from_ms = n × 360000} as it plays, so every viewer of a segment asks the same URL and a cache or CDN
 * answers most of them. The earliest {@value #MAX_MESSAGES} messages of the range come back ordered by position
 * (then offset), each the stamped message as published plus {@code position_ms}, {@code offset} and
 * {@code epoch}; {@code truncated} says that more exist (ask again with {@code from_ms} = the last message's
 * position and drop what you already have, by epoch and offset).
 *
 * <p>Caching: every 200 answer carries a strong {@code ETag} (a hash of its body) and a request whose
 * {@code If-None-Match} names it gets 304 with no body. A segment is {@code closed} once its end is more than
 * {@link #CLOSED_AFTER} in the past (storage has stored what was posted in it): its answer is cached for a day
 * ({@code max-age=86400}); the live segment, a future one and a room without a stream start for
 * {@value #LIVE_MAX_AGE_SECONDS} s. Answers are {@code public} when the request carried no credentials (anonymous
 * reading is on), else {@code private}. Moving a room's stream start moves its messages on the timeline: caches
 * keep a closed segment's old answer up to its max-age.
 *
 * <p>Access and errors are those of the {@link HistoryApi}: the same {@link RoomReadAccess}, the same codes; a
 * bad parameter is a 400 with code 107 whose message starts with the parameter's name.
 *
 * <p>Meter: {@code danmaku.storage.timeline.requests} (tag {@code status}).
 */
public final class TimelineApi implements HttpApi {
    public static final String PATH_SUFFIX = "/timeline";
    /** The length of a segment: 6 minutes. */
    public static final long SEGMENT_MS = 360_000;
    /** At most this many messages per answer. */
    public static final int MAX_MESSAGES = 3000;
    /** The largest position taken: 100 years. */
    public static final long MAX_POSITION_MS = Duration.ofDays(36_525).toMillis();
    /** How long after its end a segment is closed (stored by the storage tier) and cached for long. */
    public static final Duration CLOSED_AFTER = Duration.ofMinutes(1);
    public static final long CLOSED_MAX_AGE_SECONDS = 86_400;
    public static final long LIVE_MAX_AGE_SECONDS = 5;
    /** At most this many pages of {@value #MAX_MESSAGES} messages are read looking for posts with a progress. */
    public static final int MAX_PROGRESS_PAGES = 10;
    private static final byte[] PROGRESS_KEY = ("\"" + RoomMessage.PROGRESS + "\":").getBytes(
            java.nio.charset.StandardCharsets.US_ASCII);
    private static final Pattern DIGITS = Pattern.compile("\\d{1,16}");
    private static final Logger log = LoggerFactory.getLogger(TimelineApi.class);

    private final HistoryApi history;
    private final HotStore hotStore;
    private final Clock clock;
    private final RoomReadAccess access;
    private final MeterRegistry meters;

    /**
     * @param history reads the messages (hot store and archive, as for the history API)
     * @param hotStore holds the rooms' stream starts
     */
    public TimelineApi(HistoryApi history, HotStore hotStore, Clock clock, RoomReadAccess access,
                       MeterRegistry meters) {
        this.history = requireNonNull(history, "history");
        this.hotStore = requireNonNull(hotStore, "hotStore");
        this.clock = requireNonNull(clock, "clock");
        this.access = requireNonNull(access, "access");
        this.meters = requireNonNull(meters, "meters");
    }

    @Override
    public CompletableFuture<ApiResponse> handle(ApiRequest request) {
        CompletableFuture<ApiResponse> answer;
        try {
            answer = route(request);
        } catch (BadRequest e) {
            answer = CompletableFuture.completedFuture(ApiResponse.error(400, HistoryApi.CODE_BAD_REQUEST,
                    e.getMessage()));
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        return answer
                .exceptionally(e -> {
                    log.warn("timeline API request {} failed unexpectedly", abbreviate(request.path()), e);
                    return ApiResponse.error(500, HistoryApi.CODE_INTERNAL, "internal server error");
                })
                .thenApply(r -> {
                    Counter.builder("danmaku.storage.timeline.requests")
                            .description("Timeline API requests by HTTP status")
                            .tag("status", String.valueOf(r.status()))
                            .register(meters)
                            .increment();
                    return r;
                });
    }

    private CompletableFuture<ApiResponse> route(ApiRequest request) {
        String path = request.path();
        String room = null;
        if (path.startsWith(HistoryApi.PATH_PREFIX) && path.endsWith(PATH_SUFFIX)
                && path.length() > HistoryApi.PATH_PREFIX.length() + PATH_SUFFIX.length()) {
            room = path.substring(HistoryApi.PATH_PREFIX.length(), path.length() - PATH_SUFFIX.length());
        }
        if (room == null || room.indexOf('/') >= 0) {
            return done(ApiResponse.error(404, HistoryApi.CODE_METHOD_NOT_FOUND, "method not found: "
                    + abbreviate(path) + " (expected: " + HistoryApi.PATH_PREFIX + "{room}" + PATH_SUFFIX + ")"));
        }
        if (!"GET".equalsIgnoreCase(request.method())) {
            return done(ApiResponse.error(405, HistoryApi.CODE_BAD_REQUEST, "bad request: HTTP method "
                    + abbreviate(request.method()) + " not allowed (expected: GET)"));
        }
        RoomReadAccess.Verdict verdict = access.check(request, room);
        if (!verdict.allowed()) {
            return done(ApiResponse.error(verdict.status(), verdict.status() == 401 ? HistoryApi.CODE_UNAUTHORIZED
                    : HistoryApi.CODE_PERMISSION_DENIED, verdict.message()));
        }
        if (!RoomId.isValid(room)) {
            throw new BadRequest(RoomId.describeInvalid(room, "room"));
        }
        long from = position(request, "from_ms", 0);
        long segment = from / SEGMENT_MS;
        long segmentEnd = (segment + 1) * SEGMENT_MS;
        long to = position(request, "to_ms", segmentEnd);
        if (to <= from || to > segmentEnd) {
            throw new BadRequest("to_ms: " + to + " (expected: after from_ms, " + from + ", and at most the end of"
                    + " its " + SEGMENT_MS + " ms segment, " + segmentEnd + ")");
        }
        boolean shared = request.header("authorization") == null && request.header("x-api-key") == null;
        String roomId = room;
        return hotStore.streamStart(room).handle((start, failure) -> {
            if (failure != null) {
                log.debug("timeline API: reading the stream start of room {} failed", roomId, failure);
                return done(HistoryApi.unavailable("hot store unavailable"));
            }
            return answer(request, roomId, start, segment, from, to, shared);
        }).thenCompose(f -> f);
    }

    private CompletableFuture<ApiResponse> answer(ApiRequest request, String room, OptionalLong start, long segment,
                                                  long from, long to, boolean shared) {
        Long origin = start.isPresent() ? start.getAsLong() : null;
        boolean closed = origin != null
                && clock.millis() - (origin + (segment + 1) * SEGMENT_MS) > CLOSED_AFTER.toMillis();
        TreeMap<Placed, RoomRecord> placed = new TreeMap<>();
        CompletableFuture<Boolean> byTime;
        if (origin == null) {
            byTime = CompletableFuture.completedFuture(false);
        } else {
            byTime = history.read(room, origin + from, origin + to - 1, MAX_MESSAGES).thenApply(range -> {
                if (range.failure() != null) {
                    throw new Failed(range.failure());
                }
                for (RoomRecord r : range.records()) {
                    if (progressOf(r) == null) { // a post with a progress is placed by it, below
                        place(placed, r, r.timeMillis() - origin);
                    }
                }
                return range.truncated();
            });
        }
        long scanFrom = origin == null ? 0 : origin;
        return byTime
                .thenCompose(truncated -> scanProgress(room, scanFrom, from, to, placed, 1).thenApply(more ->
                        cacheable(request, body(room, origin, segment, from, to, closed, placed,
                                truncated || more || placed.size() > MAX_MESSAGES), closed, shared)))
                .exceptionally(e -> {
                    if (Futures.unwrap(e) instanceof Failed f) {
                        return f.answer;
                    }
                    throw e instanceof java.util.concurrent.CompletionException c ? c
                            : new java.util.concurrent.CompletionException(e);
                });
    }

    /**
     * The posts with a {@code progress} (made on a video that is not live) whose progress is in [{@code from},
     * {@code to}): read by time from {@code scanFrom} (the stream start, or the beginning) to now, page after page of
     * {@value #MAX_MESSAGES}, at most {@value #MAX_PROGRESS_PAGES} pages; completes with true when it stopped
     * there with more to read (the answer is then truncated).
     */
    private CompletableFuture<Boolean> scanProgress(String room, long scanFrom, long from, long to,
                                                    TreeMap<Placed, RoomRecord> placed, int page) {
        long now = clock.millis();
        return history.read(room, scanFrom, Math.max(scanFrom, now), MAX_MESSAGES).thenCompose(range -> {
            if (range.failure() != null) {
                throw new Failed(range.failure());
            }
            RoomRecord last = null;
            int n = 0;
            for (RoomRecord r : range.records()) {
                if (n++ == MAX_MESSAGES) {
                    break;
                }
                last = r;
                Long progress = progressOf(r);
                if (progress != null && progress >= from && progress < to) {
                    place(placed, r, progress);
                }
            }
            if (!range.truncated() || last == null) {
                return CompletableFuture.completedFuture(false);
            }
            if (page >= MAX_PROGRESS_PAGES || last.timeMillis() <= scanFrom) {
                return CompletableFuture.completedFuture(true);
            }
            // the next page starts at the last time read: records of that millisecond come again, placed once
            return scanProgress(room, last.timeMillis(), from, to, placed, page + 1);
        });
    }

    private static void place(TreeMap<Placed, RoomRecord> placed, RoomRecord r, long position) {
        placed.put(new Placed(position, r.offset(), r.epoch()), r);
    }

    /** A message's place on the timeline: by position, then offset (then epoch), so each record is there once. */
    private record Placed(long position, long offset, String epoch) implements Comparable<Placed> {
        @Override
        public int compareTo(Placed o) {
            int c = Long.compare(position, o.position);
            if (c == 0) {
                c = Long.compare(offset, o.offset);
            }
            return c != 0 ? c : epoch.compareTo(o.epoch);
        }
    }

    /** An error answer from the reads, carried out of the future chain. */
    private static final class Failed extends RuntimeException {
        final ApiResponse answer;

        Failed(ApiResponse answer) {
            super(null, null, false, false);
            this.answer = answer;
        }
    }

    /**
     * The message's {@code progress} (ms into the video it was posted on), or null when it has none: a cheap look
     * for the field's name first, then the JSON.
     */
    static Long progressOf(RoomRecord r) {
        byte[] p = r.payload();
        if (!contains(p, PROGRESS_KEY)) {
            return null;
        }
        try {
            JsonNode n = Json.MAPPER.readTree(p).get(RoomMessage.PROGRESS);
            return n != null && n.isIntegralNumber() && n.canConvertToLong() && n.longValue() >= 0 ? n.longValue()
                    : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean contains(byte[] a, byte[] key) {
        outer:
        for (int i = 0; i + key.length <= a.length; i++) {
            for (int k = 0; k < key.length; k++) {
                if (a[i + k] != key[k]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static ObjectNode body(String room, Long origin, long segment, long from, long to, boolean closed,
                                   TreeMap<Placed, RoomRecord> placed, boolean truncated) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("room", room);
        if (origin == null) {
            root.putNull("stream_start");
        } else {
            root.put("stream_start", origin);
        }
        root.put("segment", segment);
        root.put("segment_ms", SEGMENT_MS);
        root.put("from_ms", from);
        root.put("to_ms", to);
        root.put("closed", closed);
        ArrayNode messages = root.putArray("messages");
        int n = 0;
        for (Map.Entry<Placed, RoomRecord> e : placed.entrySet()) {
            if (n++ == MAX_MESSAGES) {
                break;
            }
            ObjectNode m = HistoryApi.message(e.getValue());
            m.put("position_ms", e.getKey().position());
            messages.add(m);
        }
        root.put("truncated", truncated);
        return root;
    }

    /** A 200 with a strong ETag of its body and its Cache-Control, or a 304 when If-None-Match names the ETag. */
    private static ApiResponse cacheable(ApiRequest request, ObjectNode body, boolean closed, boolean shared) {
        ApiResponse ok = ApiResponse.json(200, body);
        String etag = "\"" + HexFormat.of().formatHex(sha256(ok.body()), 0, 16) + "\"";
        String cacheControl = (shared ? "public" : "private") + ", max-age="
                + (closed ? CLOSED_MAX_AGE_SECONDS : LIVE_MAX_AGE_SECONDS);
        Map<String, String> headers = Map.of("ETag", etag, "Cache-Control", cacheControl);
        if (matches(request.header("if-none-match"), etag)) {
            return new ApiResponse(304, ok.contentType(), new byte[0], headers);
        }
        return ok.withHeaders(headers);
    }

    /** If-None-Match compares weakly (RFC 9110 §13.1.2): {@code *}, or one of the listed tags, W/ or not. */
    static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String tag : ifNoneMatch.split(",")) {
            String t = tag.trim();
            if (t.equals("*")) {
                return true;
            }
            if (t.startsWith("W/")) {
                t = t.substring(2);
            }
            if (t.equals(etag)) {
                return true;
            }
        }
        return false;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static long position(ApiRequest request, String name, long absent) {
        String value = request.query().get(name);
        if (value == null || value.isBlank()) {
            return absent;
        }
        String v = value.trim();
        if (!DIGITS.matcher(v).matches() || Long.parseLong(v) > MAX_POSITION_MS) {
            throw new BadRequest(name + ": \"" + abbreviate(value) + "\" (expected: milliseconds into the recording,"
                    + " an integer 0.." + MAX_POSITION_MS + ")");
        }
        return Long.parseLong(v);
    }

    private static CompletableFuture<ApiResponse> done(ApiResponse response) {
        return CompletableFuture.completedFuture(response);
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }

    /** A bad parameter; the message names it. */
    private static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message, null, false, false);
        }
    }
}
