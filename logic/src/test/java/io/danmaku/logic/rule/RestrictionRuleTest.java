package io.danmaku.logic.rule;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.logic.FaultyHotStore;
import io.danmaku.logic.TestClock;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.RejectReason;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RestrictionRuleTest {
    private final TestClock clock = new TestClock();
    private final FaultyHotStore store = new FaultyHotStore(new MemoryHotStore(clock, 100));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private static PostRequest post(String room, String user) {
        return new PostRequest(room, new UserRef(user, user), "hi", null, null, null);
    }

    private RestrictionRule rule(Duration cacheTtl) {
        return new RestrictionRule(store, cacheTtl, clock, registry);
    }

    @Test
    void anUnrestrictedUserPasses() {
        assertThat(Judge.check(rule(Duration.ZERO), post("r1", "u1")).join()).isNull();
    }

    @Test
    void aBannedUserIsRejectedInEveryRoom() {
        store.ban("u1", Duration.ofMinutes(1)).join();
        RestrictionRule rule = rule(Duration.ZERO);
        for (String room : new String[] {"r1", "r2"}) {
            Rejection r = Judge.check(rule, post(room, "u1")).join();
            assertThat(r.reason()).isEqualTo(RejectReason.BANNED);
            assertThat(r.message()).isEqualTo(RestrictionRule.BANNED_MESSAGE);
        }
        assertThat(Judge.check(rule, post("r1", "u2")).join()).isNull();
    }

    @Test
    void aMutedUserIsRejectedOnlyInThatRoom() {
        store.mute("r1", "u1", Duration.ofMinutes(1)).join();
        RestrictionRule rule = rule(Duration.ZERO);
        Rejection r = Judge.check(rule, post("r1", "u1")).join();
        assertThat(r.reason()).isEqualTo(RejectReason.MUTED);
        assertThat(r.message()).isEqualTo(RestrictionRule.MUTED_MESSAGE);
        assertThat(Judge.check(rule, post("r2", "u1")).join()).isNull();
    }

    @Test
    void aBanWinsOverAMute() {
        store.mute("r1", "u1", Duration.ofMinutes(1)).join();
        store.ban("u1", Duration.ofMinutes(1)).join();
        assertThat(Judge.check(rule(Duration.ZERO), post("r1", "u1")).join().reason()).isEqualTo(RejectReason.BANNED);
    }

    @Test
    void answersAreCachedForTheTtlThenAskedAgain() {
        RestrictionRule rule = rule(Duration.ofSeconds(2));
        assertThat(Judge.check(rule, post("r1", "u1")).join()).isNull();
        // a ban made elsewhere (another logic instance) is not seen while the cached answer lives
        store.ban("u1", Duration.ofMinutes(1)).join();
        assertThat(Judge.check(rule, post("r1", "u1")).join()).isNull();
        assertThat(store.restrictionCalls).hasValue(1);

        clock.advance(Duration.ofSeconds(2));
        assertThat(Judge.check(rule, post("r1", "u1")).join().reason()).isEqualTo(RejectReason.BANNED);
        assertThat(store.restrictionCalls).hasValue(2);
    }

    @Test
    void invalidationAppliesABanAtOnce() {
        RestrictionRule rule = rule(Duration.ofSeconds(2));
        assertThat(Judge.check(rule, post("r1", "u1")).join()).isNull();
        assertThat(Judge.check(rule, post("r2", "u1")).join()).isNull();
        store.ban("u1", Duration.ofMinutes(1)).join();
        rule.invalidateUser("u1");
        assertThat(Judge.check(rule, post("r1", "u1")).join().reason()).isEqualTo(RejectReason.BANNED);
        assertThat(Judge.check(rule, post("r2", "u1")).join().reason()).isEqualTo(RejectReason.BANNED);
    }

    @Test
    void invalidationAppliesAMuteAtOnceAndAnUnmuteToo() {
        RestrictionRule rule = rule(Duration.ofSeconds(2));
        assertThat(Judge.check(rule, post("r1", "u1")).join()).isNull();
        store.mute("r1", "u1", Duration.ofMinutes(1)).join();
        rule.invalidate("r1", "u1");
        assertThat(Judge.check(rule, post("r1", "u1")).join().reason()).isEqualTo(RejectReason.MUTED);
        store.unmute("r1", "u1").join();
        rule.invalidate("r1", "u1");
        assertThat(Judge.check(rule, post("r1", "u1")).join()).isNull();
    }

    @Test
    void aStoreFailureFailsClosedAsUnavailable() {
        store.down = true;
        Rejection r = Judge.check(rule(Duration.ofSeconds(2)), post("r1", "u1")).join();
        assertThat(r.reason()).isEqualTo(RejectReason.UNAVAILABLE);
        assertThat(r.message()).isEqualTo("hot store unavailable, retry");
        assertThat(registry.get("danmaku.logic.hotstore.errors").tag("op", "restriction").counter().count())
                .isEqualTo(1.0);
    }

    @Test
    void aFailureIsNotCached() {
        RestrictionRule rule = rule(Duration.ofSeconds(2));
        store.down = true;
        assertThat(Judge.check(rule, post("r1", "u1")).join().reason()).isEqualTo(RejectReason.UNAVAILABLE);
        store.down = false;
        assertThat(Judge.check(rule, post("r1", "u1")).join()).isNull();
    }

    @Test
    void theCacheStaysBounded() {
        RestrictionCache cache = new RestrictionCache(clock, 1000, 10);
        for (int i = 0; i < 100; i++) {
            cache.put("r", "u" + i, io.danmaku.protocol.store.Restriction.NONE, cache.generation());
        }
        assertThat(cache.size()).isLessThanOrEqualTo(10);
    }

    @Test
    void aLookupStartedBeforeAnInvalidationIsNotCached() {
        RestrictionCache cache = new RestrictionCache(clock, 1000, 10);
        long generation = cache.generation();
        cache.invalidateUser("u1");
        cache.put("r", "u1", io.danmaku.protocol.store.Restriction.NONE, generation);
        assertThat(cache.get("r", "u1", clock.millis())).isNull();
    }

    @Test
    void aBanOrMuteMadeThroughTheStoreReachesAStartedRuleThroughTheChangeFeed() {
        try (RestrictionRule rule = rule(Duration.ofMinutes(1)).start()) {
            assertThat(Judge.check(rule, post("r1", "u1")).join()).isNull();
            assertThat(Judge.check(rule, post("r2", "u1")).join()).isNull();
            assertThat(store.restrictionCalls).hasValue(2);
            // made through the store (as by another logic instance): no explicit invalidation here
            store.ban("u1", Duration.ofMinutes(1)).join();
            assertThat(Judge.check(rule, post("r1", "u1")).join().reason()).isEqualTo(RejectReason.BANNED);
            assertThat(Judge.check(rule, post("r2", "u1")).join().reason()).isEqualTo(RejectReason.BANNED);
            store.unban("u1").join();
            store.mute("r2", "u1", Duration.ofMinutes(1)).join();
            assertThat(Judge.check(rule, post("r1", "u1")).join()).isNull();
            assertThat(Judge.check(rule, post("r2", "u1")).join().reason()).isEqualTo(RejectReason.MUTED);
            assertThat(registry.get("danmaku.logic.restriction.invalidations").counter().count()).isGreaterThan(0);
        }
    }

    @Test
    void aClosedRuleNoLongerFollowsTheFeed() {
        RestrictionRule rule = rule(Duration.ofMinutes(1)).start();
        assertThat(Judge.check(rule, post("r1", "u1")).join()).isNull();
        rule.close();
        store.ban("u1", Duration.ofMinutes(1)).join();
        assertThat(Judge.check(rule, post("r1", "u1")).join()).isNull(); // cached, no longer invalidated
    }

    @Test
    void aFeedResetForgetsEverything() {
        RestrictionRule rule = rule(Duration.ofMinutes(1));
        assertThat(Judge.check(rule, post("r1", "u1")).join()).isNull();
        store.ban("u1", Duration.ofMinutes(1)).join();
        rule.reset();
        assertThat(Judge.check(rule, post("r1", "u1")).join().reason()).isEqualTo(RejectReason.BANNED);
    }

    @Test
    void theMissesOfABatchAreLookedUpInOneStoreCall() {
        store.mute("r1", "u2", Duration.ofMinutes(1)).join();
        store.ban("u3", Duration.ofMinutes(1)).join();
        RestrictionRule rule = rule(Duration.ofMinutes(1));
        List<Rejection> verdicts = Judge.checkAll(rule, List.of(post("r1", "u1"), post("r1", "u2"),
                post("r2", "u2"), post("r1", "u3"), post("r1", "u1")));
        assertThat(verdicts).extracting(r -> r == null ? "ok" : r.reason().code())
                .containsExactly("ok", "muted", "ok", "banned", "ok");
        assertThat(store.restrictionCalls).hasValue(1);
        assertThat(registry.get("danmaku.logic.restriction.lookups").counter().count()).isEqualTo(4.0);
        // all cached now: the next batch asks nothing
        Judge.checkAll(rule, List.of(post("r1", "u1"), post("r1", "u2"), post("r1", "u3")));
        assertThat(store.restrictionCalls).hasValue(1);
    }

    @Test
    void cachedAnswersServeWhileTheStoreIsDownAndOnlyMissesFailClosed() {
        RestrictionRule rule = rule(Duration.ofMinutes(1));
        assertThat(Judge.check(rule, post("r1", "u1")).join()).isNull();
        store.down = true;
        List<Rejection> verdicts = Judge.checkAll(rule, List.of(post("r1", "u1"), post("r1", "u9")));
        assertThat(verdicts.get(0)).isNull();
        assertThat(verdicts.get(1).reason()).isEqualTo(RejectReason.UNAVAILABLE);
    }
}
