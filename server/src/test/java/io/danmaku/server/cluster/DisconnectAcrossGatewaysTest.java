package io.danmaku.server.cluster;

import static io.danmaku.server.cluster.ClusterStack.room;
import static io.danmaku.server.cluster.ClusterStack.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmaku.server.role.GatewayRole;
import io.danmaku.server.role.LogicRole;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.kafka.KafkaExtension;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import io.danmaku.testkit.ws.TestWebSocket;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The server API's {@code disconnect} on real Kafka and Redis Cluster: one call to one logic instance closes a
 * user's connections on both gateways (through the hot store's Redis pub/sub channel) with 3503, and another
 * user connected to the same gateways keeps posting and receiving.
 */
@ExtendWith({KafkaExtension.class, RedisClusterExtension.class})
class DisconnectAcrossGatewaysTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    static ClusterStack stack;
    static LogicRole logic;
    static GatewayRole gateway1;
    static GatewayRole gateway2;

    @BeforeAll
    static void start(KafkaBroker kafka, RedisCluster cluster) {
        stack = new ClusterStack("disconnect", kafka.bootstrapServers(), cluster, 2);
        logic = stack.startLogic(1);
        gateway1 = stack.startGateway(1);
        gateway2 = stack.startGateway(2);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aUserConnectedToBothGatewaysIsDisconnectedOnBothAndAnotherUserStays() {
        String room = room("disconnect");
        try (CentrifugeTestClient cut1 = CentrifugeTestClient.connect(gateway1.gatewayPort(), token("cut-user"));
             CentrifugeTestClient cut2 = CentrifugeTestClient.connect(gateway2.gatewayPort(), token("cut-user"));
             CentrifugeTestClient stay1 = CentrifugeTestClient.connect(gateway1.gatewayPort(), token("stay-user"));
             CentrifugeTestClient stay2 = CentrifugeTestClient.connect(gateway2.gatewayPort(), token("stay-user"))) {
            assertThat(stay2.subscribe(room).has("subscribe")).isTrue();
            // a request published before a gateway's subscription is live would not reach it
            await().atMost(WAIT).until(() -> gateway1.hearsDisconnects() && gateway2.hearsDisconnects());

            ApiPoster.Result result = new ApiPoster(logic.httpPort()).disconnect("cut-user");

            assertThat(result.accepted()).as("disconnect answered %s", result).isTrue();
            assertThat(cut1.socket().awaitClose(WAIT)).isEqualTo(new TestWebSocket.Close(3503, "force disconnect"));
            assertThat(cut2.socket().awaitClose(WAIT)).isEqualTo(new TestWebSocket.Close(3503, "force disconnect"));
            // the other user, on both gateways, still posts and receives
            assertThat(stay1.publish(room, "still here").has("publish")).isTrue();
            assertThat(stay2.awaitPublications(room, 1, WAIT)).hasSize(1);
            assertThat(stay1.socket().isClosed()).isFalse();
            assertThat(stay2.socket().isClosed()).isFalse();
        }
    }
}
