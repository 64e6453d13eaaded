package io.danmaku.server.cluster;

import static io.danmaku.server.cluster.ClusterStack.room;
import static io.danmaku.server.cluster.ClusterStack.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.json.Json;
import io.danmaku.server.cluster.Stored.ArchivedLine;
import io.danmaku.server.cluster.Stored.HistoryEntry;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.kafka.KafkaExtension;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distributed deployment end to end on the real Kafka broker and Redis Cluster: one logic, one storage and
 * two gateways, each role with its own runner, bus and store in this JVM. Clients of one room are spread over
 * both gateways; two of them and a backend (the server API) post at the same time. Every client sees every
 * accepted message of its room exactly once and in the same order, nothing of another room, and storage keeps
 * each accepted message exactly once in Redis history and in the archive.
 */
@ExtendWith({KafkaExtension.class, RedisClusterExtension.class})
class ClusterEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int WS_POSTS_PER_GATEWAY = 50;
    private static final int API_POSTS = 20;
    private static final int OTHER_ROOM_POSTS = 10;
    private static final String FENCE = "fence";

    static ClusterStack stack;
    static RedisCluster redis;
    static Path archiveDir;
    static int gateway1;
    static int gateway2;
    static int logicHttp;
    static int storageHttp;

    @BeforeAll
    static void start(KafkaBroker kafka, RedisCluster cluster, @TempDir Path dir) {
        redis = cluster;
        archiveDir = dir.resolve("archive");
        stack = new ClusterStack("e2e", kafka.bootstrapServers(), cluster);
        logicHttp = stack.startLogic().httpPort();
        storageHttp = stack.startStorage(archiveDir).httpPort();
        gateway1 = stack.startGateway(1).gatewayPort();
        gateway2 = stack.startGateway(2).gatewayPort();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void clientsOnBothGatewaysGetEveryAcceptedMessageOnceInOneOrderAndStorageKeepsEachOnce() throws Exception {
        String room = room("e2e");
        String other = room("e2e-other");
        ApiPoster api = new ApiPoster(logicHttp);
        List<CentrifugeTestClient> clients = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            CentrifugeTestClient poster1 = connect(clients, gateway1, token("poster-1"));
            connect(clients, gateway1, null);
            connect(clients, gateway1, token("viewer-1"));
            CentrifugeTestClient poster2 = connect(clients, gateway2, token("poster-2"));
            connect(clients, gateway2, null);
            connect(clients, gateway2, token("viewer-2"));
            List<CentrifugeTestClient> inRoom = List.copyOf(clients);
            CentrifugeTestClient elsewhere = connect(clients, gateway2, null);
            String epoch = null;
            for (CentrifugeTestClient c : inRoom) {
                JsonNode sub = c.subscribe(room).path("subscribe");
                assertThat(sub.isObject()).as("subscribe reply").isTrue();
                epoch = sub.path("epoch").asText();
            }
            assertThat(elsewhere.subscribe(other).has("subscribe")).isTrue();

            Future<List<String>> fromGateway1 = pool.submit(() -> postOverWebSocket(poster1, room, "gw1"));
            Future<List<String>> fromGateway2 = pool.submit(() -> postOverWebSocket(poster2, room, "gw2"));
            Future<Map<String, Long>> fromApi = pool.submit(() -> {
                Map<String, Long> accepted = new LinkedHashMap<>();
                for (int i = 0; i < Math.max(API_POSTS, OTHER_ROOM_POSTS); i++) {
                    if (i < API_POSTS) {
                        accepted.put("api #" + i, acceptedOffset(api, room, "api #" + i));
                    }
                    if (i < OTHER_ROOM_POSTS) {
                        accepted.put("other #" + i, acceptedOffset(api, other, "other #" + i));
                    }
                }
                return accepted;
            });
            List<String> sent1 = fromGateway1.get(2, TimeUnit.MINUTES);
            List<String> sent2 = fromGateway2.get(2, TimeUnit.MINUTES);
            Map<String, Long> sentByApi = fromApi.get(2, TimeUnit.MINUTES);
            // Everything before the fence is in the partition before it: once a client has the fence, it has all.
            acceptedOffset(api, room, FENCE);
            acceptedOffset(api, other, FENCE);

            List<String> accepted = new ArrayList<>(sent1);
            accepted.addAll(sent2);
            sentByApi.keySet().stream().filter(t -> t.startsWith("api")).forEach(accepted::add);
            assertThat(accepted).hasSize(2 * WS_POSTS_PER_GATEWAY + API_POSTS);
            List<String> acceptedElsewhere = sentByApi.keySet().stream().filter(t -> t.startsWith("other")).toList();

            List<Long> order = null;
            List<String> textOrder = null;
            for (CentrifugeTestClient c : inRoom) {
                List<JsonNode> pubs = awaitFence(c, room);
                List<String> texts = texts(pubs);
                List<Long> offsets = offsets(pubs);
                assertThat(texts).hasSize(accepted.size() + 1).endsWith(FENCE);
                assertThat(texts.subList(0, accepted.size())).containsExactlyInAnyOrderElementsOf(accepted);
                assertThat(offsets).isSorted().doesNotHaveDuplicates();
                // each poster's posts, acknowledged one after the other, keep their order
                assertThat(texts).filteredOn(t -> t.startsWith("gw1")).containsExactlyElementsOf(sent1);
                assertThat(texts).filteredOn(t -> t.startsWith("gw2")).containsExactlyElementsOf(sent2);
                if (order == null) {
                    order = offsets;
                    textOrder = texts;
                } else {
                    assertThat(offsets).as("offsets seen by every client").isEqualTo(order);
                    assertThat(texts).as("texts seen by every client").isEqualTo(textOrder);
                }
                assertThat(c.publications(other)).isEmpty();
                assertThat(c.socket().lines()).filteredOn(n -> n.has("push"))
                        .allSatisfy(n -> assertThat(n.path("push").path("channel").asText()).isEqualTo(room));
            }
            Map<String, Long> offsetOf = new HashMap<>();
            for (int i = 0; i < textOrder.size(); i++) {
                offsetOf.put(textOrder.get(i), order.get(i));
            }
            sentByApi.forEach((text, offset) -> {
                if (text.startsWith("api")) {
                    assertThat(offsetOf.get(text)).as("offset of %s", text).isEqualTo(offset);
                }
            });

            List<JsonNode> elsewherePubs = awaitFence(elsewhere, other);
            assertThat(texts(elsewherePubs)).containsExactlyElementsOf(concat(acceptedElsewhere, FENCE));
            assertThat(elsewhere.publications(room)).isEmpty();

            assertRedisHistory(room, textOrder, order);
            List<Long> otherOrder = offsets(elsewherePubs);
            assertRedisHistory(other, texts(elsewherePubs), otherOrder);

            assertArchive(room, epoch, textOrder, order);
            assertHistoryApi(room, order);

            for (int port : List.of(gateway1, gateway2)) {
                try (CentrifugeTestClient probe = CentrifugeTestClient.connect(port, null)) {
                    await("presence_stats on gateway port " + port).atMost(WAIT).until(() ->
                            numClients(probe, room) == inRoom.size() && numClients(probe, other) == 1);
                }
            }
        } finally {
            pool.shutdownNow();
            clients.forEach(CentrifugeTestClient::close);
        }
    }

    private static CentrifugeTestClient connect(List<CentrifugeTestClient> clients, int port, String token) {
        CentrifugeTestClient c = CentrifugeTestClient.connect(port, token);
        clients.add(c);
        return c;
    }

    /** Posts one after the other; every post must be accepted (the cluster is healthy and limits are off). */
    private static List<String> postOverWebSocket(CentrifugeTestClient poster, String room, String prefix) {
        List<String> accepted = new ArrayList<>();
        for (int i = 0; i < WS_POSTS_PER_GATEWAY; i++) {
            String text = prefix + " #" + i;
            JsonNode reply = poster.publish(room, text);
            assertThat(reply.has("publish")).as("reply to %s: %s", text, reply).isTrue();
            accepted.add(text);
        }
        return accepted;
    }

    private static long acceptedOffset(ApiPoster api, String room, String text) {
        ApiPoster.Result r = api.publish(room, text);
        assertThat(r.accepted()).as("server API publish of %s: %s", text, r).isTrue();
        return r.offset();
    }

    private static List<JsonNode> awaitFence(CentrifugeTestClient c, String room) {
        c.socket().await(n -> n.path("push").path("channel").asText().equals(room)
                && FENCE.equals(n.path("push").path("pub").path("data").path("text").asText()), WAIT);
        return c.publications(room);
    }

    private static void assertRedisHistory(String room, List<String> texts, List<Long> offsets) {
        await("Redis history of " + room).atMost(WAIT)
                .until(() -> Stored.redisHistory(redis, room).size() >= texts.size());
        List<HistoryEntry> history = Stored.redisHistory(redis, room);
        assertThat(history).extracting(HistoryEntry::text).containsExactlyElementsOf(texts);
        assertThat(history).extracting(HistoryEntry::offset).containsExactlyElementsOf(offsets);
        assertThat(history).extracting(HistoryEntry::id)
                .containsExactlyElementsOf(offsets.stream().map(o -> o + "-1").toList());
    }

    private static void assertArchive(String room, String epoch, List<String> texts, List<Long> offsets) {
        await("archive of " + room).atMost(WAIT).until(() -> Stored.archive(archiveDir).stream()
                .filter(l -> l.room().equals(room)).count() >= texts.size());
        List<ArchivedLine> all = Stored.archive(archiveDir);
        List<ArchivedLine> lines = all.stream().filter(l -> l.room().equals(room)).toList();
        assertThat(lines).extracting(ArchivedLine::epoch).containsOnly(epoch);
        assertThat(lines).extracting(ArchivedLine::offset).containsExactlyElementsOf(offsets);
        assertThat(lines).extracting(ArchivedLine::text).containsExactlyElementsOf(texts);
        // each stream (a partition) holds every offset once, in order, whatever the rooms
        Map<String, List<Long>> byStream = all.stream().collect(Collectors.groupingBy(ArchivedLine::stream,
                LinkedHashMap::new, Collectors.mapping(ArchivedLine::offset, Collectors.toList())));
        byStream.forEach((stream, streamOffsets) ->
                assertThat(streamOffsets).as("offsets of stream %s", stream).isSorted().doesNotHaveDuplicates());
    }

    private static void assertHistoryApi(String room, List<Long> offsets) throws Exception {
        HttpResponse<String> res = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + storageHttp + "/api/rooms/" + room + "/history?limit=1000"))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        JsonNode body = Json.MAPPER.readTree(res.body());
        assertThat(body.path("truncated").asBoolean()).as("truncated").isFalse();
        List<Long> served = new ArrayList<>();
        body.path("messages").forEach(m -> served.add(m.path("offset").asLong()));
        // each message once (the API sorts by the bus's record time, which is not part of the message)
        assertThat(served).containsExactlyInAnyOrderElementsOf(offsets);
    }

    private static long numClients(CentrifugeTestClient c, String room) {
        return c.command("presence_stats", Json.MAPPER.createObjectNode().put("channel", room))
                .path("presence_stats").path("num_clients").asLong(-1);
    }

    static List<String> texts(List<JsonNode> pubs) {
        return pubs.stream().map(p -> p.path("data").path("text").asText()).toList();
    }

    static List<Long> offsets(List<JsonNode> pubs) {
        return pubs.stream().map(p -> p.path("offset").asLong(-1)).toList();
    }

    private static List<String> concat(List<String> list, String last) {
        List<String> all = new ArrayList<>(list);
        all.add(last);
        return all;
    }
}
