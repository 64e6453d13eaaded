package io.danmaku.logic.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.logic.LogicConfig;
import io.danmaku.logic.LogicService;
import io.danmaku.logic.TestClock;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.api.ApiRequest;
import io.danmaku.protocol.api.ApiResponse;
import io.danmaku.protocol.bus.BusSubscription;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.danmaku.protocol.store.ControlMessage;
import io.danmaku.protocol.store.DisconnectRequest;
import io.danmaku.protocol.store.NodeInfo;
import io.danmaku.protocol.store.PresenceMember;
import io.danmaku.protocol.store.RefreshRequest;
import io.danmaku.protocol.store.RoomPresence;
import io.danmaku.protocol.store.StoreSubscription;
import io.danmaku.protocol.store.SubscribeRequest;
import io.danmaku.protocol.store.UnsubscribeRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The server API methods beyond publish and moderation, as a backend calls them (Centrifugo's shapes): every
 * method with its answer, and its errors naming the field. The hot store is the memory one; gateways' reports are
 * written into it the way a gateway does.
 */
class ServerApiParityTest {
    private static final String KEY = "parity-key";
    private static final Duration TTL = Duration.ofMinutes(1);

    private final TestClock clock = new TestClock();
    private final MemoryHotStore store = new MemoryHotStore(clock, 100);
    private final MemoryMessageBus bus = new MemoryMessageBus();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final LogicConfig config = LogicConfig.defaults().withApiKey(KEY);
    private final LogicService logic = new LogicService(config, bus, store, registry, clock);
    private final ServerApi api = new ServerApi(config, logic, registry, 3);
    private final List<RoomRecord> delivered = new CopyOnWriteArrayList<>();
    private final BusSubscription subscription = bus.subscribeAll(delivered::addAll);
    private final List<ControlMessage> control = new CopyOnWriteArrayList<>();
    private final StoreSubscription controlFeed = store.subscribeControl(control::add);

    @AfterEach
    void close() {
        controlFeed.close();
        subscription.close();
        bus.close();
    }

    private record Reply(int status, JsonNode body) {
        int errorCode() {
            return body.path("error").path("code").asInt(-1);
        }

        String errorMessage() {
            return body.path("error").path("message").asText("");
        }

        JsonNode result() {
            return body.get("result");
        }
    }

    private Reply post(String path, String json) {
        ApiResponse r = api.handle(new ApiRequest("POST", path, Map.of(), Map.of("x-api-key", KEY),
                json.getBytes(StandardCharsets.UTF_8))).join();
        try {
            return new Reply(r.status(), Json.MAPPER.readTree(r.body()));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String q(String json) {
        return json.replace('\'', '"');
    }

    // ---- publish with tags

    @Test
    void publishCarriesTagsInTheMessageAndBroadcastToEveryRoom() throws IOException {
        assertThat(post("/api/publish", q("{'channel':'live','data':{'text':'hi'},'tags':{'kind':'notice'}}"))
                .status()).isEqualTo(200);
        assertThat(post("/api/broadcast", q("{'channels':['a','b'],'data':{'cmd':'GIFT'},'tags':{'k':'v'}}"))
                .status()).isEqualTo(200);

        await().until(() -> delivered.size() == 3);
        assertThat(Json.MAPPER.readTree(delivered.get(0).payload()).get("tags"))
                .isEqualTo(Json.MAPPER.readTree(q("{'kind':'notice'}")));
        assertThat(Json.MAPPER.readTree(delivered.get(2).payload()).get("tags").get("k").asText()).isEqualTo("v");
    }

    @Test
    void badTagsAreRefusedNamingTheTag() {
        Reply notObject = post("/api/publish", q("{'channel':'live','data':{'text':'hi'},'tags':['x']}"));
        assertThat(notObject.status()).isEqualTo(400);
        assertThat(notObject.errorMessage()).startsWith("tags: an array (expected: an object of at most 32");
        Reply notString = post("/api/publish", q("{'channel':'live','data':{'text':'hi'},'tags':{'n':1}}"));
        assertThat(notString.errorCode()).isEqualTo(107);
        assertThat(notString.errorMessage()).startsWith("tags.n: 1 (expected:");
        StringBuilder many = new StringBuilder("{");
        for (int i = 0; i < 33; i++) {
            many.append(i == 0 ? "" : ",").append("'t").append(i).append("':'v'");
        }
        assertThat(post("/api/publish", q("{'channel':'live','data':{'text':'hi'},'tags':" + many + "}}"))
                .errorMessage()).startsWith("tags: 33 tags");
        assertThat(delivered).isEmpty();
    }

    // ---- subscribe, unsubscribe, refresh, disconnect: control messages

    @Test
    void subscribeUnsubscribeRefreshAndDisconnectReachTheGatewaysAsControlMessages() {
        assertThat(post("/api/subscribe", q("{'user':'alice','channel':'news'}")).body().toString())
                .isEqualTo("{\"result\":{}}");
        assertThat(post("/api/subscribe", q("{'user':'alice','channel':'notes#alice','client':'c-1'}")).status())
                .isEqualTo(200);
        assertThat(post("/api/unsubscribe", q("{'user':'alice','channel':'news'}")).status()).isEqualTo(200);
        assertThat(post("/api/refresh", q("{'user':'alice','expire_at':1900000000}")).status()).isEqualTo(200);
        assertThat(post("/api/refresh", q("{'user':'bob','client':'c-2','expired':true}")).status()).isEqualTo(200);
        assertThat(post("/api/refresh", q("{'user':'carol'}")).status()).isEqualTo(200);
        assertThat(post("/api/disconnect", q("{'user':'dave','disconnect':{'code':4501,'reason':'bye'}}")).status())
                .isEqualTo(200);

        assertThat(control).containsExactly(
                new SubscribeRequest("alice", null, "news"),
                new SubscribeRequest("alice", "c-1", "notes#alice"),
                new UnsubscribeRequest("alice", null, "news"),
                new RefreshRequest("alice", null, false, 1_900_000_000L),
                new RefreshRequest("bob", "c-2", true, 0),
                new RefreshRequest("carol", null, false, 0),
                new DisconnectRequest("dave", null, 4501, "bye"));
    }

    @Test
    void controlMethodsNameTheBadField() {
        assertThat(post("/api/subscribe", q("{'channel':'news'}")).errorMessage()).startsWith("user: missing");
        assertThat(post("/api/subscribe", q("{'user':'a'}")).errorMessage()).startsWith("channel: missing");
        assertThat(post("/api/subscribe", q("{'user':'a','channel':'a b'}")).errorMessage())
                .startsWith("channel: \"a b\" (expected: a room id matching");
        assertThat(post("/api/unsubscribe", q("{'user':'a','channel':'x#'}")).errorMessage()).startsWith("channel:");
        assertThat(post("/api/subscribe", q("{'user':'a','channel':'n','client':7}")).errorMessage())
                .startsWith("client: 7");
        assertThat(post("/api/refresh", q("{'user':'a','expire_at':-1}")).errorMessage())
                .startsWith("expire_at: -1 (expected: Unix seconds");
        assertThat(post("/api/refresh", q("{'user':'a','expired':'yes'}")).errorMessage())
                .startsWith("expired: \"yes\" (expected: a boolean)");
        assertThat(post("/api/disconnect", q("{'user':'a','disconnect':{'code':1000}}")).errorMessage())
                .startsWith("disconnect.code: 1000 (expected: a WebSocket close code, 3000..4999)");
        assertThat(post("/api/disconnect", q("{'user':'a','disconnect':'now'}")).errorMessage())
                .startsWith("disconnect: a string");
        assertThat(control).isEmpty();
    }

    // ---- presence

    private void gatewayReports(String gateway, String room, PresenceMember... members) {
        Map<String, Integer> counts = Map.of(room, members.length);
        store.reportOnline(gateway, counts, TTL).join();
        long users = List.of(members).stream().map(PresenceMember::userId).distinct().count();
        store.reportPresence(gateway, Map.of(room, new RoomPresence(members.length, (int) users, List.of(members))),
                TTL).join();
    }

    @Test
    void presenceListsTheMembersOfEveryGatewayAndStatsCountThem() {
        gatewayReports("gw1", "stage", new PresenceMember("c-1", "alice", "{\"name\":\"Alice\"}"),
                new PresenceMember("c-2", "alice", null));
        gatewayReports("gw2", "stage", new PresenceMember("c-3", "bob", null));

        Reply p = post("/api/presence", q("{'channel':'stage'}"));
        assertThat(p.status()).isEqualTo(200);
        JsonNode presence = p.result().get("presence");
        assertThat(presence.size()).isEqualTo(3);
        assertThat(presence.get("c-1").get("user").asText()).isEqualTo("alice");
        assertThat(presence.get("c-1").get("client").asText()).isEqualTo("c-1");
        assertThat(presence.get("c-1").get("conn_info").get("name").asText()).isEqualTo("Alice");
        assertThat(presence.get("c-3").get("user").asText()).isEqualTo("bob");
        assertThat(presence.get("c-3").has("conn_info")).isFalse();

        Reply stats = post("/api/presence_stats", q("{'channel':'stage'}"));
        assertThat(stats.result().toString()).isEqualTo("{\"num_clients\":3,\"num_users\":2}");
        assertThat(post("/api/presence_stats", q("{'channel':'empty'}")).result().toString())
                .isEqualTo("{\"num_clients\":0,\"num_users\":0}");
    }

    @Test
    void presenceIsPagedByClientId() {
        gatewayReports("gw1", "stage", new PresenceMember("c-3", "u3", null), new PresenceMember("c-1", "u1", null),
                new PresenceMember("c-2", "u2", null));

        Reply first = post("/api/presence", q("{'channel':'stage','limit':2}"));
        List<String> page = new ArrayList<>();
        first.result().get("presence").fieldNames().forEachRemaining(page::add);
        assertThat(page).containsExactly("c-1", "c-2");
        assertThat(first.result().get("next").asText()).isEqualTo("c-2");
        Reply second = post("/api/presence", q("{'channel':'stage','limit':2,'after':'c-2'}"));
        assertThat(second.result().get("presence").has("c-3")).isTrue();
        assertThat(second.result().get("presence").size()).isEqualTo(1);
        assertThat(second.result().has("next")).isFalse();

        assertThat(post("/api/presence", q("{'channel':'stage','limit':0}")).errorMessage())
                .startsWith("limit: 0 (expected: an integer, 1..3)");
    }

    @Test
    void presenceOfARoomAboveTheCapIsRefusedAndItsStatsStillAnswer() {
        store.reportOnline("gw1", Map.of("big", 4), TTL).join();
        store.reportPresence("gw1", Map.of("big", new RoomPresence(4, 4, null)), TTL).join();

        Reply p = post("/api/presence", q("{'channel':'big'}"));
        assertThat(p.status()).isEqualTo(503);
        assertThat(p.errorCode()).isEqualTo(108);
        assertThat(p.errorMessage()).isEqualTo("not available: presence lists rooms of at most 3 connections"
                + " (presence.max-members); room big has 4: use presence_stats");
        assertThat(post("/api/presence_stats", q("{'channel':'big'}")).result().toString())
                .isEqualTo("{\"num_clients\":4,\"num_users\":4}");
        assertThat(post("/api/presence", q("{}")).errorMessage()).startsWith("channel: missing");
    }

    // ---- history

    private void stored(String room, long... offsets) {
        List<RoomRecord> records = new ArrayList<>();
        for (long o : offsets) {
            String json = o == 2 ? "{\"id\":\"m2\",\"text\":\"two\",\"tags\":{\"k\":\"v\"}}"
                    : "{\"id\":\"m" + o + "\",\"text\":\"t" + o + "\"}";
            records.add(new RoomRecord(room, o, "e1", 1000 + o, json.getBytes(StandardCharsets.UTF_8)));
        }
        store.appendHistory(room, records).join();
    }

    @Test
    void historyReadsTheHotHistoryWithLimitSinceAndReverse() {
        stored("talk", 1, 2, 3, 4);

        Reply position = post("/api/history", q("{'channel':'talk'}"));
        assertThat(position.result().get("publications")).isEmpty();
        assertThat(position.result().get("epoch").asText()).isEqualTo("e1");
        assertThat(position.result().get("offset").asLong()).isEqualTo(4);

        Reply since = post("/api/history", q("{'channel':'talk','limit':2,'since':{'offset':1,'epoch':'e1'}}"));
        JsonNode pubs = since.result().get("publications");
        assertThat(pubs).hasSize(2);
        assertThat(pubs.get(0).get("offset").asLong()).isEqualTo(2);
        assertThat(pubs.get(0).get("data").get("text").asText()).isEqualTo("two");
        assertThat(pubs.get(0).get("tags").get("k").asText()).isEqualTo("v");
        assertThat(pubs.get(1).get("offset").asLong()).isEqualTo(3);
        assertThat(pubs.get(1).has("tags")).isFalse();

        Reply reverse = post("/api/history", q("{'channel':'talk','limit':10,'reverse':true}"));
        List<Long> offsets = new ArrayList<>();
        reverse.result().get("publications").forEach(p -> offsets.add(p.get("offset").asLong()));
        assertThat(offsets).containsExactly(4L, 3L, 2L, 1L);
    }

    @Test
    void historyErrorsNameTheFieldAndAnotherEpochIsUnrecoverable() {
        stored("talk", 1);
        Reply epoch = post("/api/history", q("{'channel':'talk','limit':5,'since':{'offset':1,'epoch':'other'}}"));
        assertThat(epoch.status()).isEqualTo(400);
        assertThat(epoch.errorCode()).isEqualTo(112);
        assertThat(epoch.errorMessage()).startsWith("unrecoverable position: since.epoch other");
        assertThat(post("/api/history", q("{'channel':'talk','limit':1001}")).errorMessage())
                .startsWith("limit: 1001 (expected: an integer, 0..1000)");
        assertThat(post("/api/history", q("{'channel':'talk','since':{'epoch':'e1'}}")).errorMessage())
                .startsWith("since.offset: missing");
        assertThat(post("/api/history", q("{'channel':'talk','since':5}")).errorMessage()).startsWith("since: 5");
        assertThat(post("/api/history", q("{'channel':'talk','reverse':1}")).errorMessage()).startsWith("reverse: 1");
    }

    @Test
    void historyRemoveEmptiesTheHistoryAndKeepsThePosition() {
        stored("talk", 1, 2, 3);
        assertThat(post("/api/history_remove", q("{'channel':'talk'}")).body().toString())
                .isEqualTo("{\"result\":{}}");

        Reply after = post("/api/history", q("{'channel':'talk','limit':10}"));
        assertThat(after.result().get("publications")).isEmpty();
        assertThat(after.result().get("offset").asLong()).isEqualTo(3);
        assertThat(post("/api/history_remove", q("{'channel':7}")).errorMessage()).startsWith("channel: a number");
    }

    // ---- channels, info

    @Test
    void channelsListsActiveRoomsWithCountsFilteredByPattern() {
        store.reportOnline("gw1", Map.of("live:1", 2, "live:2", 1, "chat", 5), TTL).join();
        store.reportOnline("gw2", Map.of("live:1", 3), TTL).join();

        assertThat(post("/api/channels", q("{'pattern':'live:*'}")).result().toString())
                .isEqualTo("{\"channels\":{\"live:1\":{\"num_clients\":5},\"live:2\":{\"num_clients\":1}}}");
        assertThat(post("/api/channels", "{}").result().get("channels").size()).isEqualTo(3);
        assertThat(post("/api/channels", q("{'pattern':'live?'}")).errorMessage())
                .startsWith("pattern: character '?' at 4");
        assertThat(post("/api/channels", q("{'pattern':5}")).errorMessage()).startsWith("pattern: 5");
    }

    @Test
    void infoListsTheNodesThatReport() {
        long started = clock.millis() - 90_000;
        store.reportNode(new NodeInfo("gw-1", "gateway", "0.1.0", started, 12, 10, 3), TTL).join();
        store.reportNode(new NodeInfo("logic-1", "logic", "0.1.0", started, 0, 0, 0), TTL).join();

        JsonNode nodes = post("/api/info", "{}").result().get("nodes");
        assertThat(nodes).hasSize(2);
        JsonNode gw = nodes.get(0);
        assertThat(gw.get("uid").asText()).isEqualTo("gw-1");
        assertThat(gw.get("name").asText()).isEqualTo("gw-1");
        assertThat(gw.get("role").asText()).isEqualTo("gateway");
        assertThat(gw.get("num_clients").asLong()).isEqualTo(12);
        assertThat(gw.get("num_users").asLong()).isEqualTo(10);
        assertThat(gw.get("num_channels").asLong()).isEqualTo(3);
        assertThat(gw.get("uptime").asLong()).isGreaterThanOrEqualTo(89);
        assertThat(nodes.get(1).get("role").asText()).isEqualTo("logic");
    }

    // ---- batch

    @Test
    void batchAnswersEveryCommandInOrderWithItsOwnResultOrError() {
        for (String parallel : List.of("false", "true")) {
            delivered.clear();
            Reply r = post("/api/batch", q("{'parallel':" + parallel + ",'commands':["
                    + "{'publish':{'channel':'b1','data':{'text':'one'}}},"
                    + "{'publish':{'channel':'bad room','data':{'text':'two'}}},"
                    + "{'presence_stats':{'channel':'b1'}},"
                    + "{'nope':{}},"
                    + "{'batch':{'commands':[]}},"
                    + "{'publish':{}, 'broadcast':{}},"
                    + "{'history':5}]}"));
            assertThat(r.status()).as(parallel).isEqualTo(200);
            JsonNode replies = r.body().get("replies");
            assertThat(replies).hasSize(7);
            assertThat(replies.get(0).get("publish").get("offset").asLong()).isPositive();
            assertThat(replies.get(1).get("error").get("code").asInt()).isEqualTo(107);
            assertThat(replies.get(1).get("error").get("message").asText()).startsWith("channel: \"bad room\"");
            assertThat(replies.get(2).get("presence_stats").has("num_clients")).isTrue();
            assertThat(replies.get(3).get("error").get("code").asInt()).isEqualTo(104);
            assertThat(replies.get(3).get("error").get("message").asText()).isEqualTo(
                    "method not found: commands[3]: nope");
            assertThat(replies.get(4).get("error").get("code").asInt()).isEqualTo(104);
            assertThat(replies.get(5).get("error").get("message").asText()).startsWith(
                    "bad request: commands[5]: 2 fields");
            assertThat(replies.get(6).get("error").get("message").asText()).startsWith(
                    "bad request: commands[6].history: a number");
            await().until(() -> delivered.size() == 1);
        }
    }

    @Test
    void aBatchRunsItsCommandsInOrderUnlessParallel() {
        Reply r = post("/api/batch", q("{'commands':[{'publish':{'channel':'ord','data':{'text':'1'}}},"
                + "{'publish':{'channel':'ord','data':{'text':'2'}}},{'publish':{'channel':'ord','data':{'text':'3'}}}]}"));
        List<Long> offsets = new ArrayList<>();
        r.body().get("replies").forEach(reply -> offsets.add(reply.get("publish").get("offset").asLong()));
        assertThat(offsets).isSorted().doesNotHaveDuplicates().hasSize(3);
    }

    @Test
    void aBadBatchIsRefusedNamingTheField() {
        assertThat(post("/api/batch", "{}").errorMessage()).startsWith("commands: missing (expected: an array of 1..100");
        assertThat(post("/api/batch", q("{'commands':[]}")).errorMessage()).startsWith("commands: 0 commands");
        assertThat(post("/api/batch", q("{'commands':{}}")).errorMessage()).startsWith("commands: an object");
        assertThat(post("/api/batch", q("{'commands':[{'info':{}}],'parallel':'yes'}")).errorMessage())
                .startsWith("parallel: a string");
        StringBuilder many = new StringBuilder("{\"commands\":[");
        for (int i = 0; i < 101; i++) {
            many.append(i == 0 ? "" : ",").append("{\"info\":{}}");
        }
        assertThat(post("/api/batch", many + "]}").errorMessage()).startsWith("commands: 101 commands");
    }

    @Test
    void anUnknownMethodListsEveryMethod() {
        Reply r = post("/api/nope", "{}");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.errorMessage()).isEqualTo("method not found: /api/nope (expected: /api/{ban,batch,broadcast,"
                + "channels,delete,delete_user_messages,disconnect,history,history_remove,info,mute,presence,presence_stats,publish,refresh,"
                + "stream_start,subscribe,unban,unmute,unsubscribe})");
    }
}
