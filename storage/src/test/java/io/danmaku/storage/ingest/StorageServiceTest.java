package io.danmaku.storage.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.danmaku.protocol.DanmakuException;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.bus.BusMessage;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.danmaku.protocol.store.HistoryPage;
import io.danmaku.protocol.store.HistoryQuery;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.store.RateDecision;
import io.danmaku.protocol.store.RateLimit;
import io.danmaku.protocol.store.Restriction;
import io.danmaku.storage.StorageConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StorageServiceTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final List<String> ROOMS = List.of("room-a", "room-b", "room-c");

    private final MemoryMessageBus bus = new MemoryMessageBus();
    private final MemoryHotStore history = new MemoryHotStore();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<StorageService> services = new ArrayList<>();

    @AfterEach
    void tearDown() {
        services.forEach(StorageService::close);
        bus.close();
        history.close();
    }

    private StorageService start(HotStore store) {
        StorageService s = new StorageService(StorageConfig.defaults(), bus, store, meters);
        services.add(s);
        s.start();
        return s;
    }

    @Test
    void publishedRecordsReachTheHistoryOfTheirRoomInOrder() throws Exception {
        start(history);

        Map<String, List<BusPosition>> sent = publishRounds(0, 10);

        awaitHistory(sent);
        // the batch is counted right after its last write, on the bus thread
        await().atMost(TIMEOUT).until(() -> meters.counter("danmaku.storage.records").count() == 30);
        assertThat(meters.counter("danmaku.storage.write.errors").count()).isZero();
        assertThat(meters.summary("danmaku.storage.batch.size").totalAmount()).isEqualTo(30);
    }

    @Test
    void failedWritesAreRetriedUntilTheHistoryIsCompleteWithoutDuplicates() throws Exception {
        FailingHotStore flaky = new FailingHotStore(history, 4);
        start(flaky);

        Map<String, List<BusPosition>> sent = publishRounds(0, 10);

        awaitHistory(sent);
        await().atMost(TIMEOUT).until(() -> meters.counter("danmaku.storage.records").count() == 30);
        assertThat(flaky.failures.get()).isEqualTo(4);
        assertThat(meters.counter("danmaku.storage.write.errors").count()).isPositive();
        assertThat(meters.summary("danmaku.storage.batch.size").totalAmount()).isGreaterThan(30);
    }

    @Test
    void aNewInstanceOfTheGroupContinuesWhereTheLastOneStopped() throws Exception {
        StorageService first = start(history);
        Map<String, List<BusPosition>> sent = publishRounds(0, 5);
        awaitHistory(sent);
        first.close();

        Map<String, List<BusPosition>> more = publishRounds(5, 5);
        start(history);
        more.forEach((room, positions) -> sent.get(room).addAll(positions));

        awaitHistory(sent);
    }

    @Test
    void startsOnlyOnce() {
        StorageService s = start(history);
        assertThatThrownBy(s::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("started");
        s.close();
        assertThatThrownBy(s::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    /** Publishes {@code rounds} batches, each with one message per room; returns the positions per room. */
    private Map<String, List<BusPosition>> publishRounds(int firstRound, int rounds) throws Exception {
        Map<String, List<BusPosition>> positions = new LinkedHashMap<>();
        for (int round = firstRound; round < firstRound + rounds; round++) {
            List<BusMessage> batch = new ArrayList<>();
            for (String room : ROOMS) {
                batch.add(new BusMessage(room, payload(room, round).getBytes(StandardCharsets.UTF_8)));
            }
            for (BusPosition p : bus.publish(batch).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                positions.computeIfAbsent(p.room(), k -> new ArrayList<>()).add(p);
            }
        }
        return positions;
    }

    /** Waits until every room's history is exactly what was published to it, in order. */
    private void awaitHistory(Map<String, List<BusPosition>> sent) {
        await().atMost(TIMEOUT).untilAsserted(() -> {
            for (Map.Entry<String, List<BusPosition>> e : sent.entrySet()) {
                HistoryPage page = history.history(HistoryQuery.after(e.getKey(), -1, 100)).join();
                List<BusPosition> expected = e.getValue();
                assertThat(page.records()).extracting(RoomRecord::offset)
                        .containsExactlyElementsOf(expected.stream().map(BusPosition::offset).toList());
                for (int i = 0; i < expected.size(); i++) {
                    assertThat(page.records().get(i).payloadText()).isEqualTo(payload(e.getKey(), i));
                    assertThat(page.records().get(i).epoch()).isEqualTo(bus.epoch(e.getKey()));
                }
            }
        });
    }

    private static String payload(String room, int round) {
        return "{\"id\":\"" + room + "-" + round + "\",\"room\":\"" + room + "\"}";
    }

    /** Delegates to a real store but fails the first {@code failing} history appends, like a store that is down. */
    private static final class FailingHotStore implements HotStore {
        private final HotStore delegate;
        private final AtomicInteger remainingFailures;
        final AtomicInteger failures = new AtomicInteger();

        FailingHotStore(HotStore delegate, int failing) {
            this.delegate = delegate;
            this.remainingFailures = new AtomicInteger(failing);
        }

        @Override
        public CompletableFuture<Void> appendHistory(String room, List<RoomRecord> records) {
            if (remainingFailures.getAndDecrement() > 0) {
                failures.incrementAndGet();
                return CompletableFuture.failedFuture(new DanmakuException("test: hot store unreachable", true));
            }
            return delegate.appendHistory(room, records);
        }

        @Override
        public CompletableFuture<HistoryPage> history(HistoryQuery query) {
            return delegate.history(query);
        }

        @Override
        public CompletableFuture<Void> reportOnline(String gatewayId, Map<String, Integer> counts, Duration ttl) {
            return delegate.reportOnline(gatewayId, counts, ttl);
        }

        @Override
        public CompletableFuture<Long> online(String room) {
            return delegate.online(room);
        }

        @Override
        public CompletableFuture<Void> ban(String userId, Duration duration) {
            return delegate.ban(userId, duration);
        }

        @Override
        public CompletableFuture<Void> unban(String userId) {
            return delegate.unban(userId);
        }

        @Override
        public CompletableFuture<Void> mute(String room, String userId, Duration duration) {
            return delegate.mute(room, userId, duration);
        }

        @Override
        public CompletableFuture<Void> unmute(String room, String userId) {
            return delegate.unmute(room, userId);
        }

        @Override
        public CompletableFuture<Restriction> restriction(String room, String userId) {
            return delegate.restriction(room, userId);
        }

        @Override
        public CompletableFuture<RateDecision> acquire(String key, RateLimit limit) {
            return delegate.acquire(key, limit);
        }

        @Override
        public CompletableFuture<Boolean> markOnce(String key, Duration ttl) {
            return delegate.markOnce(key, ttl);
        }

        @Override
        public CompletableFuture<Void> unmark(String key) {
            return delegate.unmark(key);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
