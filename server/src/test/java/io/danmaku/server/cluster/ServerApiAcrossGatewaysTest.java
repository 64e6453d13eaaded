package io.danmaku.server.cluster;

import static io.danmaku.server.cluster.ClusterStack.room;
import static io.danmaku.server.cluster.ClusterStack.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.json.Json;
import io.danmaku.server.role.GatewayRole;
import io.danmaku.server.role.LogicRole;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.kafka.KafkaExtension;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import io.danmaku.testkit.ws.TestWebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server API on real Kafka and Redis Cluster with two gateways, one logic instance and storage: one call to
 * logic acts on a user's connections on both gateways (disconnect, server-side subscribe and unsubscribe through
 * the hot store's control channel), presence lists the members of both gateways, a user-limited room's push reaches
 * every device of its user and nobody else, and history, channels, info and batch answer from what the nodes wrote
 * to Redis.
 */
@ExtendWith({KafkaExtension.class, RedisClusterExtension.class})
class ServerApiAcrossGatewaysTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path dir;
    static ClusterStack stack;
    static LogicRole logic;
    static GatewayRole gateway1;
    static GatewayRole gateway2;
    static ApiPoster api;

    @BeforeAll
    static void start(KafkaBroker kafka, RedisCluster cluster) {
        stack = new ClusterStack("serverapi", kafka.bootstrapServers(), cluster, 1, "presence.max-members=10");
        logic = stack.startLogic(1);
        gateway1 = stack.startGateway(1);
        gateway2 = stack.startGateway(2);
        stack.startStorage(dir.resolve("archive"));
        api = new ApiPoster(logic.httpPort());
        // a request published before a gateway's subscription is live would not reach it
        await().atMost(WAIT).until(() -> gateway1.hearsDisconnects() && gateway2.hearsDisconnects());
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    private static String clientId(CentrifugeTestClient c, String user) {
        return c.command("connect", Json.MAPPER.createObjectNode().put("token", token(user)))
                .path("connect").path("client").asText();
    }

    private static JsonNode awaitPush(CentrifugeTestClient c, String room, String kind) {
        return c.socket().await(n -> n.path("push").path("channel").asText().equals(room)
                && n.path("push").has(kind), WAIT).get("push").get(kind);
    }

    @Test
    void disconnectWithACodeClosesEveryConnectionOfTheUserOnBothGateways() {
        try (CentrifugeTestClient a1 = CentrifugeTestClient.connect(gateway1.gatewayPort(), token("api-cut"));
             CentrifugeTestClient a2 = CentrifugeTestClient.connect(gateway2.gatewayPort(), token("api-cut"));
             CentrifugeTestClient other = CentrifugeTestClient.connect(gateway2.gatewayPort(), token("api-keep"))) {
            ApiPoster.Raw r = api.post("disconnect",
                    "{\"user\":\"api-cut\",\"disconnect\":{\"code\":4509,\"reason\":\"account closed\"}}");

            assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
            assertThat(a1.socket().awaitClose(WAIT)).isEqualTo(new TestWebSocket.Close(4509, "account closed"));
            assertThat(a2.socket().awaitClose(WAIT)).isEqualTo(new TestWebSocket.Close(4509, "account closed"));
            assertThat(other.subscribe(room("keep")).has("subscribe")).isTrue();
        }
    }

    @Test
    void aServerSideSubscribeReachesTheUserOnBothGatewaysAndUnsubscribeEndsIt() {
        String room = room("srv-sub");
        try (CentrifugeTestClient a1 = CentrifugeTestClient.connect(gateway1.gatewayPort(), token("api-sub"));
             CentrifugeTestClient a2 = CentrifugeTestClient.connect(gateway2.gatewayPort(), token("api-sub"))) {
            ApiPoster.Raw r = api.post("subscribe", "{\"user\":\"api-sub\",\"channel\":\"" + room + "\"}");
            assertThat(r.body().toString()).isEqualTo("{\"result\":{}}");

            assertThat(awaitPush(a1, room, "subscribe").get("recoverable").asBoolean()).isTrue();
            assertThat(awaitPush(a2, room, "subscribe").get("recoverable").asBoolean()).isTrue();
            assertThat(api.publish(room, "to the subscribed").accepted()).isTrue();
            assertThat(a1.awaitPublications(room, 1, WAIT).get(0).path("data").path("text").asText())
                    .isEqualTo("to the subscribed");
            assertThat(a2.awaitPublications(room, 1, WAIT)).hasSize(1);

            assertThat(api.post("unsubscribe", "{\"user\":\"api-sub\",\"channel\":\"" + room + "\"}").status())
                    .isEqualTo(200);
            assertThat(awaitPush(a1, room, "unsubscribe").get("code").asInt()).isEqualTo(2000);
            assertThat(awaitPush(a2, room, "unsubscribe").get("code").asInt()).isEqualTo(2000);
        }
    }

    @Test
    void presenceListsTheMembersOfBothGatewaysAndChannelsInfoAndStatsCountThem() {
        String room = room("presence");
        try (CentrifugeTestClient a = CentrifugeTestClient.open(gateway1.gatewayPort());
             CentrifugeTestClient b = CentrifugeTestClient.open(gateway2.gatewayPort());
             CentrifugeTestClient b2 = CentrifugeTestClient.open(gateway2.gatewayPort())) {
            String ca = clientId(a, "api-pa");
            String cb = clientId(b, "api-pb");
            String cb2 = clientId(b2, "api-pb");
            for (CentrifugeTestClient c : List.of(a, b, b2)) {
                assertThat(c.subscribe(room).has("subscribe")).isTrue();
            }

            JsonNode presence = await().atMost(WAIT).until(
                    () -> api.post("presence", "{\"channel\":\"" + room + "\"}").body().path("result").path("presence"),
                    p -> p.size() == 3);
            assertThat(presence.get(ca).path("user").asText()).isEqualTo("api-pa");
            assertThat(presence.get(cb).path("user").asText()).isEqualTo("api-pb");
            assertThat(presence.get(cb2).path("conn_info").path("name").asText()).isEqualTo("api-pb-name");
            assertThat(api.post("presence_stats", "{\"channel\":\"" + room + "\"}").body().path("result").toString())
                    .isEqualTo("{\"num_clients\":3,\"num_users\":2}");
            assertThat(api.post("channels", "{\"pattern\":\"" + room + "\"}").body().path("result").toString())
                    .isEqualTo("{\"channels\":{\"" + room + "\":{\"num_clients\":3}}}");

            Set<String> roles = new HashSet<>();
            Set<String> ids = new HashSet<>();
            await().atMost(WAIT).untilAsserted(() -> {
                roles.clear();
                ids.clear();
                api.post("info", "{}").body().path("result").path("nodes").forEach(n -> {
                    roles.add(n.path("role").asText());
                    ids.add(n.path("uid").asText());
                });
                assertThat(ids).contains("serverapi-gateway-1", "serverapi-gateway-2", "serverapi-logic-1",
                        "serverapi-storage");
            });
            assertThat(roles).contains("gateway", "logic", "storage");
        }
    }

    @Test
    void aUserLimitedRoomPushReachesEveryDeviceOfItsUserOnBothGatewaysAndNobodyElse() {
        String room = room("notes") + "#api-alice";
        try (CentrifugeTestClient phone = CentrifugeTestClient.connect(gateway1.gatewayPort(), token("api-alice"));
             CentrifugeTestClient laptop = CentrifugeTestClient.connect(gateway2.gatewayPort(), token("api-alice"));
             CentrifugeTestClient bob = CentrifugeTestClient.connect(gateway2.gatewayPort(), token("api-bob"))) {
            assertThat(phone.subscribe(room).has("subscribe")).isTrue();
            assertThat(laptop.subscribe(room).has("subscribe")).isTrue();
            assertThat(bob.subscribe(room).path("error").path("code").asInt()).isEqualTo(103);

            ApiPoster.Raw r = api.post("publish", "{\"channel\":\"" + room + "\",\"data\":{\"cmd\":\"NOTICE\","
                    + "\"msg\":\"for alice\"},\"tags\":{\"kind\":\"notice\"}}");
            assertThat(r.status()).as(r.body().toString()).isEqualTo(200);

            for (CentrifugeTestClient device : List.of(phone, laptop)) {
                JsonNode pub = device.awaitPublications(room, 1, WAIT).get(0);
                assertThat(pub.path("data").path("msg").asText()).isEqualTo("for alice");
                assertThat(pub.path("tags").path("kind").asText()).isEqualTo("notice");
            }
            // bob's connection heard nothing of it: a later push to bob's own room arrives alone
            String bobs = room("notes") + "#api-bob";
            assertThat(bob.subscribe(bobs).has("subscribe")).isTrue();
            assertThat(api.publish(bobs, "for bob").accepted()).isTrue();
            assertThat(bob.awaitPublications(bobs, 1, WAIT)).hasSize(1);
            assertThat(bob.publications(room)).isEmpty();
        }
    }

    @Test
    void historyBatchAndHistoryRemoveAnswerFromRedis() {
        String room = room("hist");
        ApiPoster.Raw batch = api.post("batch", "{\"commands\":["
                + "{\"publish\":{\"channel\":\"" + room + "\",\"data\":{\"text\":\"one\"}}},"
                + "{\"publish\":{\"channel\":\"" + room + "\",\"data\":{\"text\":\"two\"}}},"
                + "{\"presence_stats\":{\"channel\":\"bad room\"}}]}");
        assertThat(batch.status()).isEqualTo(200);
        JsonNode replies = batch.body().path("replies");
        assertThat(replies.get(0).path("publish").path("offset").asLong()).isPositive();
        assertThat(replies.get(1).path("publish").path("offset").asLong())
                .isGreaterThan(replies.get(0).path("publish").path("offset").asLong());
        assertThat(replies.get(2).path("error").path("code").asInt()).isEqualTo(107);
        String epoch = replies.get(0).path("publish").path("epoch").asText();

        JsonNode history = await().atMost(WAIT).until(() -> api.post("history", "{\"channel\":\"" + room
                + "\",\"limit\":10}").body().path("result"), h -> h.path("publications").size() == 2);
        List<String> texts = new ArrayList<>();
        history.path("publications").forEach(p -> texts.add(p.path("data").path("text").asText()));
        assertThat(texts).containsExactly("one", "two");
        assertThat(history.path("epoch").asText()).isEqualTo(epoch);
        ApiPoster.Raw other = api.post("history", "{\"channel\":\"" + room + "\",\"limit\":1,\"since\":{\"offset\":0,"
                + "\"epoch\":\"not-" + epoch + "\"}}");
        assertThat(other.body().path("error").path("code").asInt()).isEqualTo(112);

        assertThat(api.post("history_remove", "{\"channel\":\"" + room + "\"}").status()).isEqualTo(200);
        JsonNode removed = api.post("history", "{\"channel\":\"" + room + "\",\"limit\":10}").body().path("result");
        assertThat(removed.path("publications")).isEmpty();
        assertThat(removed.path("offset").asLong()).isEqualTo(history.path("offset").asLong());
    }
}
