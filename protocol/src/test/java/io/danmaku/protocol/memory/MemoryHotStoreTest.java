package io.danmaku.protocol.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.protocol.DanmakuException;
import io.danmaku.protocol.contract.HotStoreContract;
import io.danmaku.protocol.contract.MutableClock;
import io.danmaku.protocol.store.HistoryQuery;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.store.RateDecision;
import io.danmaku.protocol.store.RateLimit;
import io.danmaku.protocol.store.Restriction;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class MemoryHotStoreTest extends HotStoreContract {
    private static final int CAPACITY = 10;

    private final MutableClock clock = new MutableClock();

    @Override
    protected HotStore newStore() {
        return new MemoryHotStore(Clock.systemUTC(), CAPACITY);
    }

    /** A memory store has no backend apart from itself: its only clients share the instance. */
    @Override
    protected HotStore newStoreOnSameBackend() {
        return store;
    }

    @Override
    protected int historyCapacity() {
        return CAPACITY;
    }

    private MemoryHotStore storeOnTestClock() {
        store.close();
        MemoryHotStore s = new MemoryHotStore(clock, CAPACITY);
        store = s;
        return s;
    }

    @Test
    void aTokenBucketGivesItsBurstThenExactlyItsRate() {
        MemoryHotStore s = storeOnTestClock();
        RateLimit limit = new RateLimit(5, 1);
        for (int i = 0; i < 5; i++) {
            assertThat(get(s.acquire("k", limit))).isEqualTo(RateDecision.ALLOWED);
        }
        assertThat(get(s.acquire("k", limit))).isEqualTo(RateDecision.refused(Duration.ofSeconds(1)));

        clock.advance(Duration.ofMillis(400));
        assertThat(get(s.acquire("k", limit))).isEqualTo(RateDecision.refused(Duration.ofMillis(600)));
        clock.advance(Duration.ofMillis(600));
        assertThat(get(s.acquire("k", limit)).allowed()).isTrue();
        assertThat(get(s.acquire("k", limit))).isEqualTo(RateDecision.refused(Duration.ofSeconds(1)));

        clock.advance(Duration.ofMinutes(1));
        for (int i = 0; i < 5; i++) {
            assertThat(get(s.acquire("k", limit)).allowed()).as("refilled up to the burst only, token %d", i)
                    .isTrue();
        }
        assertThat(get(s.acquire("k", limit)).allowed()).isFalse();
    }

    @Test
    void aFractionalRateRefillsProportionally() {
        MemoryHotStore s = storeOnTestClock();
        RateLimit limit = new RateLimit(1, 0.25);
        assertThat(get(s.acquire("k", limit)).allowed()).isTrue();
        assertThat(get(s.acquire("k", limit))).isEqualTo(RateDecision.refused(Duration.ofSeconds(4)));
        clock.advance(Duration.ofSeconds(3));
        assertThat(get(s.acquire("k", limit))).isEqualTo(RateDecision.refused(Duration.ofSeconds(1)));
        clock.advance(Duration.ofSeconds(1));
        assertThat(get(s.acquire("k", limit)).allowed()).isTrue();
    }

    @Test
    void entriesExpireExactlyAtTheirTtl() {
        MemoryHotStore s = storeOnTestClock();
        get(s.ban("u1", Duration.ofMinutes(1)));
        get(s.mute("r", "u2", Duration.ofSeconds(30)));
        get(s.reportOnline("gw", Map.of("r", 7), Duration.ofSeconds(10)));
        assertThat(get(s.markOnce("k", Duration.ofSeconds(20)))).isTrue();

        clock.advance(Duration.ofMillis(9_999));
        assertThat(get(s.online("r"))).isEqualTo(7);
        clock.advance(Duration.ofMillis(1));
        assertThat(get(s.online("r"))).isZero();

        clock.advance(Duration.ofSeconds(10));
        assertThat(get(s.markOnce("k", Duration.ofSeconds(20)))).isTrue();
        assertThat(get(s.restriction("r", "u2"))).isEqualTo(Restriction.MUTED);
        clock.advance(Duration.ofSeconds(10));
        assertThat(get(s.restriction("r", "u2"))).isEqualTo(Restriction.NONE);
        assertThat(get(s.restriction("r", "u1"))).isEqualTo(Restriction.BANNED);
        clock.advance(Duration.ofSeconds(30));
        assertThat(get(s.restriction("r", "u1"))).isEqualTo(Restriction.NONE);
    }

    @Test
    void expiredEntriesAndFullBucketsAreSweptAway() {
        MemoryHotStore s = storeOnTestClock();
        for (int i = 0; i < 5000; i++) {
            get(s.markOnce("once-" + i, Duration.ofSeconds(1)));
            get(s.acquire("rate-" + i, new RateLimit(2, 10)));
        }
        assertThat(s.trackedEntries()).isGreaterThanOrEqualTo(5000);
        clock.advance(Duration.ofSeconds(2));

        RateLimit strict = new RateLimit(1, 0.001);
        for (int i = 0; i < 2 * MemoryHotStore.MIN_CALLS_BETWEEN_SWEEPS + 10_000; i++) {
            get(s.acquire("busy", strict));
        }
        assertThat(s.trackedEntries()).isEqualTo(1);
    }

    @Test
    void historyReadsBeyondTheCapacityAreBoundedByWhatIsRetained() {
        String room = name("room");
        append(room, EPOCH, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        assertThat(offsets(get(store.history(HistoryQuery.after(room, 0, 100))))).hasSize(CAPACITY)
                .startsWith(6L).endsWith(15L);
    }

    @Test
    void invalidArgumentsFailTheFuture() {
        assertThat(store.reportOnline("gw", Map.of("r", -1), Duration.ofSeconds(1))).failsWithin(TIMEOUT)
                .withThrowableOfType(ExecutionException.class).withCauseInstanceOf(IllegalArgumentException.class);
        assertThat(store.ban("u", Duration.ZERO)).failsWithin(TIMEOUT)
                .withThrowableOfType(ExecutionException.class).withMessageContaining("duration: PT0S");
        assertThat(store.markOnce(null, Duration.ofSeconds(1))).failsWithin(TIMEOUT)
                .withThrowableOfType(ExecutionException.class).withCauseInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new MemoryHotStore(Clock.systemUTC(), 0))
                .hasMessageContaining("historyCapacityPerRoom: 0");
    }

    @Test
    void callsAfterCloseFailAsNotRetriable() {
        store.close();
        assertThat(store.online("r")).failsWithin(TIMEOUT).withThrowableOfType(ExecutionException.class)
                .satisfies(e -> assertThat(e.getCause()).isInstanceOfSatisfying(DanmakuException.class,
                        d -> assertThat(d.retriable()).isFalse()));
    }
}
