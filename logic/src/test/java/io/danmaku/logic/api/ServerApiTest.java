package io.danmaku.logic.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.logic.ControlledBus;
import io.danmaku.logic.LogicConfig;
import io.danmaku.logic.LogicService;
import io.danmaku.logic.TestClock;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.api.ApiRequest;
import io.danmaku.protocol.api.ApiResponse;
import io.danmaku.protocol.bus.BusSubscription;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.RejectReason;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.danmaku.protocol.store.DisconnectRequest;
import io.danmaku.protocol.store.StoreSubscription;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ServerApiTest {
    private static final String KEY = "s3cret-key";
    private static final UserRef ALICE = new UserRef("u1", "Alice");

    private final TestClock clock = new TestClock();
    private final MemoryHotStore store = new MemoryHotStore(clock, 100);
    private final MemoryMessageBus bus = new MemoryMessageBus();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final LogicConfig config = LogicConfig.defaults().withApiKey(KEY);
    private final LogicService logic = new LogicService(config, bus, store, registry, clock);
    private final ServerApi api = new ServerApi(config, logic, registry);
    private final List<RoomRecord> delivered = new CopyOnWriteArrayList<>();
    private final BusSubscription subscription = bus.subscribeAll(delivered::addAll);

    @AfterEach
    void close() {
        subscription.close();
        bus.close();
    }

    /** A response as a backend sees it. */
    private record Reply(int status, JsonNode body) {
        int errorCode() {
            return body.path("error").path("code").asInt(-1);
        }

        String errorMessage() {
            return body.path("error").path("message").asText(null);
        }
    }

    private static Reply call(ServerApi api, String method, String path, Map<String, String> headers, byte[] body) {
        ApiResponse r = api.handle(new ApiRequest(method, path, Map.of(), headers, body)).join();
        assertThat(r.contentType()).isEqualTo("application/json");
        try {
            return new Reply(r.status(), Json.MAPPER.readTree(r.body()));
        } catch (IOException e) {
            throw new AssertionError("response is not JSON: " + new String(r.body(), StandardCharsets.UTF_8), e);
        }
    }

    private Reply post(String path, String json) {
        return call(api, "POST", path, Map.of("x-api-key", KEY), json.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode json(RoomRecord r) {
        try {
            return Json.MAPPER.readTree(r.payload());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private double requests(String method, int status) {
        return registry.get("danmaku.logic.api.requests").tag("method", method).tag("status", String.valueOf(status))
                .counter().count();
    }

    // ---- publish and broadcast

    @Test
    void publishADanmakuBody() {
        Reply r = post("/api/publish", "{\"channel\":\"live.1\",\"data\":{\"text\":\"hello\",\"color\":65280,"
                + "\"user\":{\"id\":\"host\",\"name\":\"Host\"}}}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().get("result").get("offset").asLong()).isEqualTo(1);
        assertThat(r.body().get("result").get("epoch").asText()).startsWith("mem-");

        await().until(() -> delivered.size() == 1);
        JsonNode m = json(delivered.get(0));
        assertThat(m.get("room").asText()).isEqualTo("live.1");
        assertThat(m.get("text").asText()).isEqualTo("hello");
        assertThat(m.get("color").asInt()).isEqualTo(65280);
        assertThat(m.has("mode")).as("the default mode is left out: %s", m).isFalse();
        assertThat(m.get("user").get("id").asText()).isEqualTo("host");
        assertThat(m.get("id").asText()).hasSize(26);
        assertThat(requests("publish", 200)).isEqualTo(1.0);
    }

    @Test
    void aCustomEventKeepsFieldsTheServerDoesNotKnow() {
        Reply r = post("/api/publish", "{\"channel\":\"live.1\",\"data\":{\"cmd\":\"SEND_GIFT\",\"giftName\":"
                + "\"rocket\",\"num\":2,\"extra\":{\"combo\":[1,2]}}}");
        assertThat(r.status()).isEqualTo(200);
        await().until(() -> delivered.size() == 1);
        JsonNode m = json(delivered.get(0));
        assertThat(m.get("cmd").asText()).isEqualTo("SEND_GIFT");
        assertThat(m.get("giftName").asText()).isEqualTo("rocket");
        assertThat(m.get("num").asInt()).isEqualTo(2);
        assertThat(m.get("extra").get("combo").toString()).isEqualTo("[1,2]");
        assertThat(m.get("id").asText()).hasSize(26);
        assertThat(m.get("time").asLong()).isEqualTo(clock.millis());
    }

    @Test
    void broadcastAnswersOneResultPerChannel() {
        Reply r = post("/api/broadcast", "{\"channels\":[\"a\",\"b\",\"a\"],\"data\":{\"cmd\":\"NOTICE\","
                + "\"msg\":\"maintenance at 3\"}}");
        assertThat(r.status()).isEqualTo(200);
        JsonNode responses = r.body().get("result").get("responses");
        assertThat(responses).hasSize(3);
        assertThat(responses.get(0).get("result").get("offset").asLong()).isEqualTo(1);
        assertThat(responses.get(1).get("result").get("offset").asLong()).isEqualTo(1);
        assertThat(responses.get(2).get("result").get("offset").asLong()).isEqualTo(2);
        assertThat(responses.get(0).get("result").get("epoch").asText()).startsWith("mem-");
        await().until(() -> delivered.size() == 3);
        assertThat(delivered).extracting(RoomRecord::room).containsExactly("a", "b", "a");
        assertThat(delivered)
                .allSatisfy(rec -> assertThat(json(rec).get("msg").asText()).isEqualTo("maintenance at 3"));
    }

    @Test
    void thePriorityFlagMarksADanmakuAsAPriorityMessage() {
        Reply flagged = post("/api/publish", "{\"channel\":\"live.1\",\"priority\":true,\"data\":{\"text\":"
                + "\"slow mode is on\",\"user\":{\"id\":\"mod-1\",\"name\":\"Mod\"}}}");
        assertThat(flagged.status()).isEqualTo(200);
        Reply plain = post("/api/publish", "{\"channel\":\"live.1\",\"priority\":false,\"data\":{\"text\":"
                + "\"relayed chat\",\"user\":{\"id\":\"u9\"}}}");
        assertThat(plain.status()).isEqualTo(200);
        Reply broadcast = post("/api/broadcast", "{\"channels\":[\"a\",\"b\"],\"priority\":true,\"data\":"
                + "{\"text\":\"host says hi\",\"user\":{\"id\":\"host\"}}}");
        assertThat(broadcast.status()).isEqualTo(200);
        await().until(() -> delivered.size() == 4);
        assertThat(delivered).extracting(r -> io.danmaku.protocol.json.RoomMessageCodec.decode(r.payload())
                .isPriority()).containsExactly(true, false, true, true);
        assertThat(json(delivered.get(0)).get("priority").asBoolean()).isTrue();
        assertThat(json(delivered.get(1)).has("priority")).isFalse();
    }

    @Test
    void aPriorityFlagThatIsNotABooleanOrInsideDataIsRefused() {
        Reply wrongType = post("/api/publish", "{\"channel\":\"live.1\",\"priority\":\"yes\",\"data\":"
                + "{\"text\":\"x\"}}");
        assertThat(wrongType.status()).isEqualTo(400);
        assertThat(wrongType.errorCode()).isEqualTo(107);
        assertThat(wrongType.errorMessage()).isEqualTo("priority: a string (expected: a boolean)");
        Reply inData = post("/api/publish", "{\"channel\":\"live.1\",\"data\":{\"text\":\"x\",\"priority\":true}}");
        assertThat(inData.status()).isEqualTo(400);
        assertThat(inData.errorMessage()).isEqualTo("bad_request: data.priority: reserved (expected: the request's"
                + " priority flag, beside data)");
        assertThat(delivered).isEmpty();
    }

    @Test
    void broadcastChannelsAreChecked() {
        Reply missing = post("/api/broadcast", "{\"data\":{\"cmd\":\"X\"}}");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.errorMessage()).isEqualTo("channels: missing (expected: an array of 1..1000 room ids)");
        assertThat(post("/api/broadcast", "{\"channels\":[],\"data\":{\"cmd\":\"X\"}}").errorMessage())
                .startsWith("channels: empty");
        assertThat(post("/api/broadcast", "{\"channels\":\"a\",\"data\":{\"cmd\":\"X\"}}").errorMessage())
                .startsWith("channels: a string");
        Reply bad = post("/api/broadcast", "{\"channels\":[\"a\",\"b c\"],\"data\":{\"cmd\":\"X\"}}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.errorCode()).isEqualTo(107);
        assertThat(bad.errorMessage()).isEqualTo("channels[1]: \"b c\" (expected: a room id matching "
                + "[A-Za-z0-9_.:-]{1,64}, optionally #user1,user2 (a user-limited room))");
        assertThat(delivered).isEmpty();
    }

    @Test
    void aBroadcastTooBigForOnePublishIsRefused() {
        StringBuilder channels = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            channels.append(i == 0 ? "" : ",").append("\"r").append(i).append('"');
        }
        Reply r = post("/api/broadcast", "{\"channels\":[" + channels + "],\"data\":{\"cmd\":\"X\",\"pad\":\""
                + "x".repeat(10_000) + "\"}}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorMessage()).startsWith("bad_request: data: 1000 messages of ");
        assertThat(delivered).isEmpty();
    }

    @Test
    void aRefusedBodyIsABadRequestStartingWithTheReasonCode() {
        Reply r = post("/api/publish", "{\"channel\":\"live.1\",\"data\":{\"text\":\"" + "x".repeat(101) + "\"}}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo(107);
        assertThat(r.errorMessage()).isEqualTo("too_long: data.text: 101 code points (expected: 1..100 code points)");
        Reply empty = post("/api/publish", "{\"channel\":\"live.1\",\"data\":{\"text\":\"  \"}}");
        assertThat(empty.errorMessage()).startsWith("bad_request: data.text: only white space");
    }

    @Test
    void aFailingBusIsNotAvailable() {
        LogicService failing = new LogicService(config, new ControlledBus(ControlledBus.Mode.FAIL), store, registry,
                clock);
        Reply r = call(new ServerApi(config, failing, registry), "POST", "/api/publish", Map.of("x-api-key", KEY),
                "{\"channel\":\"a\",\"data\":{\"cmd\":\"X\"}}".getBytes(StandardCharsets.UTF_8));
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.errorCode()).isEqualTo(108);
        assertThat(r.errorMessage()).isEqualTo("unavailable: message bus failed: the message may have been"
                + " published; a retry may publish it twice unless it carries an idempotency_key");
    }

    @Test
    void aBusThatRefusedBeforeSendingSaysNothingWasPublished() {
        bus.close();
        Reply r = post("/api/publish", "{\"channel\":\"a\",\"data\":{\"cmd\":\"X\"}}");
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.errorMessage()).isEqualTo("unavailable: message bus unavailable, nothing was published; retry");
    }

    // ---- authentication

    @Test
    void aMissingKeyIsUnauthorized() {
        Reply r = call(api, "POST", "/api/publish", Map.of(), "{}".getBytes(StandardCharsets.UTF_8));
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.errorCode()).isEqualTo(101);
        assertThat(r.errorMessage()).startsWith("unauthorized: missing API key");
        assertThat(requests("publish", 401)).isEqualTo(1.0);
    }

    @Test
    void aWrongKeyIsUnauthorizedAndNothingIsPublished() {
        byte[] body = "{\"channel\":\"a\",\"data\":{\"text\":\"x\"}}".getBytes(StandardCharsets.UTF_8);
        for (Map<String, String> headers : List.of(Map.of("x-api-key", "nope"),
                Map.of("x-api-key", KEY + "x"),
                Map.of("x-api-key", KEY.substring(0, KEY.length() - 1)),
                Map.of("x-api-key", KEY.substring(0, KEY.length() - 1) + "Y"),
                Map.of("x-api-key", KEY.substring(0, 1)),
                Map.of("x-api-key", KEY + KEY),
                Map.of("authorization", "apikey nope"),
                Map.of("authorization", "Bearer " + KEY),
                Map.of("authorization", KEY))) {
            Reply r = call(api, "POST", "/api/publish", headers, body);
            assertThat(r.status()).as("%s", headers).isEqualTo(401);
            assertThat(r.errorCode()).isEqualTo(101);
            assertThat(r.errorMessage()).startsWith("unauthorized: ");
        }
        assertThat(delivered).isEmpty();
    }

    @Test
    void bothHeaderStylesAreAccepted() {
        byte[] body = "{\"channel\":\"a\",\"data\":{\"text\":\"x\"}}".getBytes(StandardCharsets.UTF_8);
        assertThat(call(api, "POST", "/api/publish", Map.of("x-api-key", KEY), body).status()).isEqualTo(200);
        assertThat(call(api, "POST", "/api/publish", Map.of("authorization", "apikey " + KEY), body).status())
                .isEqualTo(200);
        assertThat(call(api, "POST", "/api/publish", Map.of("authorization", "ApiKey " + KEY), body).status())
                .isEqualTo(200);
    }

    @Test
    void withoutAConfiguredKeyTheApiIsForbidden() {
        ServerApi disabled = new ServerApi(LogicConfig.defaults(), logic, registry);
        Reply r = call(disabled, "POST", "/api/publish", Map.of("x-api-key", "anything"),
                "{\"channel\":\"a\",\"data\":{\"text\":\"x\"}}".getBytes(StandardCharsets.UTF_8));
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.errorCode()).isEqualTo(103);
        assertThat(r.errorMessage()).contains("no API key is configured");
        assertThat(delivered).isEmpty();
    }

    // ---- malformed requests

    @Test
    void malformedJsonIsABadRequest() {
        Reply r = post("/api/publish", "{\"channel\":");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo(107);
        assertThat(r.errorMessage()).isEqualTo("bad request: malformed JSON (ends too early) at line 1, column 12, field \"channel\"");
        assertThat(post("/api/publish", "{\"channel\":\"a\",\"channel\":\"b\",\"data\":{}}").errorMessage())
                .isEqualTo("bad request: malformed JSON (duplicate field) at line 1, column 25, field \"channel\"");
        assertThat(post("/api/publish", "{\"channel\":\"a\",\n \"data\": tru}").errorMessage())
                .isEqualTo("bad request: malformed JSON at line 2, column 10, field \"data\"");
        assertThat(post("/api/publish", "{\"channel\":\"lobby\",").errorMessage())
                .isEqualTo("bad request: malformed JSON (ends too early) at line 1, column 20, field \"channel\"");
        assertThat(post("/api/publish", "[1,2").errorMessage())
                .as("no parser internals").doesNotContain("Source", "StreamReadFeature", "REDACTED");
    }

    @Test
    void aBodyThatIsNotAnObjectIsABadRequest() {
        assertThat(post("/api/publish", "[1,2]").errorMessage())
                .isEqualTo("bad request: body is an array (expected: a JSON object)");
        assertThat(post("/api/publish", "").errorMessage())
                .isEqualTo("bad request: empty body (expected: a JSON object)");
        assertThat(post("/api/publish", "  ").status()).isEqualTo(400);
    }

    @Test
    void aMissingChannelIsABadRequestNamingIt() {
        Reply r = post("/api/publish", "{\"data\":{\"text\":\"x\"}}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo(107);
        assertThat(r.errorMessage()).isEqualTo("channel: missing (expected: a room id matching [A-Za-z0-9_.:-]{1,64}, optionally #user1,user2 (a user-limited room))");
    }

    @Test
    void anInvalidChannelIsABadRequestShowingIt() {
        Reply r = post("/api/publish", "{\"channel\":\"a b\",\"data\":{\"text\":\"x\"}}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorMessage()).isEqualTo("channel: \"a b\" (expected: a room id matching [A-Za-z0-9_.:-]{1,64}, optionally #user1,user2 (a user-limited room))");
        assertThat(post("/api/publish", "{\"channel\":5,\"data\":{\"text\":\"x\"}}").errorMessage())
                .startsWith("channel: a number (expected: a room id");
    }

    @Test
    void dataMustBeAnObject() {
        assertThat(post("/api/publish", "{\"channel\":\"a\",\"data\":[1]}").errorMessage())
                .isEqualTo("data: an array (expected: a JSON object)");
        assertThat(post("/api/publish", "{\"channel\":\"a\",\"data\":\"hi\"}").errorMessage())
                .isEqualTo("data: a string (expected: a JSON object)");
        assertThat(post("/api/publish", "{\"channel\":\"a\"}").errorMessage())
                .isEqualTo("data: missing (expected: a JSON object)");
        assertThat(delivered).isEmpty();
    }

    @Test
    void anUnknownPathIsMethodNotFound() {
        Reply r = post("/api/nope", "{}");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.errorCode()).isEqualTo(104);
        assertThat(r.errorMessage()).startsWith("method not found: /api/nope");
        assertThat(requests("unknown", 404)).isEqualTo(1.0);
    }

    @Test
    void anotherHttpMethodThanPostIsNotAllowed() {
        Reply r = call(api, "GET", "/api/publish", Map.of("x-api-key", KEY), new byte[0]);
        assertThat(r.status()).isEqualTo(405);
        assertThat(r.errorCode()).isEqualTo(107);
        assertThat(r.errorMessage()).contains("GET not allowed (expected: POST)");
    }

    @Test
    void anOversizedBodyIsRefused() {
        String big = "{\"channel\":\"a\",\"data\":{\"cmd\":\"X\",\"pad\":\"" + "x".repeat(70_000) + "\"}}";
        Reply r = post("/api/publish", big);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.errorCode()).isEqualTo(107);
        assertThat(r.errorMessage()).contains("(expected: at most 65536)");
        assertThat(delivered).isEmpty();
    }

    // ---- moderation

    @Test
    void banThenPostIsRejectedBannedAndUnbanLiftsIt() {
        assertThat(logic.post(new PostRequest("live.1", ALICE, "before", null, null, null)).join().accepted())
                .isTrue();
        Reply r = post("/api/ban", "{\"user\":\"u1\",\"duration_ms\":60000}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().toString()).isEqualTo("{\"result\":{}}");
        assertThat(logic.post(new PostRequest("live.1", ALICE, "after", null, null, null)).join().reason())
                .isEqualTo(RejectReason.BANNED);
        assertThat(logic.post(new PostRequest("live.2", ALICE, "after", null, null, null)).join().reason())
                .isEqualTo(RejectReason.BANNED);

        assertThat(post("/api/unban", "{\"user\":\"u1\"}").status()).isEqualTo(200);
        assertThat(logic.post(new PostRequest("live.1", ALICE, "again", null, null, null)).join().accepted())
                .isTrue();
    }

    @Test
    void muteInARoomRejectsPostsInThatRoomOnly() {
        Reply r = post("/api/mute", "{\"channel\":\"live.1\",\"user\":\"u1\",\"duration_ms\":60000}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(logic.post(new PostRequest("live.1", ALICE, "hi", null, null, null)).join().reason())
                .isEqualTo(RejectReason.MUTED);
        assertThat(logic.post(new PostRequest("live.2", ALICE, "hi", null, null, null)).join().accepted()).isTrue();

        assertThat(post("/api/unmute", "{\"channel\":\"live.1\",\"user\":\"u1\"}").status()).isEqualTo(200);
        assertThat(logic.post(new PostRequest("live.1", ALICE, "hi", null, null, null)).join().accepted()).isTrue();
    }

    @Test
    void streamStartSetsTheRoomsTimelineOriginGivenOrNow() {
        Reply given = post("/api/stream_start", "{\"channel\":\"live.1\",\"start_ms\":1700000000000}");
        assertThat(given.status()).isEqualTo(200);
        assertThat(given.body().toString()).isEqualTo("{\"result\":{\"start_ms\":1700000000000}}");
        assertThat(store.streamStart("live.1").join()).hasValue(1_700_000_000_000L);

        Reply now = post("/api/stream_start", "{\"channel\":\"live.2\"}");
        assertThat(now.status()).isEqualTo(200);
        assertThat(now.body().path("result").path("start_ms").asLong()).isEqualTo(clock.millis());
        assertThat(store.streamStart("live.2").join()).hasValue(clock.millis());
        assertThat(requests("stream_start", 200)).isEqualTo(2);
    }

    @Test
    void streamStartFieldsAreChecked() {
        assertThat(post("/api/stream_start", "{\"start_ms\":1}").errorMessage()).startsWith("channel: missing");
        assertThat(post("/api/stream_start", "{\"channel\":\"a b\",\"start_ms\":1}").errorMessage())
                .startsWith("channel: ");
        for (String bad : List.of("-1", "1.5", "\"1700000000000\"", "253402300800000", "true")) {
            Reply r = post("/api/stream_start", "{\"channel\":\"live.1\",\"start_ms\":" + bad + "}");
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.errorCode()).as(bad).isEqualTo(ServerApi.CODE_BAD_REQUEST);
            assertThat(r.errorMessage()).as(bad).startsWith("start_ms: " + bad + " (expected: milliseconds since");
        }
        assertThat(store.streamStart("live.1").join()).isEmpty();
    }

    // ---- retraction

    private String postAs(UserRef user, String room, String text) {
        var result = logic.post(new PostRequest(room, user, text, null, null, null)).join();
        assertThat(result.accepted()).as(text).isTrue();
        return result.id();
    }

    /** What storage does with delivered records: the hot history, so delete_user_messages can find them. */
    private void storeDelivered() {
        for (RoomRecord r : delivered) {
            store.appendHistory(r.room(), List.of(r)).join();
        }
    }

    @Test
    void progressIsStoredWithThePostAndCheckedInServerApiBodies() {
        var accepted = logic.post(new PostRequest("live.1", ALICE, "at 70 s", null, null, null, null, 70_000L)).join();
        assertThat(accepted.accepted()).isTrue();
        Reply api = post("/api/publish", "{\"channel\":\"live.1\",\"data\":{\"text\":\"hi\",\"progress\":400000}}");
        assertThat(api.status()).isEqualTo(200);
        await().until(() -> delivered.size() == 2);
        assertThat(json(delivered.get(0)).get("progress").asLong()).isEqualTo(70_000L);
        assertThat(json(delivered.get(1)).get("progress").asLong()).isEqualTo(400_000L);

        for (String bad : List.of("-1", "\"70s\"", "1.5", "2592000001")) {
            Reply r = post("/api/publish", "{\"channel\":\"live.1\",\"data\":{\"text\":\"hi\",\"progress\":" + bad + "}}");
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.errorMessage()).as(bad).startsWith("bad_request: data.progress: " + bad
                    + " (expected: milliseconds into the video, 0..2592000000)");
        }
        var refused = logic.post(new PostRequest("live.1", ALICE, "x", null, null, null, null, -1L)).join();
        assertThat(refused.reason()).isEqualTo(RejectReason.BAD_REQUEST);
        assertThat(refused.message()).startsWith("progress: -1");
    }

    @Test
    void deletePublishesARetractionAfterTheMessage() {
        String id = postAs(ALICE, "live.1", "spam");
        Reply r = post("/api/delete", "{\"channel\":\"live.1\",\"id\":\"" + id + "\"}");
        assertThat(r.status()).isEqualTo(200);
        await().until(() -> delivered.size() == 2);
        assertThat(r.body().path("result").path("offset").asLong()).isEqualTo(delivered.get(1).offset())
                .isGreaterThan(delivered.get(0).offset());
        JsonNode event = json(delivered.get(1));
        assertThat(event.get("cmd").asText()).isEqualTo("DELETE");
        assertThat(event.get("ids").toString()).isEqualTo("[\"" + id + "\"]");
        assertThat(event.get("room").asText()).isEqualTo("live.1");
        assertThat(io.danmaku.protocol.Retraction.isRetraction(delivered.get(1).payload())).isTrue();
        assertThat(io.danmaku.protocol.Retraction.isRetraction(delivered.get(0).payload())).isFalse();
        assertThat(requests("delete", 200)).isEqualTo(1);
    }

    @Test
    void deletingAnUnknownMessageSucceedsAsWell() {
        Reply r = post("/api/delete", "{\"channel\":\"live.1\",\"ids\":[\"01HX0000000000000000000000\","
                + "\"01HX0000000000000000000001\",\"01HX0000000000000000000000\"]}");
        assertThat(r.status()).as("idempotent: nobody holds them, nothing to refuse").isEqualTo(200);
        await().until(() -> delivered.size() == 1);
        assertThat(json(delivered.get(0)).get("ids").size()).as("duplicates named once").isEqualTo(2);
    }

    @Test
    void deleteFieldsAreChecked() {
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("{\"id\":\"01HX0000000000000000000000\"}", "channel: missing");
        bad.put("{\"channel\":\"a b\",\"id\":\"01HX0000000000000000000000\"}", "channel: ");
        bad.put("{\"channel\":\"live.1\"}", "id: missing (expected: id, a message id: 26 characters");
        bad.put("{\"channel\":\"live.1\",\"id\":\"short\"}", "id: \"short\" (expected: a message id");
        bad.put("{\"channel\":\"live.1\",\"id\":\"01hx0000000000000000000000\"}", "id: ");
        bad.put("{\"channel\":\"live.1\",\"id\":7}", "id: 7 (expected");
        bad.put("{\"channel\":\"live.1\",\"id\":\"01HX0000000000000000000000\",\"ids\":[]}", "id, ids: both given");
        bad.put("{\"channel\":\"live.1\",\"ids\":[]}", "ids: 0 ids (expected: an array of 1..100");
        bad.put("{\"channel\":\"live.1\",\"ids\":\"01HX0000000000000000000000\"}", "ids: a string (expected");
        bad.put("{\"channel\":\"live.1\",\"ids\":[\"01HX0000000000000000000000\",\"x\"]}", "ids[1]: \"x\"");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            Reply r = post("/api/delete", e.getKey());
            assertThat(r.status()).as(e.getKey()).isEqualTo(400);
            assertThat(r.errorCode()).as(e.getKey()).isEqualTo(ServerApi.CODE_BAD_REQUEST);
            assertThat(r.errorMessage()).as(e.getKey()).startsWith(e.getValue());
        }
        Reply forged = post("/api/publish", "{\"channel\":\"live.1\",\"data\":{\"cmd\":\"DELETE\",\"ids\":[]}}");
        assertThat(forged.status()).isEqualTo(400);
        assertThat(forged.errorMessage()).contains("data.cmd: \"DELETE\" is reserved for retractions");
        assertThat(delivered).as("nothing published").isEmpty();
    }

    @Test
    void deleteUserMessagesRetractsOnlyThatUsersRecentMessages() {
        UserRef bob = new UserRef("u2", "Bob");
        String old = postAs(ALICE, "live.1", "an hour ago");
        clock.advance(java.time.Duration.ofMinutes(60));
        String recent1 = postAs(ALICE, "live.1", "spam 1");
        String bobs = postAs(bob, "live.1", "fine");
        String otherRoom = postAs(ALICE, "live.2", "elsewhere");
        clock.advance(java.time.Duration.ofMinutes(2));
        String recent2 = postAs(ALICE, "live.1", "spam 2");
        await().until(() -> delivered.size() == 5);
        storeDelivered();

        Reply r = post("/api/delete_user_messages", "{\"channel\":\"live.1\",\"user\":\"u1\",\"minutes\":10}");
        assertThat(r.status()).isEqualTo(200);
        List<String> ids = new java.util.ArrayList<>();
        r.body().path("result").path("ids").forEach(n -> ids.add(n.asText()));
        assertThat(ids).containsExactlyInAnyOrder(recent1, recent2).doesNotContain(old, bobs, otherRoom);
        await().until(() -> delivered.size() == 6);
        JsonNode event = json(delivered.get(5));
        assertThat(event.get("cmd").asText()).isEqualTo("DELETE");
        assertThat(event.get("room").asText()).isEqualTo("live.1");
        assertThat(r.body().path("result").path("offset").asLong()).isEqualTo(delivered.get(5).offset());

        Reply none = post("/api/delete_user_messages", "{\"channel\":\"live.1\",\"user\":\"u9\",\"minutes\":10}");
        assertThat(none.status()).isEqualTo(200);
        assertThat(none.body().toString()).isEqualTo("{\"result\":{\"ids\":[]}}");
        assertThat(delivered).as("nothing to retract, nothing published").hasSize(6);
    }

    @Test
    void deleteUserMessagesFieldsAreChecked() {
        assertThat(post("/api/delete_user_messages", "{\"user\":\"u1\",\"minutes\":5}").errorMessage())
                .startsWith("channel: missing");
        assertThat(post("/api/delete_user_messages", "{\"channel\":\"live.1\",\"minutes\":5}").errorMessage())
                .startsWith("user: missing");
        assertThat(post("/api/delete_user_messages", "{\"channel\":\"live.1\",\"user\":\"u1\"}").errorMessage())
                .startsWith("minutes: missing (expected: a whole number of minutes, 1..1440)");
        for (String bad : List.of("0", "-5", "1.5", "1441", "\"5\"", "true")) {
            Reply r = post("/api/delete_user_messages", "{\"channel\":\"live.1\",\"user\":\"u1\",\"minutes\":"
                    + bad + "}");
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.errorCode()).as(bad).isEqualTo(ServerApi.CODE_BAD_REQUEST);
            assertThat(r.errorMessage()).as(bad).startsWith("minutes: " + bad + " (expected");
        }
    }

    @Test
    void moderationFieldsAreChecked() {
        assertThat(post("/api/ban", "{\"user\":\"u1\"}").errorMessage())
                .startsWith("duration_ms: missing (expected: milliseconds, 1..");
        assertThat(post("/api/ban", "{\"user\":\"u1\",\"duration_ms\":0}").errorMessage())
                .startsWith("duration_ms: 0 (expected: milliseconds, 1..");
        assertThat(post("/api/ban", "{\"user\":\"u1\",\"duration_ms\":1.5}").errorMessage())
                .startsWith("duration_ms: 1.5");
        assertThat(post("/api/ban", "{\"duration_ms\":1000}").errorMessage())
                .startsWith("user: missing (expected: a user id");
        assertThat(post("/api/ban", "{\"user\":\"\",\"duration_ms\":1000}").errorMessage())
                .startsWith("user: \"\" (expected: a user id");
        assertThat(post("/api/mute", "{\"user\":\"u1\",\"duration_ms\":1000}").errorMessage())
                .startsWith("channel: missing");
        assertThat(post("/api/unmute", "{\"channel\":\"a b\",\"user\":\"u1\"}").status()).isEqualTo(400);
    }

    @Test
    void disconnectPublishesARequestForTheUserOrOneOfItsClients() {
        List<io.danmaku.protocol.store.ControlMessage> heard = new CopyOnWriteArrayList<>();
        try (StoreSubscription s = store.subscribeControl(heard::add)) {
            Reply all = post("/api/disconnect", "{\"user\":\"u1\"}");
            assertThat(all.status()).isEqualTo(200);
            assertThat(all.body().toString()).isEqualTo("{\"result\":{}}");
            // Centrifugo's empty client means every connection; unknown fields (whitelist, session) are ignored
            assertThat(post("/api/disconnect", "{\"user\":\"u2\",\"client\":\"\",\"whitelist\":[]}").status())
                    .isEqualTo(200);
            assertThat(post("/api/disconnect", "{\"user\":\"u3\",\"client\":\"c-9\"}").status()).isEqualTo(200);
        }
        assertThat(heard).containsExactly(DisconnectRequest.user("u1"), DisconnectRequest.user("u2"),
                new DisconnectRequest("u3", "c-9"));
        assertThat(requests("disconnect", 200)).isEqualTo(3);
    }

    @Test
    void disconnectFieldsAreChecked() {
        assertThat(post("/api/disconnect", "{}").errorMessage()).startsWith("user: missing (expected: a user id");
        assertThat(post("/api/disconnect", "{\"user\":\"u1\",\"client\":7}").errorMessage())
                .startsWith("client: 7 (expected: a client id of 1..64");
        assertThat(post("/api/disconnect", "{\"user\":\"u1\",\"client\":\"" + "c".repeat(65) + "\"}").status())
                .isEqualTo(400);
    }

    @Test
    void aTrailingSlashIsTolerated() {
        assertThat(post("/api/unban/", "{\"user\":\"u1\"}").status()).isEqualTo(200);
    }

    @Test
    void everyErrorHasTheCentrifugoShape() {
        Map<String, String> noKey = new HashMap<>();
        Reply r = call(api, "DELETE", "/api/whatever", noKey, new byte[] {1, 2, 3});
        assertThat(r.body().size()).isEqualTo(1);
        assertThat(r.body().get("error").get("code").isInt()).isTrue();
        assertThat(r.body().get("error").get("message").isTextual()).isTrue();
    }

    @Test
    void keyComparisonIsExactEquality() {
        assertThat(ServerApi.keyMatches(KEY, KEY)).isTrue();
        assertThat(ServerApi.keyMatches(new String(KEY.toCharArray()), KEY)).isTrue();
        assertThat(ServerApi.keyMatches("", KEY)).isFalse();
        assertThat(ServerApi.keyMatches(KEY, "")).isFalse();
        assertThat(ServerApi.keyMatches("", "")).isTrue();
        assertThat(ServerApi.keyMatches("s", KEY)).isFalse();
        // longer than the key but equal to it where the comparison wraps around
        assertThat(ServerApi.keyMatches(KEY + "s", KEY)).isFalse();
        assertThat(ServerApi.keyMatches("S3cret-key", KEY)).isFalse();
        assertThat(ServerApi.keyMatches("ключ", "ключ")).isTrue();
        assertThat(ServerApi.keyMatches("ключ", "ключи")).isFalse();
    }
}
