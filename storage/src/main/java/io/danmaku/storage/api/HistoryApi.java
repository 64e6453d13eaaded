package io.danmaku.storage.api;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.DanmakuException;
import io.danmaku.protocol.Retraction;
import io.danmaku.protocol.RoomId;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.api.ApiRequest;
import io.danmaku.protocol.api.ApiResponse;
import io.danmaku.protocol.api.HttpApi;
import io.danmaku.protocol.api.RoomReadAccess;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.store.HistoryPage;
import io.danmaku.protocol.store.HistoryQuery;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.storage.archive.ArchiveReader;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A room's history by time: {@code GET /api/rooms/{room}/history?from=&to=&limit=} answers
 * {@code {"room","from","to","messages":[…],"truncated":bool}}: the earliest {@code limit} messages of the room
 * whose time is in [{@code from}, {@code to}] (both inclusive, ms since the epoch in the answer), ordered by
 * time then offset, each the stamped message JSON as published plus its {@code "offset"} and {@code "epoch"};
 * {@code truncated} is true when more messages of the range exist (ask again with {@code from} = the last
 * message's time and drop what you already have, by epoch and offset).
 *
 * <p>Parameters: {@code from} and {@code to} are ms since the epoch or ISO-8601 times with an offset
 * ({@code 2024-05-01T12:00:00Z}, {@code 2024-05-01T20:00:00+08:00}); {@code from} defaults to 0, {@code to} to
 * now; {@code limit} is 1..{@value #MAX_LIMIT}, default {@value #DEFAULT_LIMIT}. A message's time is its time
 * on the bus (the record time), within milliseconds of the {@code time} it was stamped with.
 *
 * <p>Sources: the hot store for recent messages, the archive for older ones. When the hot store's oldest
 * retained record of the room is older than {@code from}, the hot store holds the whole range and answers
 * alone; otherwise the archive segments overlapping the range are read and merged with the hot part, each
 * record once (by epoch and offset). Without an archive only the hot store answers; when the hot store is down
 * the archive answers alone (it holds everything the storage tier acknowledged).
 *
 * <p>Access: the same rules as subscribing, decided by the {@link RoomReadAccess} the server wires in: a
 * connection token in {@code Authorization: Bearer <JWT>} reads the rooms its {@code rooms} claim allows (any
 * without the claim), the API key ({@code X-API-Key} or {@code Authorization: apikey <key>}) reads any room,
 * and a request without credentials only while anonymous reading is on.
 *
 * <p>Errors are {@code {"error":{"code":N,"message":"…"}}}, with the codes of the server API: 101 without valid
 * credentials (HTTP 401), 103 when they do not allow the room (403), 104 for an unknown
 * path (HTTP 404), 107 for a bad parameter (400; the message starts with the parameter's name) or another
 * method than GET (405), 108 when no source can answer now (503), 100 for anything else (500).
 *
 * <p>Meter: {@code danmaku.storage.history.requests} (tags {@code status}, and {@code source}: {@code hot},
 * {@code archive}, {@code merged} or {@code none}).
 */
public final class HistoryApi implements HttpApi {
    public static final String PATH_PREFIX = "/api/rooms/";
    public static final String PATH_SUFFIX = "/history";
    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 1000;
    public static final int CODE_INTERNAL = 100;
    public static final int CODE_UNAUTHORIZED = 101;
    public static final int CODE_PERMISSION_DENIED = 103;
    public static final int CODE_METHOD_NOT_FOUND = 104;
    public static final int CODE_BAD_REQUEST = 107;
    public static final int CODE_NOT_AVAILABLE = 108;
    /** Records per hot-store read, and at most this many reads per request. */
    static final int HOT_PAGE = HistoryQuery.MAX_LIMIT;
    static final int MAX_HOT_PAGES = 100;
    static final long WARN_INTERVAL_SECONDS = 10;
    private static final Pattern MILLIS = Pattern.compile("\\d{1,15}");
    private static final String TIME_EXPECTED = "milliseconds since the epoch or an ISO-8601 time with an offset,"
            + " e.g. 2024-05-01T12:00:00Z";
    private static final Logger log = LoggerFactory.getLogger(HistoryApi.class);

    private final HotStore hotStore;
    private final ArchiveReader archive;
    private final Clock clock;
    private final RoomReadAccess access;
    private final MeterRegistry meters;
    private final AtomicLong nextWarnNanos = new AtomicLong(System.nanoTime());

    /**
     * @param archive the archive's reads, or null to serve the hot store's history only
     * @param access who may read which room
     */
    public HistoryApi(HotStore hotStore, ArchiveReader archive, Clock clock, RoomReadAccess access,
                      MeterRegistry meters) {
        this.hotStore = requireNonNull(hotStore, "hotStore");
        this.archive = archive;
        this.clock = requireNonNull(clock, "clock");
        this.access = requireNonNull(access, "access");
        this.meters = requireNonNull(meters, "meters");
    }

    @Override
    public CompletableFuture<ApiResponse> handle(ApiRequest request) {
        CompletableFuture<Answer> answer;
        try {
            answer = route(request);
        } catch (BadRequest e) {
            answer = CompletableFuture.completedFuture(new Answer(ApiResponse.error(400, CODE_BAD_REQUEST, e.getMessage()),
                    "none"));
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        return answer
                .exceptionally(e -> {
                    warnThrottled("history API request " + abbreviate(request.path()) + " failed unexpectedly", e);
                    return new Answer(ApiResponse.error(500, CODE_INTERNAL, "internal server error"), "none");
                })
                .thenApply(a -> {
                    Counter.builder("danmaku.storage.history.requests")
                            .description("History API requests by HTTP status and the source that answered")
                            .tag("status", String.valueOf(a.response.status()))
                            .tag("source", a.source)
                            .register(meters)
                            .increment();
                    return a.response;
                });
    }

    private CompletableFuture<Answer> route(ApiRequest request) {
        String path = request.path();
        String room = null;
        if (path.startsWith(PATH_PREFIX) && path.endsWith(PATH_SUFFIX)
                && path.length() > PATH_PREFIX.length() + PATH_SUFFIX.length()) {
            room = path.substring(PATH_PREFIX.length(), path.length() - PATH_SUFFIX.length());
        }
        if (room == null || room.indexOf('/') >= 0) {
            return done(ApiResponse.error(404, CODE_METHOD_NOT_FOUND, "method not found: " + abbreviate(path)
                    + " (expected: " + PATH_PREFIX + "{room}" + PATH_SUFFIX + ")"), "none");
        }
        if (!"GET".equalsIgnoreCase(request.method())) {
            return done(ApiResponse.error(405, CODE_BAD_REQUEST, "bad request: HTTP method " + abbreviate(request.method())
                    + " not allowed (expected: GET)"), "none");
        }
        RoomReadAccess.Verdict verdict = access.check(request, room);
        if (!verdict.allowed()) {
            return done(ApiResponse.error(verdict.status(), verdict.status() == 401 ? CODE_UNAUTHORIZED
                    : CODE_PERMISSION_DENIED, verdict.message()), "none");
        }
        if (!RoomId.isValid(room)) {
            throw new BadRequest(RoomId.describeInvalid(room, "room"));
        }
        long from = time(request, "from", 0);
        long to = time(request, "to", clock.millis());
        int limit = limit(request);
        if (to < from) {
            throw new BadRequest("to: " + to + " (expected: a time at or after from, " + from + ")");
        }
        return query(room, from, to, limit);
    }

    // ---- parameters

    private static long time(ApiRequest request, String name, long absent) {
        String value = request.query().get(name);
        if (value == null || value.isBlank()) {
            return absent;
        }
        Long millis = parseTime(value.trim());
        if (millis == null && value.trim().indexOf(' ') > 0) {
            // a '+' of an offset that was not percent-encoded arrives as a space
            millis = parseTime(value.trim().replace(' ', '+'));
        }
        if (millis == null || millis < 0) {
            throw new BadRequest(name + ": \"" + abbreviate(value) + "\" (expected: " + TIME_EXPECTED
                    + ", not before 1970)");
        }
        return millis;
    }

    private static Long parseTime(String value) {
        if (MILLIS.matcher(value).matches()) {
            return Long.parseLong(value);
        }
        try {
            return Instant.parse(value).toEpochMilli();
        } catch (DateTimeException | ArithmeticException e) {
            // not an instant in UTC; maybe with an offset
        }
        try {
            return OffsetDateTime.parse(value).toInstant().toEpochMilli();
        } catch (DateTimeException | ArithmeticException e) {
            return null;
        }
    }

    private static int limit(ApiRequest request) {
        String value = request.query().get("limit");
        if (value == null || value.isBlank()) {
            return DEFAULT_LIMIT;
        }
        int limit;
        try {
            limit = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new BadRequest("limit: \"" + abbreviate(value) + "\" (expected: an integer 1.." + MAX_LIMIT + ")");
        }
        return limit;
    }

    // ---- query

    private CompletableFuture<Answer> query(String room, long from, long to, int limit) {
        return read(room, from, to, limit).thenApply(read -> read.failure() != null
                ? new Answer(read.failure(), read.source())
                : new Answer(ok(room, from, to, read.records(), limit, read.truncated()), read.source()));
    }

    /**
     * The room's records whose time is in [{@code from}, {@code to}] (both inclusive), from the sources described
     * above: the earliest {@code limit} of them (or a few more: take the first {@code limit}) in
     * {@link ArchiveReader#HISTORY_ORDER}, each once; or, when no source can answer, the error answer to give.
     */
    CompletableFuture<Range> read(String room, long from, long to, int limit) {
        return readHot(room, from, to, limit)
                .handle((hot, failure) -> {
                    if (failure != null) {
                        warnThrottled("history API: reading the hot history of room " + room + " failed; "
                                + (archive == null ? "no archive to fall back on" : "answering from the archive"),
                                failure);
                        if (archive == null) {
                            return CompletableFuture.completedFuture(Range.failed(unavailable("hot store unavailable")));
                        }
                        return fromArchive(room, from, to, limit, null);
                    }
                    if (hot.coversFrom || archive == null) {
                        return CompletableFuture.completedFuture(new Range(hot.best, hot.best.size() > limit,
                                "hot", null));
                    }
                    return fromArchive(room, from, to, limit, hot);
                })
                .thenCompose(f -> f);
    }

    private CompletableFuture<Range> fromArchive(String room, long from, long to, int limit, HotPart hot) {
        return archive.read(room, from, to, limit).handle((slice, failure) -> {
            if (failure != null) {
                Throwable cause = cause(failure);
                warnThrottled("history API: reading the archive for room " + room + " failed", cause);
                if (cause instanceof DanmakuException d && d.retriable()) {
                    return Range.failed(unavailable("archive unavailable"));
                }
                return Range.failed(ApiResponse.error(500, CODE_INTERNAL,
                        "internal server error: the archive could not be read"));
            }
            TreeSet<RoomRecord> merged = new TreeSet<>(ArchiveReader.HISTORY_ORDER);
            merged.addAll(slice.records());
            if (hot != null) {
                merged.addAll(hot.best);
            }
            return new Range(merged, slice.truncated() || merged.size() > limit, hot == null ? "archive" : "merged",
                    null);
        });
    }

    /** Reads the room's hot history page by page, keeping the earliest limit + 1 records in the range. */
    private CompletableFuture<HotPart> readHot(String room, long from, long to, int limit) {
        HotPart part = new HotPart(limit);
        return readHotPage(room, -1, from, to, part, 1);
    }

    private CompletableFuture<HotPart> readHotPage(String room, long after, long from, long to, HotPart part,
                                                   int pageNumber) {
        CompletableFuture<HistoryPage> page;
        try {
            page = hotStore.history(HistoryQuery.after(room, after, HOT_PAGE));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return page.thenCompose(p -> {
            List<RoomRecord> records = p.records();
            if (pageNumber == 1 && !records.isEmpty()) {
                part.coversFrom = records.get(0).timeMillis() < from;
            }
            for (RoomRecord r : records) {
                // a retraction is for the clients on the stream; the messages it deleted are gone from the store
                if (r.timeMillis() >= from && r.timeMillis() <= to && !Retraction.isRetraction(r.payload())) {
                    part.add(r);
                }
            }
            if (records.size() < HOT_PAGE || pageNumber >= MAX_HOT_PAGES) {
                return CompletableFuture.completedFuture(part);
            }
            return readHotPage(room, records.get(records.size() - 1).offset(), from, to, part, pageNumber + 1);
        });
    }

    // ---- answers

    private static ApiResponse ok(String room, long from, long to, TreeSet<RoomRecord> records, int limit,
                                  boolean truncated) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("room", room);
        root.put("from", from);
        root.put("to", to);
        ArrayNode messages = root.putArray("messages");
        int n = 0;
        for (RoomRecord r : records) {
            if (n++ == limit) {
                break;
            }
            messages.add(message(r));
        }
        root.put("truncated", truncated || records.size() > limit);
        return ApiResponse.json(200, root);
    }

    /** The stamped message as published, plus its position; a payload that is not a JSON object as "raw". */
    static ObjectNode message(RoomRecord r) {
        ObjectNode m = null;
        try {
            JsonNode n = Json.MAPPER.readTree(r.payload());
            if (n != null && n.isObject()) {
                m = (ObjectNode) n;
            }
        } catch (IOException e) {
            // not JSON: shown as text below
        }
        if (m == null) {
            m = Json.MAPPER.createObjectNode();
            m.put("raw", r.payloadText());
            m.put("time", r.timeMillis());
        }
        m.put("offset", r.offset());
        m.put("epoch", r.epoch());
        return m;
    }

    static ApiResponse unavailable(String what) {
        return ApiResponse.error(503, CODE_NOT_AVAILABLE, "unavailable: " + what + ", retry");
    }


    private static CompletableFuture<Answer> done(ApiResponse response, String source) {
        return CompletableFuture.completedFuture(new Answer(response, source));
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }

    private static Throwable cause(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    /** Logs at most one WARN every {@value #WARN_INTERVAL_SECONDS} s; the others are dropped. */
    private void warnThrottled(String message, Throwable failure) {
        long now = System.nanoTime();
        long next = nextWarnNanos.get();
        long after = now + TimeUnit.SECONDS.toNanos(WARN_INTERVAL_SECONDS);
        if (now - next >= 0 && nextWarnNanos.compareAndSet(next, after)) {
            log.warn(message, cause(failure));
        }
    }

    private record Answer(ApiResponse response, String source) {
    }

    /**
     * What {@link #read} found: the records (in history order, possibly {@code limit} + 1 or more of them) and
     * whether more of the range exist, with the source that answered; or the {@code failure} answer to give.
     */
    record Range(TreeSet<RoomRecord> records, boolean truncated, String source, ApiResponse failure) {
        static Range failed(ApiResponse failure) {
            return new Range(new TreeSet<>(ArchiveReader.HISTORY_ORDER), false, "none", failure);
        }
    }

    /** What the hot store holds of the range: the earliest limit + 1 records, and whether it holds all of it. */
    private static final class HotPart {
        final TreeSet<RoomRecord> best = new TreeSet<>(ArchiveReader.HISTORY_ORDER);
        final int limit;
        boolean coversFrom;

        HotPart(int limit) {
            this.limit = limit;
        }

        void add(RoomRecord r) {
            best.add(r);
            if (best.size() > limit + 1) {
                best.pollLast();
            }
        }
    }

    /** A bad parameter; the message names it. */
    private static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message, null, false, false);
        }
    }
}
