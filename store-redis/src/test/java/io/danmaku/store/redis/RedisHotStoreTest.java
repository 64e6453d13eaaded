package io.danmaku.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.protocol.DanmakuException;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.store.HistoryQuery;
import io.danmaku.protocol.store.RateLimit;
import io.danmaku.protocol.store.RestrictionKey;
import io.danmaku.testkit.redis.RedisCluster;
import io.danmaku.testkit.redis.RedisClusterExtension;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What operators see in Redis: the documented keys, their types, ids and expiries (read with a raw client). */
@ExtendWith(RedisClusterExtension.class)
class RedisHotStoreTest {
    private static final int CAPACITY = 5;
    private static final String EPOCH = "t-0";
    private static RedisCluster cluster;
    private static RedisClusterClient rawClient;
    private static StatefulRedisClusterConnection<String, String> rawConnection;
    private static RedisAdvancedClusterCommands<String, String> redis;

    private RedisHotStore store;

    @BeforeAll
    static void connectRaw(RedisCluster shared) {
        cluster = shared;
        rawClient = RedisClusterClient.create(TestRedis.resources(), TestRedis.config(shared, CAPACITY).redisUris());
        rawConnection = rawClient.connect();
        redis = rawConnection.sync();
    }

    @AfterAll
    static void closeRaw() {
        rawConnection.close();
        rawClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    @BeforeEach
    void openStore() {
        store = TestRedis.connect(cluster, CAPACITY);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void historyIsAStreamWhoseEntryIdsAreTheOffsetsCappedExactly() {
        String room = unique("room");
        append(room, 3, 5, 8, 13, 21, 34, 55);

        String key = "dm:{" + room + "}:hist";
        assertThat(RedisKeys.history(room)).isEqualTo(key);
        assertThat(redis.type(key)).isEqualTo("stream");
        assertThat(redis.xlen(key)).isEqualTo(CAPACITY);
        List<StreamMessage<String, String>> entries = redis.xrange(key, Range.create("-", "+"));
        assertThat(entries).extracting(StreamMessage::getId).containsExactly("8-1", "13-1", "21-1", "34-1", "55-1");
        assertThat(entries.get(0).getBody()).containsOnlyKeys("t", "p")
                .containsEntry("t", Long.toString(1_000 + 8))
                .containsEntry("p", "{\"n\":8}");
        assertThat(stream(key)).containsEntry("last-generated-id", "55-1").containsEntry("entries-added", 7L);

        String meta = "dm:{" + room + "}:meta";
        assertThat(redis.type(meta)).isEqualTo("hash");
        assertThat(redis.hgetall(meta)).containsExactlyInAnyOrderEntriesOf(
                Map.of("epoch", EPOCH, "top", "55", "floor", "5"));
        assertThat(redis.pttl(key)).isPositive()
                .isLessThanOrEqualTo(RedisStoreConfig.DEFAULT_HISTORY_RETENTION.toMillis());
        assertThat(redis.pttl(meta)).isPositive();
    }

    @Test
    void replayingABatchIsANoOpInRedis() {
        String room = unique("room");
        append(room, 1, 2, 3);
        String key = RedisKeys.history(room);
        Map<String, Object> before = stream(key);

        append(room, 1, 2, 3);
        append(room, 2, 3);

        assertThat(redis.xlen(key)).isEqualTo(3);
        assertThat(stream(key)).containsEntry("entries-added", before.get("entries-added"))
                .containsEntry("last-generated-id", "3-1");
        assertThat(redis.hget(RedisKeys.historyMeta(room), "top")).isEqualTo("3");
    }

    @Test
    void theFloorMovesWhenTheStreamWasEvictedWithoutItsMeta() {
        String room = unique("room");
        append(room, 1, 2, 3);
        redis.del(RedisKeys.history(room));

        append(room, 2, 3, 4);

        var page = get(store.history(HistoryQuery.after(room, -1, 10)));
        assertThat(page.records()).extracting(RoomRecord::offset).containsExactly(4L);
        assertThat(page.floorOffset()).isEqualTo(3);
        assertThat(page.covers(2, EPOCH)).isFalse();
    }

    @Test
    void onlineCountsAreAHashOfGatewaysWithExpiringEntries() {
        String room = unique("room");
        get(store.reportOnline("gw-a", Map.of(room, 3), Duration.ofMinutes(1)));
        get(store.reportOnline("gw-b", Map.of(room, 4), Duration.ofSeconds(30)));

        String key = "dm:{" + room + "}:online";
        assertThat(RedisKeys.online(room)).isEqualTo(key);
        assertThat(redis.type(key)).isEqualTo("hash");
        Map<String, String> entries = redis.hgetall(key);
        assertThat(entries).containsOnlyKeys("gw-a", "gw-b");
        assertThat(entries.get("gw-a")).matches("3:\\d{13}");
        assertThat(entries.get("gw-b")).matches("4:\\d{13}");
        assertThat(redis.pttl(key)).as("the hash lives as long as its longest entry")
                .isGreaterThan(Duration.ofSeconds(30).toMillis()).isLessThanOrEqualTo(Duration.ofMinutes(1).toMillis());

        get(store.reportOnline("gw-a", Map.of(room, 0), Duration.ofMinutes(1)));
        get(store.reportOnline("gw-b", Map.of(room, 0), Duration.ofMinutes(1)));
        assertThat(redis.exists(key)).isZero();
    }

    @Test
    void bansMutesBucketsAndMarksExpireInRedis() {
        String room = unique("room");
        String user = unique("user");
        get(store.ban(user, Duration.ofMinutes(2)));
        assertThat(redis.type("dm:ban:{" + user + "}")).isEqualTo("string");
        assertThat(redis.pttl(RedisKeys.ban(user))).isPositive().isLessThanOrEqualTo(Duration.ofMinutes(2).toMillis());

        get(store.mute(room, user, Duration.ofMinutes(3)));
        String mutes = "dm:{" + room + "}:mutes";
        assertThat(redis.type(mutes)).isEqualTo("hash");
        assertThat(redis.hgetall(mutes)).containsOnlyKeys(user);
        assertThat(redis.pttl(mutes)).isPositive().isLessThanOrEqualTo(Duration.ofMinutes(3).toMillis());

        String bucket = "rl:u:" + user;
        assertThat(get(store.acquire(bucket, new RateLimit(4, 2))).allowed()).isTrue();
        assertThat(redis.type("dm:rl:{" + bucket + "}")).isEqualTo("string");
        assertThat(redis.pttl(RedisKeys.rateLimit(bucket))).as("until the bucket is full again")
                .isPositive().isLessThanOrEqualTo(500);

        String mark = "dd:" + user + ":c1";
        assertThat(get(store.markOnce(mark, Duration.ofSeconds(90)))).isTrue();
        assertThat(redis.get("dm:dd:{" + mark + "}")).isEqualTo("1");
        assertThat(redis.pttl(RedisKeys.dedupe(mark))).isPositive().isLessThanOrEqualTo(90_000);
    }

    @Test
    void everyKeyOfARoomIsOnOneSlot() {
        String room = "live:1234";
        int slot = cluster.slotOf(RedisKeys.history(room));
        assertThat(List.of(RedisKeys.historyMeta(room), RedisKeys.online(room), RedisKeys.mutes(room), room))
                .allSatisfy(k -> assertThat(cluster.slotOf(k)).isEqualTo(slot));
    }

    @Test
    void invalidRoomIdsAreRejectedBeforeReachingRedis() {
        assertThat(store.online("a{b}")).failsWithin(Duration.ofSeconds(5))
                .withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(IllegalArgumentException.class)
                .withMessageContaining("room");
        assertThat(store.appendHistory("", List.of())).failsWithin(Duration.ofSeconds(5))
                .withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(IllegalArgumentException.class);
        assertThat(store.restrictions(List.of(new RestrictionKey("live:1", "u"), new RestrictionKey("a b", "u"))))
                .failsWithin(Duration.ofSeconds(5))
                .withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(IllegalArgumentException.class)
                .withMessageContaining("room");
    }

    @Test
    void aClosedStoreFailsCallsAsNotRetriable() {
        store.close();
        assertThat(store.online("room")).failsWithin(Duration.ofSeconds(5))
                .withThrowableOfType(ExecutionException.class)
                .havingCause()
                .isInstanceOfSatisfying(DanmakuException.class, e -> assertThat(e.retriable()).isFalse());
        assertThatThrownBy(() -> RedisStoreConfig.single(""))
                .hasMessage("redis.uris[0]: \"\" (expected: redis://host:port)");
    }

    private void append(String room, long... offsets) {
        get(store.appendHistory(room, LongStream.of(offsets).mapToObj(o -> new RoomRecord(room, o, EPOCH, 1_000 + o,
                ("{\"n\":" + o + "}").getBytes(StandardCharsets.UTF_8))).toList()));
    }

    private static Map<String, Object> stream(String key) {
        List<Object> info = redis.xinfoStream(key);
        Map<String, Object> fields = new HashMap<>();
        for (int i = 0; i + 1 < info.size(); i += 2) {
            fields.put(String.valueOf(info.get(i)), info.get(i + 1));
        }
        return fields;
    }

    static String unique(String tag) {
        return "rt-" + tag + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static <T> T get(CompletableFuture<T> future) {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("store call failed", e.getCause());
        } catch (Exception e) {
            throw new AssertionError("store call did not complete", e);
        }
    }
}
