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
import org.junit.jupiter.api.Test;

class DedupeRuleTest {
    private final TestClock clock = new TestClock();
    private final FaultyHotStore store = new FaultyHotStore(new MemoryHotStore(clock, 100));
    private final DedupeRule rule = new DedupeRule(store, Duration.ofMinutes(5), new SimpleMeterRegistry());

    private static PostRequest post(String user, String clientMsgId) {
        return new PostRequest("live.1", new UserRef(user, user), "hi", null, null, clientMsgId);
    }

    @Test
    void theSameClientMsgIdFromTheSameUserIsADuplicate() {
        assertThat(rule.check(post("u1", "m-1")).join()).isNull();
        Rejection r = rule.check(post("u1", "m-1")).join();
        assertThat(r.reason()).isEqualTo(RejectReason.DUPLICATE);
        assertThat(r.message()).isEqualTo("clientMsgId: \"m-1\" was already posted");
    }

    @Test
    void otherIdsAndOtherUsersAreNotDuplicates() {
        assertThat(rule.check(post("u1", "m-1")).join()).isNull();
        assertThat(rule.check(post("u1", "m-2")).join()).isNull();
        assertThat(rule.check(post("u2", "m-1")).join()).isNull();
    }

    @Test
    void postsWithoutAnIdAreNeverDuplicates() {
        assertThat(rule.check(post("u1", null)).join()).isNull();
        assertThat(rule.check(post("u1", null)).join()).isNull();
        assertThat(rule.check(post("u1", "")).join()).isNull();
        assertThat(rule.check(post("u1", "")).join()).isNull();
    }

    @Test
    void anIdIsForgottenAfterTheTtl() {
        assertThat(rule.check(post("u1", "m-1")).join()).isNull();
        clock.advance(Duration.ofMinutes(5));
        assertThat(rule.check(post("u1", "m-1")).join()).isNull();
    }

    @Test
    void aStoreFailureFailsClosedAsUnavailable() {
        store.down = true;
        Rejection r = rule.check(post("u1", "m-1")).join();
        assertThat(r.reason()).isEqualTo(RejectReason.UNAVAILABLE);
        assertThat(r.message()).isEqualTo("hot store unavailable, retry");
    }
}
