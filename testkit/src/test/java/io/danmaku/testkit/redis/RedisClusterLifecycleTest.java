package io.danmaku.testkit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.testkit.redis.RedisCluster.Layout;
import io.danmaku.testkit.redis.RedisCluster.Node;
import io.danmaku.testkit.redis.RedisCluster.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Killing, restarting and closing, on a cluster of its own (3 masters without replicas: no failover wait). */
class RedisClusterLifecycleTest {

    @Test
    void aKilledNodeIsDownUntilRestartedAndCloseLeavesNothingBehind() {
        List<Long> pids;
        Path dir;
        try (RedisCluster cluster = RedisCluster.start(Layout.MASTERS_ONLY, 0)) {
            dir = cluster.directory();
            assertThat(cluster.nodes()).hasSize(3).allSatisfy(n -> assertThat(n.role()).isEqualTo(Role.MASTER));

            Node killed = cluster.killMasterOf("k:{x}");
            assertThat(ProcessHandle.of(killed.pid()).filter(ProcessHandle::isAlive)).isEmpty();
            assertThat(cluster.nodes()).filteredOn(n -> n.port() == killed.port()).singleElement()
                    .isEqualTo(new Node(RedisCluster.HOST, killed.port(), -1, Role.DOWN));
            assertThatThrownBy(() -> cluster.kill(killed)).hasMessageContaining("is not running");

            cluster.restart(killed);
            assertThat(cluster.masterOf("k:{x}").port()).as("rejoined with its slots").isEqualTo(killed.port());
            assertThat(cluster.nodes()).allSatisfy(n -> assertThat(n.role()).isEqualTo(Role.MASTER));
            assertThatThrownBy(() -> cluster.restart(killed)).hasMessageContaining("is still running");
            pids = cluster.nodes().stream().map(Node::pid).toList();
            assertThat(dir).isDirectory();
        }
        assertThat(pids).allSatisfy(pid -> assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty());
        assertThat(Files.exists(dir)).isFalse();
    }
}
