package io.danmaku.logic.rule;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.logic.TestClock;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.RejectReason;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class DedupeRuleTest {
    private final TestClock clock = new TestClock();
    private final DedupeRule rule = new DedupeRule(Duration.ofMinutes(5), clock, new SimpleMeterRegistry());

    private static PostRequest post(String user, String clientMsgId) {
        return new PostRequest("live.1", new UserRef(user, user), "hi", null, null, clientMsgId);
    }

    @Test
    void theSameClientMsgIdFromTheSameUserIsADuplicate() {
        assertThat(Judge.check(rule, post("u1", "m-1")).join()).isNull();
        Rejection r = Judge.check(rule, post("u1", "m-1")).join();
        assertThat(r.reason()).isEqualTo(RejectReason.DUPLICATE);
        assertThat(r.message()).isEqualTo("clientMsgId: \"m-1\" was already posted");
    }

    @Test
    void otherIdsAndOtherUsersAreNotDuplicates() {
        assertThat(Judge.check(rule, post("u1", "m-1")).join()).isNull();
        assertThat(Judge.check(rule, post("u1", "m-2")).join()).isNull();
        assertThat(Judge.check(rule, post("u2", "m-1")).join()).isNull();
    }

    @Test
    void postsWithoutAnIdAreNeverDuplicates() {
        assertThat(Judge.check(rule, post("u1", null)).join()).isNull();
        assertThat(Judge.check(rule, post("u1", null)).join()).isNull();
        assertThat(Judge.check(rule, post("u1", "")).join()).isNull();
        assertThat(Judge.check(rule, post("u1", "")).join()).isNull();
    }

    @Test
    void anIdIsForgottenAfterTheTtl() {
        assertThat(Judge.check(rule, post("u1", "m-1")).join()).isNull();
        clock.advance(Duration.ofMinutes(5));
        assertThat(Judge.check(rule, post("u1", "m-1")).join()).isNull();
    }

    @Test
    void theSameIdTwiceInOneBatchIsADuplicateTheSecondTime() {
        List<Rejection> verdicts = Judge.checkAll(rule, List.of(post("u1", "m-1"), post("u2", "m-1"),
                post("u1", "m-1")));
        assertThat(verdicts.get(0)).isNull();
        assertThat(verdicts.get(1)).isNull();
        assertThat(verdicts.get(2).reason()).isEqualTo(RejectReason.DUPLICATE);
    }

    @Test
    void aReleasedIdPassesAgain() {
        assertThat(Judge.check(rule, post("u1", "m-1")).join()).isNull();
        rule.release(post("u1", "m-1"));
        assertThat(Judge.check(rule, post("u1", "m-1")).join()).isNull();
        assertThat(Judge.check(rule, post("u1", "m-1")).join().reason()).isEqualTo(RejectReason.DUPLICATE);
    }

    @Test
    void postsAlreadyRefusedByAnEarlierRuleAreNotRemembered() {
        PostBatch batch = new PostBatch(List.of(post("u1", "m-1")));
        batch.reject(0, new Rejection(RejectReason.RATE_LIMITED, "slow down"));
        rule.check(batch).join();
        assertThat(Judge.check(rule, post("u1", "m-1")).join()).isNull();
    }

    @Test
    void theMemoryIsBoundedAndForgetsTheOldestIdsFirstCountingThem() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DedupeRule small = new DedupeRule(Duration.ofMinutes(5), clock, registry, 64);
        // one user: one stripe of 64 / 64 = 1 id
        assertThat(Judge.check(small, post("u1", "a")).join()).isNull();
        assertThat(Judge.check(small, post("u1", "b")).join()).isNull();
        assertThat(small.size()).isLessThanOrEqualTo(64);
        assertThat(Judge.check(small, post("u1", "b")).join().reason()).isEqualTo(RejectReason.DUPLICATE);
        assertThat(Judge.check(small, post("u1", "a")).join()).as("forgotten at the bound").isNull();
        assertThat(registry.get("danmaku.logic.dedupe.evictions").functionCounter().count()).isEqualTo(2.0);
    }
}
