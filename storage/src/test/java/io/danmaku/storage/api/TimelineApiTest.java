package io.danmaku.storage.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.api.ApiRequest;
import io.danmaku.protocol.api.ApiResponse;
import io.danmaku.protocol.api.RoomReadAccess;
import io.danmaku.protocol.contract.MutableClock;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.storage.archive.ArchiveWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TimelineApiTest {
    private static final String EPOCH = "mem-00000001";
    private static final String ROOM = "vod-1";
    /** The stream started here; the test's clock reads an hour later, so the first segments are closed. */
    private static final long START = Instant.parse("2024-05-01T12:00:00Z").toEpochMilli();
    /** The hot store keeps the newest 2 records per room: older ones come from the archive. */
    private static final int HOT_CAPACITY = 2;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path root;

    private final MutableClock clock = new MutableClock(Instant.ofEpochMilli(START).plus(Duration.ofHours(1)));
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final MemoryHotStore store = new MemoryHotStore(clock, HOT_CAPACITY);
    private final List<RoomRecord> posted = new ArrayList<>();
    private ArchiveWriter archive;
    private HistoryApi history;
    private RoomsApi api;

    @BeforeEach
    void setUp() {
        archive = new ArchiveWriter(root, 1024, Duration.ofMinutes(10), r -> r.epoch() + "/" + r.room(), clock,
                meters);
        archive.start().join();
        history = new HistoryApi(store, archive.reader(), clock, RoomReadAccess.OPEN, meters);
        api = new RoomsApi(history, new TimelineApi(history, store, clock, RoomReadAccess.OPEN, meters));
    }

    @AfterEach
    void tearDown() {
        archive.close();
        store.close();
    }

    /** A post made {@code atMillis} ms into the stream (negative: before it started), stored as storage does. */
    private void post(long atMillis, String text) {
        long offset = posted.size() + 1;
        long time = START + atMillis;
        String json = "{\"id\":\"" + ROOM + "-" + offset + "\",\"room\":\"" + ROOM + "\",\"time\":" + time
                + ",\"user\":{\"id\":\"u1\",\"name\":\"Viewer\"},\"text\":\"" + text + "\",\"color\":16777215,"
                + "\"mode\":1}";
        RoomRecord r = new RoomRecord(ROOM, offset, EPOCH, time, json.getBytes(StandardCharsets.UTF_8));
        posted.add(r);
        store.appendHistory(ROOM, List.of(r)).join();
        archive.append(List.of(r)).join();
    }

    /** A post made {@code atMillis} ms after the stream start, on a video, {@code progressMillis} into it. */
    private void postWithProgress(long atMillis, long progressMillis, String text) {
        long offset = posted.size() + 1;
        long time = START + atMillis;
        String json = "{\"id\":\"" + ROOM + "-" + offset + "\",\"room\":\"" + ROOM + "\",\"time\":" + time
                + ",\"user\":{\"id\":\"u1\",\"name\":\"Viewer\"},\"text\":\"" + text + "\",\"progress\":"
                + progressMillis + "}";
        RoomRecord r = new RoomRecord(ROOM, offset, EPOCH, time, json.getBytes(StandardCharsets.UTF_8));
        posted.add(r);
        store.appendHistory(ROOM, List.of(r)).join();
        archive.append(List.of(r)).join();
    }

    private ApiResponse call(String method, String room, Map<String, String> query, Map<String, String> headers) {
        return api.handle(new ApiRequest(method, "/api/rooms/" + room + "/timeline", query, headers, new byte[0]))
                .join();
    }

    private ApiResponse get(Map<String, String> query, Map<String, String> headers) {
        return call("GET", ROOM, query, headers);
    }

    private JsonNode ok(Map<String, String> query) {
        ApiResponse r = get(query, Map.of());
        assertThat(r.status()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        assertThat(r.contentType()).isEqualTo("application/json");
        return json(r);
    }

    private static JsonNode json(ApiResponse r) {
        try {
            return MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> texts(JsonNode answer) {
        List<String> out = new ArrayList<>();
        answer.get("messages").forEach(m -> out.add(m.get("text").asText()));
        return out;
    }

    private static List<Long> positions(JsonNode answer) {
        List<Long> out = new ArrayList<>();
        answer.get("messages").forEach(m -> out.add(m.get("position_ms").asLong()));
        return out;
    }

    private void streamAt10s70s400s() {
        store.setStreamStart(ROOM, START).join();
        post(-5_000, "before the stream");
        post(10_000, "at 10 s");
        post(70_000, "at 70 s");
        post(359_999, "last of the first segment");
        post(360_000, "first of the second segment");
        post(400_000, "at 400 s");
    }

    @Test
    void postsMadeIntoTheStreamComeBackInTheirSegmentsInOrder() {
        streamAt10s70s400s();

        JsonNode first = ok(Map.of("from_ms", "0"));
        assertThat(texts(first)).containsExactly("at 10 s", "at 70 s", "last of the first segment");
        assertThat(positions(first)).containsExactly(10_000L, 70_000L, 359_999L);
        assertThat(first.get("stream_start").asLong()).isEqualTo(START);
        assertThat(first.get("segment").asLong()).isZero();
        assertThat(first.get("segment_ms").asLong()).isEqualTo(360_000);
        assertThat(first.get("from_ms").asLong()).isZero();
        assertThat(first.get("to_ms").asLong()).isEqualTo(360_000);
        assertThat(first.get("closed").asBoolean()).isTrue();
        assertThat(first.get("truncated").asBoolean()).isFalse();
        JsonNode m = first.get("messages").get(0);
        assertThat(m.get("offset").asLong()).isEqualTo(2);
        assertThat(m.get("epoch").asText()).isEqualTo(EPOCH);
        assertThat(m.get("time").asLong()).isEqualTo(START + 10_000);

        JsonNode second = ok(Map.of("from_ms", "360000"));
        assertThat(texts(second)).containsExactly("first of the second segment", "at 400 s");
        assertThat(positions(second)).containsExactly(360_000L, 400_000L);
        assertThat(second.get("segment").asLong()).isEqualTo(1);
        assertThat(second.get("to_ms").asLong()).isEqualTo(720_000);

        assertThat(texts(ok(Map.of("from_ms", "720000")))).isEmpty();
        assertThat(texts(ok(Map.of()))).as("from_ms defaults to 0").containsExactlyElementsOf(texts(first));
    }

    @Test
    void aPostWithAProgressIsPlacedByItWheneverItWasPosted() {
        streamAt10s70s400s();
        postWithProgress(3_000_000, 400_500, "watching the video at 400.5 s, 50 min later");
        postWithProgress(3_100_000, 5_000, "at 5 s of the video");
        postWithProgress(3_200_000, 10_000, "also at 10 s");

        JsonNode first = ok(Map.of("from_ms", "0"));
        assertThat(texts(first)).containsExactly("at 5 s of the video", "at 10 s", "also at 10 s", "at 70 s",
                "last of the first segment");
        assertThat(positions(first)).containsExactly(5_000L, 10_000L, 10_000L, 70_000L, 359_999L);
        JsonNode second = ok(Map.of("from_ms", "360000"));
        assertThat(texts(second)).containsExactly("first of the second segment", "at 400 s",
                "watching the video at 400.5 s, 50 min later");
        assertThat(positions(second)).containsExactly(360_000L, 400_000L, 400_500L);
        assertThat(texts(ok(Map.of("from_ms", "3000000")))).as("not at its time").isEmpty();
    }

    @Test
    void withoutAStreamStartOnlyPostsWithAProgressAreOnTheTimeline() {
        post(10_000, "no progress");
        postWithProgress(20_000, 70_000, "at 70 s of the video");

        JsonNode first = ok(Map.of("from_ms", "0"));
        assertThat(first.get("stream_start").isNull()).isTrue();
        assertThat(texts(first)).containsExactly("at 70 s of the video");
        assertThat(positions(first)).containsExactly(70_000L);
        assertThat(first.get("closed").asBoolean()).as("new posts may land in any segment").isFalse();
    }

    @Test
    void retractionsAndTheMessagesTheyDeletedAreNotOnTheTimeline() {
        streamAt10s70s400s();
        RoomRecord deleted = posted.get(2); // "at 70 s"
        long offset = posted.size() + 1;
        long time = START + 80_000;
        String json = "{\"id\":\"D" + offset + "\",\"room\":\"" + ROOM + "\",\"time\":" + time
                + ",\"cmd\":\"DELETE\",\"ids\":[\"" + ROOM + "-" + deleted.offset() + "\"]}";
        RoomRecord retraction = new RoomRecord(ROOM, offset, EPOCH, time, json.getBytes(StandardCharsets.UTF_8));
        // what storage does with a retraction
        store.appendHistory(ROOM, List.of(retraction)).join();
        store.retract(ROOM, List.of(ROOM + "-" + deleted.offset())).join();
        archive.append(List.of(retraction)).join();
        archive.retract(List.of(retraction)).join();

        assertThat(texts(ok(Map.of("from_ms", "0")))).containsExactly("at 10 s", "last of the first segment");
        store.removeHistory(ROOM).join(); // the archive alone answers, with its tombstone
        assertThat(texts(ok(Map.of("from_ms", "0", "to_ms", "100000")))).containsExactly("at 10 s");
    }

    @Test
    void aRangeInsideASegmentGivesItsPartOnly() {
        streamAt10s70s400s();

        assertThat(texts(ok(Map.of("from_ms", "60000")))).containsExactly("at 70 s", "last of the first segment");
        assertThat(texts(ok(Map.of("from_ms", "0", "to_ms", "70000")))).containsExactly("at 10 s");
        assertThat(texts(ok(Map.of("from_ms", "10000", "to_ms", "10001")))).containsExactly("at 10 s");
    }

    @Test
    void movingTheStreamStartMovesTheMessages() {
        streamAt10s70s400s();
        store.setStreamStart(ROOM, START + 60_000).join();

        JsonNode first = ok(Map.of("from_ms", "0"));
        assertThat(texts(first)).containsExactly("at 70 s", "last of the first segment",
                "first of the second segment", "at 400 s");
        assertThat(positions(first)).containsExactly(10_000L, 299_999L, 300_000L, 340_000L);
    }

    @Test
    void aRoomWithoutAStreamStartHasNoTimelineYet() {
        post(10_000, "posted");

        ApiResponse r = get(Map.of(), Map.of());
        assertThat(r.status()).isEqualTo(200);
        JsonNode answer = json(r);
        assertThat(answer.get("stream_start").isNull()).isTrue();
        assertThat(answer.get("messages")).isEmpty();
        assertThat(r.headers().get("Cache-Control")).isEqualTo("public, max-age=" + TimelineApi.LIVE_MAX_AGE_SECONDS);
    }

    @Test
    void anAnswerCarriesAStrongETagAndIfNoneMatchGives304UntilTheSegmentChanges() {
        streamAt10s70s400s();

        ApiResponse first = get(Map.of("from_ms", "0"), Map.of());
        String etag = first.headers().get("ETag");
        assertThat(etag).matches("\"[0-9a-f]{32}\"");
        assertThat(get(Map.of("from_ms", "0"), Map.of()).headers().get("ETag")).as("same content, same tag")
                .isEqualTo(etag);
        assertThat(get(Map.of("from_ms", "360000"), Map.of()).headers().get("ETag")).as("another segment")
                .isNotEqualTo(etag);

        for (String ifNoneMatch : List.of(etag, "W/" + etag, "\"other\", " + etag, "*")) {
            ApiResponse again = get(Map.of("from_ms", "0"), Map.of("if-none-match", ifNoneMatch));
            assertThat(again.status()).as(ifNoneMatch).isEqualTo(304);
            assertThat(again.body()).isEmpty();
            assertThat(again.headers()).containsEntry("ETag", etag)
                    .containsEntry("Cache-Control", first.headers().get("Cache-Control"));
        }
        assertThat(get(Map.of("from_ms", "0"), Map.of("if-none-match", "\"other\"")).status()).isEqualTo(200);

        post(90_000, "late arrival"); // e.g. a record the storage tier stored late
        ApiResponse changed = get(Map.of("from_ms", "0"), Map.of("if-none-match", etag));
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.headers().get("ETag")).isNotEqualTo(etag);
        assertThat(texts(json(changed))).contains("late arrival");
    }

    @Test
    void aClosedSegmentIsCachedForADayTheLiveOneBriefly() {
        // the stream started 7 minutes ago: segment 0 ended a minute ago and more, segment 1 is being recorded
        store.setStreamStart(ROOM, clock.millis() - Duration.ofMinutes(7).toMillis() - 1).join();

        ApiResponse closed = get(Map.of("from_ms", "0"), Map.of());
        assertThat(json(closed).get("closed").asBoolean()).isTrue();
        assertThat(closed.headers()).containsEntry("Cache-Control", "public, max-age=86400");

        ApiResponse live = get(Map.of("from_ms", "360000"), Map.of());
        assertThat(json(live).get("closed").asBoolean()).isFalse();
        assertThat(live.headers()).containsEntry("Cache-Control", "public, max-age=5");

        ApiResponse future = get(Map.of("from_ms", "3600000"), Map.of());
        assertThat(future.headers()).containsEntry("Cache-Control", "public, max-age=5");

        ApiResponse withToken = get(Map.of("from_ms", "0"), Map.of("authorization", "Bearer x"));
        assertThat(withToken.headers()).as("an answer for credentials is not for shared caches")
                .containsEntry("Cache-Control", "private, max-age=86400");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "from_ms=-1         | from_ms: \"-1\" (expected: milliseconds into the recording, an integer 0..",
            "from_ms=abc        | from_ms: \"abc\" (expected: milliseconds into the recording",
            "from_ms=1.5        | from_ms: \"1.5\" (expected",
            "from_ms=99999999999999999 | from_ms: \"99999999999999999\" (expected",
            "to_ms=-5           | to_ms: \"-5\" (expected: milliseconds into the recording",
            "to_ms=0            | to_ms: 0 (expected: after from_ms, 0, and at most the end of its 360000 ms segment,"
                    + " 360000)",
            "to_ms=360001       | to_ms: 360001 (expected: after from_ms, 0, and at most the end of its 360000 ms",
            "from_ms=360000&to_ms=720001 | to_ms: 720001 (expected: after from_ms, 360000, and at most the end of"
                    + " its 360000 ms segment, 720000)",
    })
    void aBadParameterIsA400NamingIt(String query, String message) {
        store.setStreamStart(ROOM, START).join();
        Map<String, String> q = new HashMap<>();
        for (String pair : query.split("&")) {
            q.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
        }
        ApiResponse r = get(q, Map.of());
        assertThat(r.status()).isEqualTo(400);
        assertThat(json(r).path("error").path("code").asInt()).isEqualTo(HistoryApi.CODE_BAD_REQUEST);
        assertThat(json(r).path("error").path("message").asText()).startsWith(message);
        assertThat(r.headers()).doesNotContainKey("ETag");
    }

    @Test
    void aBadRoomOrMethodIsRefused() {
        ApiResponse badRoom = call("GET", "a%20b", Map.of(), Map.of());
        assertThat(badRoom.status()).isEqualTo(400);
        assertThat(json(badRoom).path("error").path("message").asText()).startsWith("room");
        ApiResponse post = call("POST", ROOM, Map.of(), Map.of());
        assertThat(post.status()).isEqualTo(405);
        assertThat(json(post).path("error").path("message").asText()).contains("expected: GET");
    }

    @Test
    void theAccessRulesOfTheHistoryApiAnswer401Or403BeforeAnythingIsRead() {
        streamAt10s70s400s();
        List<String> asked = new ArrayList<>();
        RoomReadAccess rules = (request, room) -> {
            asked.add(room);
            return "yes".equals(request.header("authorization"))
                    ? RoomReadAccess.Verdict.ALLOWED
                    : request.header("authorization") == null
                            ? RoomReadAccess.Verdict.unauthorized("unauthorized: no credentials")
                            : RoomReadAccess.Verdict.forbidden("permission denied: not this room");
        };
        api = new RoomsApi(history, new TimelineApi(history, store, clock, rules, meters));

        ApiResponse none = get(Map.of(), Map.of());
        assertThat(none.status()).isEqualTo(401);
        assertThat(json(none).path("error").path("code").asInt()).isEqualTo(HistoryApi.CODE_UNAUTHORIZED);
        ApiResponse other = get(Map.of(), Map.of("authorization", "no"));
        assertThat(other.status()).isEqualTo(403);
        assertThat(json(other).path("error").path("code").asInt()).isEqualTo(HistoryApi.CODE_PERMISSION_DENIED);
        assertThat(other.headers()).doesNotContainKey("ETag");
        ApiResponse allowed = get(Map.of(), Map.of("authorization", "yes"));
        assertThat(allowed.status()).isEqualTo(200);
        assertThat(texts(json(allowed))).containsExactly("at 10 s", "at 70 s", "last of the first segment");
        assertThat(asked).containsExactly(ROOM, ROOM, ROOM);
        assertThat(meters.counter("danmaku.storage.timeline.requests", "status", "401").count()).isEqualTo(1);
    }

    @Test
    void theHistoryPathStillReachesTheHistoryApi() {
        streamAt10s70s400s();
        ApiResponse r = api.handle(new ApiRequest("GET", "/api/rooms/" + ROOM + "/history", Map.of(), Map.of(),
                new byte[0])).join();
        assertThat(r.status()).isEqualTo(200);
        assertThat(json(r).get("messages")).hasSize(6);
    }
}
