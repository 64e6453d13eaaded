package io.danmaku.store.redis;

import static io.danmaku.store.redis.RedisHotStoreTest.get;
import static io.danmaku.store.redis.RedisHotStoreTest.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmaku.protocol.contract.HotStoreContract.RecordingListener;
import io.danmaku.protocol.store.RestrictionChange;
import io.danmaku.protocol.store.StoreSubscription;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import io.danmaku.testkit.redis.SingleNode;
import io.lettuce.core.RedisClient;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The restriction change feed on real Redis: what is on the channel, what a cut subscription does, and that a
 * closed store leaves no subscriber behind.
 */
@ExtendWith(RedisClusterExtension.class)
class RedisRestrictionFeedTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void aCutSubscriptionResetsItsListenersAndDeliversAgainInACluster(RedisCluster cluster) {
        cutAndRecover(cluster);
    }

    @Test
    void aCutSubscriptionResetsItsListenersAndDeliversAgainOnASingleNode(@SingleNode RedisCluster node) {
        cutAndRecover(node);
    }

    private static void cutAndRecover(RedisCluster redis) {
        try (RedisHotStore subscriber = TestRedis.connectAlone(redis, 10, new SimpleMeterRegistry());
                RedisHotStore writer = TestRedis.connect(redis, 10)) {
            RecordingListener listener = new RecordingListener();
            StoreSubscription subscription = subscriber.subscribeRestrictions(listener);
            await().atMost(TIMEOUT).until(() -> listener.resets.get() == 1);
            String before = unique("user");
            get(writer.ban(before, Duration.ofMinutes(1)));
            await().atMost(TIMEOUT).until(() -> listener.changesOf(before).size() == 1);

            // Every node drops its pub/sub clients, as a restarted or failed-over node would.
            for (RedisCluster.Node node : redis.nodes()) {
                redis.call(node, "CLIENT", "KILL", "TYPE", "pubsub");
            }

            await().atMost(TIMEOUT).until(() -> listener.resets.get() >= 2);
            String after = unique("user");
            get(writer.mute("room-1", after, Duration.ofMinutes(1)));
            await().atMost(TIMEOUT).until(() -> listener.changesOf(after)
                    .equals(List.of(RestrictionChange.ofRoom("room-1", after))));
            subscription.close();
        }
    }

    @Test
    void theChannelCarriesRoomAndUserSeparatedByALineFeed(@SingleNode RedisCluster node) {
        RedisClient raw = RedisClient.create(TestRedis.resources());
        List<String> messages = new CopyOnWriteArrayList<>();
        try (StatefulRedisPubSubConnection<String, String> pubsub = raw.connectPubSub(
                TestRedis.config(node, 10).redisUris().get(0));
                RedisHotStore store = TestRedis.connect(node, 10)) {
            pubsub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    messages.add(channel + "|" + message);
                }
            });
            pubsub.sync().subscribe("dm:restrictions");
            String user = unique("user") + "\nsecond line";

            get(store.ban(user, Duration.ofMinutes(1)));
            get(store.mute("live:7", user, Duration.ofMinutes(1)));
            get(store.unmute("live:7", user));
            get(store.unban(user));

            await().atMost(TIMEOUT).until(() -> messages.size() >= 4);
            assertThat(messages).containsExactly("dm:restrictions|\n" + user, "dm:restrictions|live:7\n" + user,
                    "dm:restrictions|live:7\n" + user, "dm:restrictions|\n" + user);
        } finally {
            raw.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @Test
    void closingTheStoreLeavesNoSubscriberBehind(@SingleNode RedisCluster node) {
        RedisCluster.Node only = node.nodes().get(0);
        long before = subscribers(node, only);
        RedisHotStore store = TestRedis.connect(node, 10);
        try {
            RecordingListener listener = new RecordingListener();
            store.subscribeRestrictions(listener);
            await().atMost(TIMEOUT).until(() -> listener.resets.get() == 1);
            assertThat(subscribers(node, only)).isEqualTo(before + 1);
        } finally {
            store.close();
        }
        await().atMost(TIMEOUT).until(() -> subscribers(node, only) == before);
    }

    private static long subscribers(RedisCluster redis, RedisCluster.Node node) {
        Object reply = redis.call(node, "PUBSUB", "NUMSUB", "dm:restrictions");
        return Long.parseLong(String.valueOf(((List<?>) reply).get(1)));
    }
}
