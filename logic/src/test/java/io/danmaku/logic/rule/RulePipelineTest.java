package io.danmaku.logic.rule;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.RejectReason;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class RulePipelineTest {
    private static final PostRequest POST = new PostRequest("live.1", new UserRef("u1", "A"), "hi", null, null,
            null);
    private final List<String> ran = new CopyOnWriteArrayList<>();

    private PostRule passing(String name) {
        return post -> {
            ran.add(name);
            return PostRule.pass();
        };
    }

    private PostRule rejecting(String name, RejectReason reason) {
        return post -> {
            ran.add(name);
            return PostRule.reject(new Rejection(reason, name + " said no"));
        };
    }

    @Test
    void everyRuleRunsInOrderWhenAllPass() {
        RulePipeline pipeline = new RulePipeline(List.of(passing("a"), passing("b"), passing("c")));
        assertThat(pipeline.run(POST).join()).isNull();
        assertThat(ran).containsExactly("a", "b", "c");
    }

    @Test
    void theFirstRejectionStopsThePipeline() {
        RulePipeline pipeline = new RulePipeline(List.of(passing("a"), rejecting("b", RejectReason.MUTED),
                rejecting("c", RejectReason.DUPLICATE)));
        Rejection r = pipeline.run(POST).join();
        assertThat(r.reason()).isEqualTo(RejectReason.MUTED);
        assertThat(r.describe()).isEqualTo("muted: b said no");
        assertThat(ran).containsExactly("a", "b");
    }

    @Test
    void aRuleThatThrowsOrFailsRejectsAsUnavailable() {
        PostRule throwing = post -> {
            throw new IllegalStateException("bug");
        };
        PostRule failing = post -> CompletableFuture.failedFuture(new IllegalStateException("bug"));
        for (PostRule broken : List.of(throwing, failing)) {
            ran.clear();
            Rejection r = new RulePipeline(List.of(passing("a"), broken, passing("c"))).run(POST).join();
            assertThat(r.reason()).isEqualTo(RejectReason.UNAVAILABLE);
            assertThat(ran).containsExactly("a");
        }
    }

    @Test
    void aRuleAnsweringLaterHoldsTheRestUntilItPasses() {
        CompletableFuture<Rejection> later = new CompletableFuture<>();
        PostRule pending = post -> {
            ran.add("pending");
            return later;
        };
        CompletableFuture<Rejection> result = new RulePipeline(List.of(passing("a"), pending, passing("c")))
                .run(POST);
        assertThat(result).isNotDone();
        assertThat(ran).containsExactly("a", "pending");
        later.complete(null);
        assertThat(result.join()).isNull();
        assertThat(ran).containsExactly("a", "pending", "c");
    }

    @Test
    void aRuleFailingLaterRejectsAsUnavailableAndStopsThePipeline() {
        CompletableFuture<Rejection> later = new CompletableFuture<>();
        CompletableFuture<Rejection> result = new RulePipeline(List.of(post -> later, passing("c"))).run(POST);
        later.completeExceptionally(new IllegalStateException("store broke"));
        assertThat(result.join().reason()).isEqualTo(RejectReason.UNAVAILABLE);
        assertThat(ran).isEmpty();
    }

    @Test
    void aRejectionArrivingLaterStopsThePipeline() {
        CompletableFuture<Rejection> later = new CompletableFuture<>();
        CompletableFuture<Rejection> result = new RulePipeline(List.of(post -> later, passing("c"))).run(POST);
        later.complete(new Rejection(RejectReason.RATE_LIMITED, "slow down"));
        assertThat(result.join().reason()).isEqualTo(RejectReason.RATE_LIMITED);
        assertThat(ran).isEmpty();
    }

    @Test
    void aCancelledAnswerRejectsAsUnavailable() {
        CompletableFuture<Rejection> cancelled = new CompletableFuture<>();
        cancelled.cancel(false);
        Rejection r = new RulePipeline(List.of(post -> cancelled, passing("c"))).run(POST).join();
        assertThat(r.reason()).isEqualTo(RejectReason.UNAVAILABLE);
        assertThat(ran).isEmpty();
    }
}
