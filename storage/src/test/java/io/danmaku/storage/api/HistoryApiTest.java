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
import io.danmaku.storage.FailingHotStore;
import io.danmaku.storage.archive.ArchiveWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HistoryApiTest {
    private static final String EPOCH = "mem-00000001";
    private static final String ROOM = "room-a";
    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    /** The hot store keeps the newest 5 records per room. */
    private static final int HOT_CAPACITY = 5;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path root;

    private final MutableClock clock = new MutableClock(T0.plus(Duration.ofHours(1)));
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final MemoryHotStore memoryStore = new MemoryHotStore(clock, HOT_CAPACITY);
    private final FailingHotStore store = new FailingHotStore(memoryStore, 0);
    private ArchiveWriter archive;
    private HistoryApi api;

    @BeforeEach
    void setUp() {
        archive = new ArchiveWriter(root, 1024, Duration.ofMinutes(10), r -> r.epoch() + "/" + r.room(), clock,
                meters);
        archive.start().join();
        api = new HistoryApi(store, archive.reader(), clock, RoomReadAccess.OPEN, meters);
    }

    @AfterEach
    void tearDown() {
        archive.close();
        memoryStore.close();
    }

    private static long time(long offset) {
        return T0.toEpochMilli() + offset * 1000;
    }

    private static RoomRecord record(long offset) {
        String json = "{\"id\":\"" + ROOM + "-" + offset + "\",\"room\":\"" + ROOM + "\",\"time\":" + time(offset)
                + ",\"user\":{\"id\":\"u" + offset + "\",\"name\":\"User " + offset + "\"},\"text\":\"message "
                + offset + "\",\"color\":16777215,\"mode\":1}";
        return new RoomRecord(ROOM, offset, EPOCH, time(offset), json.getBytes(StandardCharsets.UTF_8));
    }

    private static List<RoomRecord> records(long first, long last) {
        return LongStream.rangeClosed(first, last).mapToObj(HistoryApiTest::record).toList();
    }

    /** What the storage tier does with a batch: the hot history and the archive. */
    private void stored(long first, long last) {
        toHotStore(first, last);
        toArchive(first, last);
    }

    private void toHotStore(long first, long last) {
        memoryStore.appendHistory(ROOM, records(first, last)).join();
    }

    private void toArchive(long first, long last) {
        archive.append(records(first, last)).join();
    }

    @Test
    void theAccessRulesAnswer401Or403BeforeAnythingIsRead() {
        List<String> asked = new ArrayList<>();
        api = new HistoryApi(store, null, clock, (request, room) -> {
            asked.add(room);
            return "yes".equals(request.header("authorization"))
                    ? RoomReadAccess.Verdict.ALLOWED
                    : request.header("authorization") == null
                            ? RoomReadAccess.Verdict.unauthorized("unauthorized: no credentials")
                            : RoomReadAccess.Verdict.forbidden("permission denied: not this room");
        }, meters);

        ApiResponse none = api.handle(new ApiRequest("GET", "/api/rooms/" + ROOM + "/history", Map.of(), Map.of(),
                new byte[0])).join();
        assertThat(none.status()).isEqualTo(401);
        assertThat(json(none).path("error").path("code").asInt()).isEqualTo(HistoryApi.CODE_UNAUTHORIZED);
        ApiResponse other = api.handle(new ApiRequest("GET", "/api/rooms/" + ROOM + "/history", Map.of(),
                Map.of("authorization", "no"), new byte[0])).join();
        assertThat(other.status()).isEqualTo(403);
        assertThat(json(other).path("error").path("code").asInt()).isEqualTo(HistoryApi.CODE_PERMISSION_DENIED);
        assertThat(asked).containsExactly(ROOM, ROOM);
    }

    private static Map<String, String> query(String... pairs) {
        Map<String, String> q = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            q.put(pairs[i], pairs[i + 1]);
        }
        return q;
    }

    private ApiResponse call(String method, String path, Map<String, String> query) {
        return api.handle(new ApiRequest(method, path, query, Map.of(), new byte[0])).join();
    }

    private JsonNode get(Map<String, String> query) {
        ApiResponse r = call("GET", "/api/rooms/" + ROOM + "/history", query);
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

    private static List<Long> offsets(JsonNode answer) {
        List<Long> out = new ArrayList<>();
        answer.get("messages").forEach(m -> out.add(m.get("offset").asLong()));
        return out;
    }

    private static List<Long> range(long first, long last) {
        return LongStream.rangeClosed(first, last).boxed().toList();
    }

    private double answeredBy(String source) {
        return meters.counter("danmaku.storage.history.requests", "status", "200", "source", source).count();
    }

    @Test
    void recentMessagesComeFromTheHotStoreAsTheyWerePublished() throws Exception {
        stored(1, 20);

        JsonNode answer = get(query("from", String.valueOf(time(17))));

        assertThat(offsets(answer)).containsExactly(17L, 18L, 19L, 20L);
        assertThat(answer.get("room").asText()).isEqualTo(ROOM);
        assertThat(answer.get("from").asLong()).isEqualTo(time(17));
        assertThat(answer.get("to").asLong()).isEqualTo(clock.millis());
        assertThat(answer.get("truncated").asBoolean()).isFalse();
        JsonNode first = answer.get("messages").get(0);
        JsonNode published = MAPPER.readTree(record(17).payload());
        published.fields().forEachRemaining(f -> assertThat(first.get(f.getKey())).isEqualTo(f.getValue()));
        assertThat(first.get("epoch").asText()).isEqualTo(EPOCH);
        assertThat(answeredBy("hot")).isEqualTo(1);
    }

    @Test
    void olderMessagesComeFromTheArchive() {
        stored(1, 20);

        JsonNode answer = get(query("from", String.valueOf(time(2)), "to", String.valueOf(time(8))));

        assertThat(offsets(answer)).containsExactlyElementsOf(range(2, 8));
        assertThat(answer.get("messages").get(0).get("text").asText()).isEqualTo("message 2");
        assertThat(answer.get("truncated").asBoolean()).isFalse();
        assertThat(answeredBy("hot")).isZero();
    }

    @Test
    void aRangeSpanningTheArchiveAndTheHotStoreHasEveryMessageOnce() {
        // the newest batch reached the hot store and not yet the archive
        stored(1, 17);
        toHotStore(18, 20);

        JsonNode answer = get(query());

        assertThat(offsets(answer)).containsExactlyElementsOf(range(1, 20));
        assertThat(answer.get("from").asLong()).isZero();
        assertThat(answer.get("truncated").asBoolean()).isFalse();
        assertThat(answeredBy("merged")).isEqualTo(1);
    }

    @Test
    void theLimitKeepsTheEarliestMessagesAndSaysThereAreMore() {
        stored(1, 120);

        JsonNode three = get(query("from", String.valueOf(time(10)), "limit", "3"));
        JsonNode exact = get(query("from", String.valueOf(time(10)), "to", String.valueOf(time(29)), "limit", "20"));
        JsonNode byDefault = get(query());

        assertThat(offsets(three)).containsExactly(10L, 11L, 12L);
        assertThat(three.get("truncated").asBoolean()).isTrue();
        assertThat(offsets(exact)).containsExactlyElementsOf(range(10, 29));
        assertThat(exact.get("truncated").asBoolean()).isFalse();
        assertThat(offsets(byDefault)).containsExactlyElementsOf(range(1, HistoryApi.DEFAULT_LIMIT));
        assertThat(byDefault.get("truncated").asBoolean()).isTrue();
    }

    @Test
    void timesMayBeGivenAsIso8601WithAnOffset() {
        stored(1, 20);

        JsonNode utc = get(query("from", "2024-05-01T12:00:05Z", "to", "2024-05-01T20:00:08+08:00"));
        // a '+' that was not percent-encoded in the query arrives as a space
        JsonNode plusAsSpace = get(query("from", "2024-05-01T20:00:05 08:00", "to", "2024-05-01T12:00:08.000Z"));

        assertThat(offsets(utc)).containsExactly(5L, 6L, 7L, 8L);
        assertThat(offsets(plusAsSpace)).containsExactly(5L, 6L, 7L, 8L);
        assertThat(utc.get("from").asLong()).isEqualTo(time(5));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "room-a    | from  | yesterday | from: \"yesterday\" (expected: milliseconds since the epoch or an ISO-8601",
        "room-a    | from  | -5        | from: \"-5\" (expected:",
        "room-a    | to    | 2024-05-01 | to: \"2024-05-01\" (expected:",
        "room-a    | limit | 0         | limit: \"0\" (expected: an integer 1..1000)",
        "room-a    | limit | 5000      | limit: \"5000\" (expected: an integer 1..1000)",
        "room-a    | limit | ten       | limit: \"ten\" (expected: an integer 1..1000)",
        "bad room! | limit | 10        | room: \"bad room!\" (expected: a room id matching",
    })
    void aBadParameterIsRefusedNamingIt(String room, String name, String value, String message) {
        ApiResponse r = call("GET", "/api/rooms/" + room + "/history", query(name, value));

        assertThat(r.status()).isEqualTo(400);
        JsonNode error = json(r).get("error");
        assertThat(error.get("code").asInt()).isEqualTo(107);
        assertThat(error.get("message").asText()).startsWith(message);
    }

    @Test
    void toBeforeFromIsRefusedNamingTo() {
        ApiResponse r = call("GET", "/api/rooms/room-a/history",
                query("from", String.valueOf(time(5)), "to", String.valueOf(time(1))));

        assertThat(r.status()).isEqualTo(400);
        assertThat(json(r).get("error").get("message").asText())
                .isEqualTo("to: " + time(1) + " (expected: a time at or after from, " + time(5) + ")");
    }

    @Test
    void unknownPathsAreNotFoundAndOtherMethodsThanGetNotAllowed() {
        for (String path : List.of("/api/rooms/room-a/other", "/api/rooms//history", "/api/rooms/a/b/history",
                "/api/rooms/history", "/api/history")) {
            ApiResponse r = call("GET", path, Map.of());
            assertThat(r.status()).as(path).isEqualTo(404);
            assertThat(json(r).get("error").get("code").asInt()).isEqualTo(104);
        }
        ApiResponse post = call("POST", "/api/rooms/room-a/history", Map.of());
        assertThat(post.status()).isEqualTo(405);
        assertThat(json(post).get("error").get("code").asInt()).isEqualTo(107);
        assertThat(json(post).get("error").get("message").asText()).contains("(expected: GET)");
    }

    @Test
    void aRoomWithoutHistoryHasNoMessages() {
        JsonNode answer = get(query());

        assertThat(answer.get("messages")).isEmpty();
        assertThat(answer.get("truncated").asBoolean()).isFalse();
    }

    @Test
    void whenTheHotStoreIsDownTheArchiveAnswers() {
        stored(1, 20);
        store.historyDown = true;

        JsonNode answer = get(query("from", String.valueOf(time(15))));

        assertThat(offsets(answer)).containsExactlyElementsOf(range(15, 20));
        assertThat(answeredBy("archive")).isEqualTo(1);
    }

    @Test
    void withoutAnArchiveTheHotStoreAnswersAloneAndItsOutageIsUnavailable() {
        api = new HistoryApi(store, null, clock, RoomReadAccess.OPEN, meters);
        stored(1, 20);

        JsonNode answer = get(query());
        store.historyDown = true;
        ApiResponse down = call("GET", "/api/rooms/room-a/history", Map.of());

        assertThat(offsets(answer)).containsExactlyElementsOf(range(16, 20));
        assertThat(down.status()).isEqualTo(503);
        assertThat(json(down).get("error").get("code").asInt()).isEqualTo(108);
    }
}
