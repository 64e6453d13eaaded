package io.danmaku.server.cluster;

import static io.danmaku.server.cluster.ClusterStack.room;
import static io.danmaku.server.cluster.ClusterStack.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmaku.server.cluster.PipelinedPosts.Sent;
import io.danmaku.server.role.GatewayRole;
import io.danmaku.server.role.LogicRole;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.kafka.KafkaExtension;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What logic decides in its own memory holds across gateways, because every gateway sends a user's posts to the
 * same logic instance: two gateways, two logic instances, a user limit of a burst of 5 (then one post per 100 s).
 * A user posting through both gateways at once gets exactly 5 posts accepted; a clientMsgId sent through both
 * gateways at once is accepted once and refused {@code duplicate} once. A ban made through one instance's server
 * API reaches the other instance through the store's change feed, although the other has the user cached as not
 * banned for far longer than the test waits.
 */
@ExtendWith({KafkaExtension.class, RedisClusterExtension.class})
class UserAffinityTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int BURST = 5;

    static ClusterStack stack;
    static LogicRole logic1;
    static LogicRole logic2;
    static GatewayRole gateway1;
    static GatewayRole gateway2;

    @BeforeAll
    static void start(KafkaBroker kafka, RedisCluster cluster) {
        stack = new ClusterStack("affinity", kafka.bootstrapServers(), cluster, 2,
                "logic.rate.user.burst=" + BURST, "logic.rate.user.per-second=0.01",
                "logic.restriction.cache-ttl=5m");
        logic1 = stack.startLogic(1);
        logic2 = stack.startLogic(2);
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
    void aUserPostingThroughBothGatewaysAtOnceGetsExactlyItsBurst() {
        String room = room("affinity-limit");
        String user = "limited-user";
        try (CentrifugeTestClient on1 = CentrifugeTestClient.connect(gateway1.gatewayPort(), token(user));
             CentrifugeTestClient on2 = CentrifugeTestClient.connect(gateway2.gatewayPort(), token(user))) {
            PipelinedPosts via1 = new PipelinedPosts(on1);
            PipelinedPosts via2 = new PipelinedPosts(on2);
            for (int i = 0; i < 8; i++) {
                via1.send(room, "gw1 #" + i);
                via2.send(room, "gw2 #" + i);
            }
            List<Sent> answers = new ArrayList<>(via1.awaitAnswers(WAIT));
            answers.addAll(via2.awaitAnswers(WAIT));
            assertThat(answers).filteredOn(Sent::accepted).as("accepted of %s", answers).hasSize(BURST);
            assertThat(answers).filteredOn(Predicate.not(Sent::accepted)).extracting(Sent::reason)
                    .hasSize(16 - BURST).containsOnly("rate_limited");
        }
    }

    @Test
    void theSameClientMsgIdThroughBothGatewaysAtOnceIsAcceptedOnce() {
        String room = room("affinity-dedupe");
        // several users, so that both logic instances decide some of them; 4 posts each stay within the burst
        List<String> users = List.of(userOwnedBy(1, "dedupe-a-"), userOwnedBy(1, "dedupe-b-"),
                userOwnedBy(2, "dedupe-a-"), userOwnedBy(2, "dedupe-b-"));
        assertThat(users.stream().map(stack::logicFor).distinct()).as("owners").hasSize(2);
        List<CentrifugeTestClient> clients = new ArrayList<>();
        try {
            List<PipelinedPosts> posters = new ArrayList<>();
            for (String user : users) {
                for (GatewayRole gateway : List.of(gateway1, gateway2)) {
                    CentrifugeTestClient c = CentrifugeTestClient.connect(gateway.gatewayPort(), token(user));
                    clients.add(c);
                    posters.add(new PipelinedPosts(c));
                }
            }
            for (int m = 0; m < 2; m++) {
                for (PipelinedPosts p : posters) {
                    p.send(room, "message " + m, "msg-" + m);
                }
            }
            for (int u = 0; u < users.size(); u++) {
                List<Sent> answers = new ArrayList<>(posters.get(2 * u).awaitAnswers(WAIT));
                answers.addAll(posters.get(2 * u + 1).awaitAnswers(WAIT));
                for (int m = 0; m < 2; m++) {
                    String text = "message " + m;
                    List<Sent> same = answers.stream().filter(s -> s.text().equals(text)).toList();
                    assertThat(same).as("%s of %s", text, users.get(u)).hasSize(2);
                    assertThat(same).filteredOn(Sent::accepted).as("%s of %s accepted", text, users.get(u))
                            .hasSize(1);
                    assertThat(same).filteredOn(Predicate.not(Sent::accepted)).extracting(Sent::reason)
                            .containsExactly("duplicate");
                }
            }
        } finally {
            clients.forEach(CentrifugeTestClient::close);
        }
    }

    @Test
    void aBanThroughOneLogicInstanceReachesBothWithinTwoSeconds() {
        String room = room("affinity-ban");
        String onLogic1 = userOwnedBy(1, "banned-a-");
        String onLogic2 = userOwnedBy(2, "banned-b-");
        try (CentrifugeTestClient a = CentrifugeTestClient.connect(gateway1.gatewayPort(), token(onLogic1));
             CentrifugeTestClient b = CentrifugeTestClient.connect(gateway2.gatewayPort(), token(onLogic2))) {
            // each owner has its user cached as not banned (a post that needs no store lookup is accepted)
            for (CentrifugeTestClient c : List.of(a, b)) {
                assertThat(c.publish(room, "before the ban").has("publish")).isTrue();
            }
            LogicRole owner2 = logic2;
            double lookups = stack.meter(owner2, "danmaku_logic_restriction_lookups_total");
            assertThat(b.publish(room, "cached").has("publish")).isTrue();
            assertThat(stack.meter(owner2, "danmaku_logic_restriction_lookups_total"))
                    .as("store lookups of logic 2 for a user it has cached").isEqualTo(lookups);

            ApiPoster api = new ApiPoster(logic1.httpPort());
            for (String user : List.of(onLogic1, onLogic2)) {
                assertThat(api.ban(user, Duration.ofMinutes(10)).accepted()).as("ban of %s", user).isTrue();
            }
            for (CentrifugeTestClient c : List.of(a, b)) {
                await("ban in effect").atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(50))
                        .until(() -> c.publish(room, "after the ban").path("error").path("message").asText()
                                .startsWith("banned:"));
            }
        }
    }

    /** A user id with {@code prefix} whose posts the gateways send to logic instance {@code n}. */
    private static String userOwnedBy(int n, String prefix) {
        for (int i = 0; i < 1000; i++) {
            if (stack.logicFor(prefix + i) == n) {
                return prefix + i;
            }
        }
        throw new AssertionError("no user " + prefix + "0..999 on logic " + n);
    }
}
