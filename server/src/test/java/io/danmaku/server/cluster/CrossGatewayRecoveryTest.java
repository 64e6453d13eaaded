package io.danmaku.server.cluster;

import static io.danmaku.server.cluster.ClusterEndToEndTest.offsets;
import static io.danmaku.server.cluster.ClusterEndToEndTest.texts;
import static io.danmaku.server.cluster.ClusterStack.room;
import static io.danmaku.server.cluster.ClusterStack.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.kafka.KafkaExtension;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client drops off gateway 1 and comes back on gateway 2 (as after a gateway restart or a load balancer's
 * new choice) with its last offset and epoch: it gets exactly what it missed, in order, and {@code recovered:
 * true} — from gateway 2's ring of recent messages when the room has members there, and from the Redis history
 * written by storage when it has none.
 */
@ExtendWith({KafkaExtension.class, RedisClusterExtension.class})
class CrossGatewayRecoveryTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int MISSED = 5;

    static ClusterStack stack;
    static RedisCluster redis;
    static int gateway1;
    static int gateway2;

    @BeforeAll
    static void start(KafkaBroker kafka, RedisCluster cluster, @TempDir Path dir) {
        redis = cluster;
        stack = new ClusterStack("recovery", kafka.bootstrapServers(), cluster);
        stack.startLogic();
        stack.startStorage(dir.resolve("archive"));
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
    void recoversFromTheOtherGatewaysRingWhenTheRoomHasMembersThere() {
        String room = room("ring");
        try (CentrifugeTestClient member = CentrifugeTestClient.connect(gateway2, null)) {
            assertThat(member.subscribe(room).has("subscribe")).isTrue();
            Dropped dropped = dropAfterOneMessage(room);
            List<String> missed = postMissed(dropped.poster, room);
            // gateway 2's member has them all, so its ring holds them
            List<JsonNode> atMember = member.awaitPublications(room, 1 + MISSED, WAIT);
            assertThat(texts(atMember)).containsExactlyElementsOf(concat("seen", missed));

            recoverOnGateway2(dropped, room, missed, offsets(atMember).subList(1, 1 + MISSED));
        }
    }

    @Test
    void recoversFromRedisHistoryWhenTheOtherGatewayHasNoMemberOfTheRoom() {
        String room = room("hist");
        Dropped dropped = dropAfterOneMessage(room);
        List<String> missed = postMissed(dropped.poster, room);
        await("storage wrote the missed messages to Redis").atMost(WAIT)
                .until(() -> Stored.redisHistory(redis, room).size() == 1 + MISSED);
        List<Long> missedOffsets = Stored.redisHistory(redis, room).stream().skip(1)
                .map(Stored.HistoryEntry::offset).toList();

        recoverOnGateway2(dropped, room, missed, missedOffsets);
    }

    /** A client of gateway 1 that received one message of {@code room} and then lost its connection. */
    private record Dropped(CentrifugeTestClient poster, long offset, String epoch) {
    }

    private static Dropped dropAfterOneMessage(String room) {
        CentrifugeTestClient poster = CentrifugeTestClient.connect(gateway1, token("poster-" + room));
        try (CentrifugeTestClient viewer = CentrifugeTestClient.connect(gateway1, null)) {
            String epoch = viewer.subscribe(room).path("subscribe").path("epoch").asText();
            assertThat(epoch).isNotEmpty();
            assertThat(poster.publish(room, "seen").has("publish")).isTrue();
            List<JsonNode> seen = viewer.awaitPublications(room, 1, WAIT);
            assertThat(texts(seen)).containsExactly("seen");
            viewer.socket().abort(); // gone without a close frame
            return new Dropped(poster, seen.get(0).path("offset").asLong(), epoch);
        } catch (RuntimeException | Error e) {
            poster.close();
            throw e;
        }
    }

    private static List<String> postMissed(CentrifugeTestClient poster, String room) {
        List<String> missed = new ArrayList<>();
        for (int i = 1; i <= MISSED; i++) {
            JsonNode reply = poster.publish(room, "missed " + i);
            assertThat(reply.has("publish")).as("%s", reply).isTrue();
            missed.add("missed " + i);
        }
        return missed;
    }

    private static void recoverOnGateway2(Dropped dropped, String room, List<String> missed, List<Long> offsets) {
        try (CentrifugeTestClient poster = dropped.poster;
             CentrifugeTestClient back = CentrifugeTestClient.connect(gateway2, null)) {
            JsonNode sub = back.subscribeRecover(room, dropped.offset, dropped.epoch).path("subscribe");
            assertThat(sub.path("recovered").asBoolean()).as("%s", sub).isTrue();
            assertThat(sub.path("epoch").asText()).isEqualTo(dropped.epoch);
            List<JsonNode> recovered = new ArrayList<>();
            sub.path("publications").forEach(recovered::add);
            assertThat(texts(recovered)).containsExactlyElementsOf(missed);
            assertThat(offsets(recovered)).containsExactlyElementsOf(offsets);
            assertThat(sub.path("offset").asLong()).isEqualTo(offsets.get(offsets.size() - 1));

            assertThat(poster.publish(room, "after").has("publish")).isTrue();
            back.socket().await(n -> "after".equals(n.path("push").path("pub").path("data").path("text").asText()),
                    WAIT);
            assertThat(texts(back.publications(room))).as("pushed after the recovery, nothing twice")
                    .containsExactly("after");
        }
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }
}
