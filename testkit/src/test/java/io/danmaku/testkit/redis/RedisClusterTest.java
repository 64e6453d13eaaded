package io.danmaku.testkit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.testkit.redis.RedisCluster.Node;
import io.danmaku.testkit.redis.RedisCluster.Role;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisClusterExtension.class)
class RedisClusterTest {

    @Test
    void theClusterHasThreeMastersEachWithOneReplica(RedisCluster cluster) {
        assertThat(cluster.nodes()).hasSize(6).allSatisfy(n -> assertThat(n.pid()).isPositive());
        assertThat(cluster.nodes()).filteredOn(n -> n.role() == Role.MASTER).hasSize(3);
        assertThat(cluster.nodes()).filteredOn(n -> n.role() == Role.REPLICA).hasSize(3);
        assertThat(cluster.seeds()).hasSize(6).allSatisfy(s -> assertThat(s).startsWith("127.0.0.1:"));
        assertThat(cluster.call(cluster.nodes().get(0), "CLUSTER", "INFO").toString()).contains("cluster_state:ok");
    }

    @Test
    void aKeyIsWrittenAndReadOnTheMasterThatOwnsItsSlot(RedisCluster cluster) throws Exception {
        Node owner = cluster.masterOf("smoke:{a}");
        assertThat(owner.role()).isEqualTo(Role.MASTER);
        try (RespConnection c = RespConnection.open(owner.host(), owner.port(), Duration.ofSeconds(2))) {
            assertThat(c.callString("SET", "smoke:{a}", "弹幕")).isEqualTo("OK");
            assertThat(c.callString("GET", "smoke:{a}")).isEqualTo("弹幕");
            assertThat(c.call("GET", "smoke:{a}:absent")).isNull();
        }
        Node other = cluster.nodes().stream()
                .filter(n -> n.role() == Role.MASTER && n.port() != owner.port()).findFirst().orElseThrow();
        assertThatThrownBy(() -> cluster.call(other, "GET", "smoke:{a}"))
                .isInstanceOf(RespConnection.ErrorReplyException.class)
                .hasMessageStartingWith("MOVED " + cluster.slotOf("smoke:{a}") + " " + owner.address());
    }

    @Test
    void aSingleNodeServesEveryKey(@SingleNode RedisCluster single) throws Exception {
        assertThat(single.layout()).isEqualTo(RedisCluster.Layout.SINGLE);
        assertThat(single.nodes()).singleElement().satisfies(n -> assertThat(n.role()).isEqualTo(Role.MASTER));
        Node node = single.nodes().get(0);
        try (RespConnection c = RespConnection.open(node.host(), node.port(), Duration.ofSeconds(2))) {
            assertThat(c.callString("SET", "smoke:single", "1")).isEqualTo("OK");
            assertThat(c.call("INCR", "smoke:single")).isEqualTo(2L);
            assertThat(c.callString("INFO", "cluster")).contains("cluster_enabled:0");
        }
        assertThatThrownBy(() -> single.masterOf("k")).isInstanceOf(IllegalStateException.class);
    }
}
