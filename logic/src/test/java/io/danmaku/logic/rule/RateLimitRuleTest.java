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
            assertThat(rule.check(post("r1", "u1")).join()).as("post %d", i + 1).isNull();
        }
        Rejection sixth = rule.check(post("r1", "u1")).join();
        assertThat(sixth.reason()).isEqualTo(RejectReason.RATE_LIMITED);
        assertThat(sixth.message()).startsWith("user rate limit exceeded (burst 5, then 1 per second)")
                .endsWith("retry after 1000 ms");

        clock.advance(Duration.ofMillis(999));
        assertThat(rule.check(post("r1", "u1")).join().reason()).isEqualTo(RejectReason.RATE_LIMITED);
        clock.advance(Duration.ofMillis(1));
        assertThat(rule.check(post("r1", "u1")).join()).isNull();
        assertThat(rule.check(post("r1", "u1")).join().reason()).isEqualTo(RejectReason.RATE_LIMITED);
    }

    @Test
    void theUserLimitHoldsAcrossRoomsAndNotAcrossUsers() {
        RateLimitRule rule = rule(new RateLimit(2, 1.0), new RateLimit(1000, 1000.0));
        assertThat(rule.check(post("r1", "u1")).join()).isNull();
        assertThat(rule.check(post("r2", "u1")).join()).isNull();
        assertThat(rule.check(post("r3", "u1")).join().reason()).isEqualTo(RejectReason.RATE_LIMITED);
        assertThat(rule.check(post("r3", "u2")).join()).isNull();
    }

    @Test
    void aRoomLimitHoldsAcrossUsers() {
        RateLimitRule rule = rule(new RateLimit(5, 1.0), new RateLimit(3, 2.0));
        assertThat(rule.check(post("r1", "a")).join()).isNull();
        assertThat(rule.check(post("r1", "b")).join()).isNull();
        assertThat(rule.check(post("r1", "c")).join()).isNull();
        Rejection r = rule.check(post("r1", "d")).join();
        assertThat(r.reason()).isEqualTo(RejectReason.RATE_LIMITED);
        assertThat(r.message()).startsWith("room rate limit exceeded (burst 3, then 2 per second)")
                .endsWith("retry after 500 ms");
        assertThat(rule.check(post("r2", "d")).join()).isNull();
        clock.advance(Duration.ofMillis(500));
        assertThat(rule.check(post("r1", "d")).join()).isNull();
    }

    @Test
    void whenTheStoreFailsLocalBucketsStillLimit() {
        RateLimitRule rule = rule(new RateLimit(5, 1.0), new RateLimit(1000, 1000.0));
        store.down = true;
        for (int i = 0; i < 5; i++) {
            assertThat(rule.check(post("r1", "u1")).join()).as("post %d", i + 1).isNull();
        }
        Rejection r = rule.check(post("r1", "u1")).join();
        assertThat(r.reason()).isEqualTo(RejectReason.RATE_LIMITED);
        assertThat(r.message()).endsWith("retry after 1000 ms");
        clock.advance(Duration.ofSeconds(1));
        assertThat(rule.check(post("r1", "u1")).join()).isNull();

        assertThat(registry.get("danmaku.logic.ratelimit.fallbacks").counter().count()).isGreaterThanOrEqualTo(7);
        assertThat(registry.get("danmaku.logic.hotstore.errors").tag("op", "acquire").counter().count())
                .isGreaterThanOrEqualTo(7);
    }

    @Test
    void theStoreIsUsedAgainOnceItRecovers() {
        RateLimitRule rule = rule(new RateLimit(1, 1.0), new RateLimit(1000, 1000.0));
        store.down = true;
        assertThat(rule.check(post("r1", "u1")).join()).isNull();
        store.down = false;
        // the global bucket in the store is still full: the store answers again
        assertThat(rule.check(post("r1", "u1")).join()).isNull();
        assertThat(rule.check(post("r1", "u1")).join().reason()).isEqualTo(RejectReason.RATE_LIMITED);
    }

    @Test
    void fractionalRatesAreDescribed() {
        RateLimitRule rule = rule(new RateLimit(1, 0.5), new RateLimit(1000, 1000.0));
        assertThat(rule.check(post("r1", "u1")).join()).isNull();
        assertThat(rule.check(post("r1", "u1")).join().message())
                .startsWith("user rate limit exceeded (burst 1, then 0.5 per second)")
                .endsWith("retry after 2000 ms");
    }
}
