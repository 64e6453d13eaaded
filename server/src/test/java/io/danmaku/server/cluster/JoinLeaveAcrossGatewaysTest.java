package io.danmaku.server.cluster;

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
import java.nio.file.Files;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Join and leave pushes on real Kafka and Redis Cluster with two gateways: a member on gateway 1 that subscribed with
 * {@code join_leave} hears a connection on gateway 2 join and leave its room (through the control channel on Redis),
 * and none of it lands in the room's stored history, which holds only the one post.
 */
@ExtendWith({KafkaExtension.class, RedisClusterExtension.class})
class JoinLeaveAcrossGatewaysTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    static ClusterStack stack;
    static LogicRole logic;
    static GatewayRole gateway1;
    static GatewayRole gateway2;

    @BeforeAll
    static void start(KafkaBroker kafka, RedisCluster cluster) throws Exception {
        stack = new ClusterStack("joinleave", kafka.bootstrapServers(), cluster, "gateway.join-leave.rooms=team.*",
                "gateway.join-leave.max-members=10");
        logic = stack.startLogic();
        stack.startStorage(Files.createTempDirectory("joinleave-archive"));
        gateway1 = stack.startGateway(1);
        gateway2 = stack.startGateway(2);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    static JsonNode push(CentrifugeTestClient c, String room, String kind, String client) {
        return c.socket().await(n -> n.path("push").path("channel").asText().equals(room)
                && n.path("push").path(kind).path("info").path("client").asText().equals(client), WAIT);
    }

    @Test
    void aMemberOnOneGatewayHearsAConnectionOnTheOtherJoinAndLeaveAndHistoryKeepsOnlyPosts() {
        String room = "team." + UUID.randomUUID().toString().substring(0, 8);
        try (CentrifugeTestClient alice = CentrifugeTestClient.connect(gateway1.gatewayPort(), token("alice"))) {
            await().atMost(WAIT).until(() -> gateway1.hearsDisconnects() && gateway2.hearsDisconnects());
            JsonNode sub = alice.command("subscribe", Json.MAPPER.createObjectNode().put("channel", room)
                    .put("join_leave", true));
            assertThat(sub.has("subscribe")).as("reply %s", sub).isTrue();
            String bobClient;
            try (CentrifugeTestClient bob = CentrifugeTestClient.connect(gateway2.gatewayPort(), token("bob"))) {
                bobClient = bob.socket().lines().get(0).path("connect").path("client").asText();
                assertThat(bob.subscribe(room).has("subscribe")).isTrue();
                JsonNode join = push(alice, room, "join", bobClient);
                assertThat(join.path("push").path("join").path("info").path("user").asText()).isEqualTo("bob");
                assertThat(bob.publish(room, "hello from bob").has("publish")).isTrue();
                assertThat(alice.awaitPublications(room, 1, WAIT)).hasSize(1);
            }
            JsonNode leave = push(alice, room, "leave", bobClient);
            assertThat(leave.path("push").path("leave").path("info").path("user").asText()).isEqualTo("bob");
            // storage wrote the post; joins and leaves never went through the message stream
            await().atMost(WAIT).untilAsserted(() -> {
                JsonNode h = alice.command("history", Json.MAPPER.createObjectNode().put("channel", room)
                        .put("limit", 100));
                assertThat(h.path("history").path("publications")).as("history %s", h).hasSize(1);
            });
            JsonNode h = alice.command("history", Json.MAPPER.createObjectNode().put("channel", room)
                    .put("limit", 100));
            assertThat(h.path("history").path("publications").get(0).path("data").path("text").asText())
                    .isEqualTo("hello from bob");
        }
    }
}
