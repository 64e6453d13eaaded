package io.danmaku.logic.rule;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.logic.FaultyHotStore;
import io.danmaku.logic.TestClock;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.protocol.store.RateLimit;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class RateLimitRuleTest {
    private final TestClock clock = new TestClock();
    private final FaultyHotStore store = new FaultyHotStore(new MemoryHotStore(clock, 100));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private static PostRequest post(String room, String user) {
        return new PostRequest(room, new UserRef(user, user), "hi", null, null, null);
    }

    private RateLimitRule rule(RateLimit user, RateLimit room) {
        return new RateLimitRule(store, user, room, clock, registry);
    }

    @Test
    void aUserGetsABurstOfFiveThenOnePerSecond() {
        RateLimitRule rule = rule(new RateLimit(5, 1.0), new RateLimit(1000, 1000.0));
        for (int i = 0; i < 5; i++) {
            assertThat(Judge.check(rule, post("r1", "u1")).join()).as("post %d", i + 1).isNull();
        }
        Rejection sixth = Judge.check(rule, post("r1", "u1")).join();
        assertThat(sixth.reason()).isEqualTo(RejectReason.RATE_LIMITED);
        assertThat(sixth.message()).startsWith("user rate limit exceeded (burst 5, then 1 per second)")
                .endsWith("retry after 1000 ms");

        clock.advance(Duration.ofMillis(999));
        assertThat(Judge.check(rule, post("r1", "u1")).join().reason()).isEqualTo(RejectReason.RATE_LIMITED);
        clock.advance(Duration.ofMillis(1));
        assertThat(Judge.check(rule, post("r1", "u1")).join()).isNull();
        assertThat(Judge.check(rule, post("r1", "u1")).join().reason()).isEqualTo(RejectReason.RATE_LIMITED);
    }

    @Test
    void theUserLimitHoldsAcrossRoomsAndNotAcrossUsers() {
        RateLimitRule rule = rule(new RateLimit(2, 1.0), new RateLimit(1000, 1000.0));
        assertThat(Judge.check(rule, post("r1", "u1")).join()).isNull();
        assertThat(Judge.check(rule, post("r2", "u1")).join()).isNull();
        assertThat(Judge.check(rule, post("r3", "u1")).join().reason()).isEqualTo(RejectReason.RATE_LIMITED);
        assertThat(Judge.check(rule, post("r3", "u2")).join()).isNull();
    }

    @Test
    void aRoomLimitHoldsAcrossUsers() {
        RateLimitRule rule = rule(new RateLimit(5, 1.0), new RateLimit(3, 2.0));
        assertThat(Judge.check(rule, post("r1", "a")).join()).isNull();
        assertThat(Judge.check(rule, post("r1", "b")).join()).isNull();
        assertThat(Judge.check(rule, post("r1", "c")).join()).isNull();
        Rejection r = Judge.check(rule, post("r1", "d")).join();
        assertThat(r.reason()).isEqualTo(RejectReason.RATE_LIMITED);
        assertThat(r.message()).startsWith("room rate limit exceeded (burst 3, then 2 per second)")
                .endsWith("retry after 500 ms");
        assertThat(Judge.check(rule, post("r2", "d")).join()).isNull();
        clock.advance(Duration.ofMillis(500));
        assertThat(Judge.check(rule, post("r1", "d")).join()).isNull();
    }

    @Test
    void theUserLimitIsKeptInThisProcessAndNeedsNoStore() {
        RateLimitRule rule = rule(new RateLimit(5, 1.0), new RateLimit(1000, 1000.0));
        store.down = true;
        for (int i = 0; i < 5; i++) {
            assertThat(Judge.check(rule, post("r1", "u1")).join()).as("post %d", i + 1).isNull();
        }
        Rejection r = Judge.check(rule, post("r1", "u1")).join();
        assertThat(r.reason()).isEqualTo(RejectReason.RATE_LIMITED);
        assertThat(r.message()).startsWith("user").endsWith("retry after 1000 ms");
        clock.advance(Duration.ofSeconds(1));
        assertThat(Judge.check(rule, post("r1", "u1")).join()).isNull();
    }

    @Test
    void whenTheStoreFailsTheRoomLimitFallsBackToLocalBucketsCounted() {
        RateLimitRule rule = rule(new RateLimit(100, 100.0), new RateLimit(3, 2.0));
        store.down = true;
        for (String user : new String[] {"a", "b", "c"}) {
            assertThat(Judge.check(rule, post("r1", user)).join()).isNull();
        }
        assertThat(Judge.check(rule, post("r1", "d")).join().message()).startsWith("room rate limit exceeded");
        assertThat(registry.get("danmaku.logic.ratelimit.fallbacks").counter().count()).isGreaterThanOrEqualTo(1);
        assertThat(registry.get("danmaku.logic.hotstore.errors").tag("op", "lease").counter().count())
                .isGreaterThanOrEqualTo(1);
    }

    @Test
    void theStoreIsUsedAgainOnceItRecovers() {
        RateLimitRule rule = rule(new RateLimit(100, 100.0), new RateLimit(2, 0.001));
        store.down = true;
        assertThat(Judge.check(rule, post("r1", "a")).join()).isNull();
        store.down = false;
        // the global bucket in the store is still full: it answers again, and its limit holds
        assertThat(Judge.check(rule, post("r1", "b")).join()).isNull();
        assertThat(Judge.check(rule, post("r1", "c")).join()).isNull();
        assertThat(Judge.check(rule, post("r1", "d")).join().reason()).isEqualTo(RejectReason.RATE_LIMITED);
    }

    @Test
    void aBatchOfOneRoomTakesItsTokensInOneLeaseAndRefusesThePostsBeyondThem() {
        RateLimitRule rule = rule(new RateLimit(100, 100.0), new RateLimit(3, 1.0));
        List<PostRequest> batch = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            batch.add(post("r1", "u" + i));
        }
        assertThat(Judge.checkAll(rule, batch)).extracting(r -> r == null ? "ok" : r.reason().code())
                .containsExactly("ok", "ok", "ok", "rate_limited", "rate_limited");
        assertThat(store.leaseCalls).hasValue(1);
    }

    @Test
    void batchesWaitingForAnotherBatchsLeaseGetTheirTokensToo() {
        RateLimitRule rule = rule(new RateLimit(100, 100.0), new RateLimit(1000, 1000.0));
        CompletableFuture<Void> slowStore = new CompletableFuture<>();
        store.leaseGate = slowStore;
        PostBatch first = new PostBatch(List.of(post("r1", "a"), post("r1", "b")));
        CompletableFuture<Void> firstChecked = rule.check(first);
        PostBatch second = new PostBatch(List.of(post("r1", "c"), post("r1", "d"), post("r1", "e")));
        CompletableFuture<Void> secondChecked = rule.check(second);
        assertThat(store.leaseCalls).as("one lease call in flight for the room").hasValue(1);
        store.leaseGate = null;
        slowStore.complete(null);
        firstChecked.join();
        secondChecked.join();
        // the room's bucket holds 1000 tokens: the lease sized for the first batch refuses neither batch, whichever
        // takes its tokens first
        assertThat(first.passingCount()).isEqualTo(2);
        assertThat(second.passingCount()).isEqualTo(3);
    }

    @Test
    void aBusyRoomCostsAboutOneLeaseCallPerLeasePeriodNotOnePerPost() {
        RateLimitRule rule = new RateLimitRule(store, new RateLimit(100, 100.0), new RateLimit(100_000, 100_000.0),
                Duration.ofMillis(100), clock, registry);
        int posts = 0;
        for (int window = 0; window < 10; window++) {
            for (int b = 0; b < 10; b++) {
                List<PostRequest> batch = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    batch.add(post("r1", "u" + (posts++ % 5000)));
                }
                assertThat(Judge.checkAll(rule, batch)).containsOnlyNulls();
                clock.advance(Duration.ofMillis(10));
            }
        }
        // the first window learns the room's demand (one call per batch); after it, about one per period
        assertThat(store.leaseCalls.get()).isLessThanOrEqualTo(10 + 2 * 9).isGreaterThanOrEqualTo(10);
        assertThat(registry.get("danmaku.logic.ratelimit.leases").counter().count())
                .isEqualTo(store.leaseCalls.get());
    }

    @Test
    void theRoomLimitHoldsAcrossLogicInstancesSharingTheStore() {
        RateLimitRule first = rule(new RateLimit(100, 100.0), new RateLimit(10, 0.001));
        RateLimitRule second = rule(new RateLimit(100, 100.0), new RateLimit(10, 0.001));
        int passed = 0;
        for (int i = 0; i < 40; i++) {
            RateLimitRule rule = i % 2 == 0 ? first : second;
            if (Judge.check(rule, post("r1", "u" + i)).join() == null) {
                passed++;
            }
            clock.advance(Duration.ofMillis(30));
        }
        assertThat(passed).isLessThanOrEqualTo(10).isGreaterThanOrEqualTo(5);
    }

    @Test
    void aRoomRefusedByTheStoreCostsNoMoreCallsUntilItsRetryTime() {
        RateLimitRule rule = rule(new RateLimit(100, 100.0), new RateLimit(1, 1.0));
        assertThat(Judge.check(rule, post("r1", "a")).join()).isNull();
        assertThat(Judge.check(rule, post("r1", "b")).join().reason()).isEqualTo(RejectReason.RATE_LIMITED);
        int calls = store.leaseCalls.get();
        for (int i = 0; i < 20; i++) {
            assertThat(Judge.check(rule, post("r1", "c" + i)).join().reason()).isEqualTo(RejectReason.RATE_LIMITED);
        }
        assertThat(store.leaseCalls).hasValue(calls);
        clock.advance(Duration.ofSeconds(1));
        assertThat(Judge.check(rule, post("r1", "z")).join()).isNull();
    }

    @Test
    void fractionalRatesAreDescribed() {
        RateLimitRule rule = rule(new RateLimit(1, 0.5), new RateLimit(1000, 1000.0));
        assertThat(Judge.check(rule, post("r1", "u1")).join()).isNull();
        assertThat(Judge.check(rule, post("r1", "u1")).join().message())
                .startsWith("user rate limit exceeded (burst 1, then 0.5 per second)")
                .endsWith("retry after 2000 ms");
    }
}
