package io.danmaku.store.redis;

import static io.danmaku.store.redis.RedisHotStoreTest.get;
import static io.danmaku.store.redis.RedisHotStoreTest.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.protocol.DanmakuException;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.store.HistoryQuery;
import io.danmaku.testkit.redis.OverTls;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisCluster.Node;
import io.danmaku.testkit.redis.RedisClusterExtension;
import io.danmaku.testkit.tls.TestCa;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hot store on the JVM's Redis Cluster that speaks only TLS and requires client certificates: it reaches
 * every master from one seed, follows {@code ASK} and {@code MOVED} to other nodes over TLS, and a client the
 * cluster does not accept fails at start with a message naming the setting to change.
 */
@ExtendWith(RedisClusterExtension.class)
class RedisTlsClusterTest {
    private static final int CAPACITY = 10;
    private static final Duration TTL = Duration.ofMinutes(5);
    private static RedisCluster cluster;
    private static RedisCluster.TlsFiles files;

    @TempDir
    Path dir;

    @BeforeAll
    static void useCluster(@OverTls RedisCluster shared) {
        cluster = shared;
        files = shared.tlsFiles().orElseThrow();
    }

    @Test
    void theNodesHaveNoPlainTextPortAndSpeakTlsToEachOther() {
        for (Node node : cluster.nodes()) {
            assertThat(cluster.call(node, "CONFIG", "GET", "port")).isEqualTo(List.of("port", "0"));
            assertThat(cluster.call(node, "CONFIG", "GET", "tls-port"))
                    .isEqualTo(List.of("tls-port", Integer.toString(node.port())));
            assertThat(cluster.call(node, "CONFIG", "GET", "tls-cluster")).isEqualTo(List.of("tls-cluster", "yes"));
            assertThat(cluster.call(node, "CONFIG", "GET", "tls-auth-clients"))
                    .isEqualTo(List.of("tls-auth-clients", "yes"));
        }
        assertThat(cluster.uris()).allSatisfy(u -> assertThat(u).startsWith("rediss://127.0.0.1:"));
    }

    @Test
    void fromOneSeedEveryMasterIsReachedAtTheAddressItAnnounces() {
        Node seed = masters().get(0);
        RedisStoreConfig config = RedisStoreConfig.cluster(List.of("rediss://127.0.0.1:" + seed.port()))
                .withHistoryCapacity(CAPACITY).withTls(TestRedis.config(cluster, CAPACITY).tls());
        try (RedisHotStore store = RedisHotStore.connect(config, new SimpleMeterRegistry(), TestRedis.resources())) {
            for (Node master : masters()) {
                String mark = TestRedis.nameServedBy(cluster, master, RedisKeys::dedupe);
                assertThat(get(store.markOnce(mark, TTL))).as("first mark on %s", master.address()).isTrue();
                assertThat(cluster.call(master, "EXISTS", RedisKeys.dedupe(mark))).isEqualTo(1L);

                String room = TestRedis.nameServedBy(cluster, master, RedisKeys::history);
                get(store.appendHistory(room, List.of(record(room, 1), record(room, 2))));
                assertThat(get(store.history(HistoryQuery.after(room, 0, 10))).records())
                        .extracting(RoomRecord::offset).containsExactly(1L, 2L);
                assertThat(cluster.call(master, "XLEN", RedisKeys.history(room))).isEqualTo(2L);
            }
            assertThat(masters()).filteredOn(m -> m.port() != seed.port()).hasSize(2);
        }
    }

    @Test
    void askAndMovedRedirectionsAreFollowedOverTls() {
        String mark = emptySlotKey();
        int slot = cluster.slotOf(RedisKeys.dedupe(mark));
        Node source = cluster.masterOfSlot(slot);
        Node target = masters().stream().filter(m -> m.port() != source.port()).findFirst().orElseThrow();
        try (RedisHotStore asked = TestRedis.connect(cluster, CAPACITY)) {
            cluster.beginSlotMigration(slot, target);
            // The store sends the key to the source, which migrates the slot and does not hold the key: ASK, then
            // ASKING + SET on the target.
            assertThat(get(asked.markOnce(mark, TTL))).isTrue();
            assertThat(countKeysInSlot(target, slot)).isEqualTo(1L);
            assertThat(countKeysInSlot(source, slot)).isZero();

            // A store that learnt the topology before the move and sent nothing since (no refresh was triggered,
            // the periodic one is 30 s away) still sends the key to the source, which now answers MOVED.
            try (RedisHotStore moved = TestRedis.connect(cluster, CAPACITY)) {
                cluster.finishSlotMigration(slot, target);
                assertThat(get(moved.markOnce(mark, TTL))).as("the mark set through ASK, found on the target")
                        .isFalse();
            }
            assertThat(cluster.masterOfSlot(slot).port()).isEqualTo(target.port());
        }
    }

    @Test
    void aClientWithoutACertificateIsRefusedAtStartNamingTheSetting() {
        RedisStoreConfig config = TestRedis.config(cluster, CAPACITY)
                .withTls(new RedisTls(files.caFile(), null, null));
        assertThatThrownBy(() -> connect(config))
                .isInstanceOfSatisfying(DanmakuException.class, e -> assertThat(e.retriable()).isFalse())
                .hasMessageContaining("requires a client certificate")
                .hasMessageContaining("store.redis.tls.cert-file")
                .hasMessageContaining("store.redis.tls.key-file");
    }

    @Test
    void aClientCertificateOfAnotherAuthorityIsRefusedNamingTheSetting() {
        TestCa.PemFiles stranger = TestCa.create("stranger-ca").issueClient("stranger").writeTo(dir, "stranger");
        RedisStoreConfig config = TestRedis.config(cluster, CAPACITY)
                .withTls(new RedisTls(files.caFile(), stranger.certFile(), stranger.keyFile()));
        assertThatThrownBy(() -> connect(config))
                .isInstanceOfSatisfying(DanmakuException.class, e -> assertThat(e.retriable()).isFalse())
                .hasMessageContaining("refused the client certificate store.redis.tls.cert-file="
                        + stranger.certFile());
    }

    @Test
    void aCaFileThatDidNotIssueTheNodesCertificatesIsRefusedNamingIt() {
        Path otherCa = TestCa.create("other-ca").writeCertificate(dir.resolve("other-ca.crt"));
        RedisStoreConfig config = TestRedis.config(cluster, CAPACITY)
                .withTls(new RedisTls(otherCa, files.certFile(), files.keyFile()));
        assertThatThrownBy(() -> connect(config))
                .isInstanceOfSatisfying(DanmakuException.class, e -> assertThat(e.retriable()).isFalse())
                .hasMessageContaining("not issued by an authority in store.redis.tls.ca-file=" + otherCa);
    }

    private static RedisHotStore connect(RedisStoreConfig config) {
        return RedisHotStore.connect(config, new SimpleMeterRegistry(), TestRedis.resources());
    }

    private static List<Node> masters() {
        return TestRedis.masters(cluster);
    }

    /** A fresh mark whose slot holds no key yet, so that the slot can move without moving keys. */
    private static String emptySlotKey() {
        for (int attempt = 0; attempt < 1000; attempt++) {
            String mark = unique("moving");
            int slot = cluster.slotOf(RedisKeys.dedupe(mark));
            if (countKeysInSlot(cluster.masterOfSlot(slot), slot) == 0) {
                return mark;
            }
        }
        throw new AssertionError("no empty slot in 1000 names");
    }

    private static long countKeysInSlot(Node node, int slot) {
        return (Long) cluster.call(node, "CLUSTER", "COUNTKEYSINSLOT", Integer.toString(slot));
    }

    private static RoomRecord record(String room, long offset) {
        return new RoomRecord(room, offset, "tls-0", offset, ("{\"n\":" + offset + "}").getBytes(
                StandardCharsets.UTF_8));
    }
}
