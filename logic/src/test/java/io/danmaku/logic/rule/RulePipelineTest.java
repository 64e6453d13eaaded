package io.danmaku.logic.rule;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.RejectReason;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class RulePipelineTest {
    private final List<String> ran = new CopyOnWriteArrayList<>();

    private static PostRequest post(String user, String text) {
        return new PostRequest("live.1", new UserRef(user, user), text, null, null, null);
    }

    private static List<PostRequest> posts(String... texts) {
        List<PostRequest> list = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            list.add(post("u" + i, texts[i]));
        }
        return list;
    }

    private PostRule passing(String name) {
        return batch -> {
            ran.add(name + ":" + batch.passingCount());
            return PostRule.done();
        };
    }

    /** Refuses the passing posts whose text is {@code word}. */
    private PostRule refusing(String name, String word, RejectReason reason) {
        return batch -> {
            ran.add(name + ":" + batch.passingCount());
            for (int i = 0; i < batch.size(); i++) {
                if (batch.passing(i) && batch.post(i).text().equals(word)) {
                    batch.reject(i, new Rejection(reason, name + " said no"));
                }
            }
            return PostRule.done();
        };
    }

    private static List<String> verdicts(PostBatch batch) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            Rejection r = batch.rejection(i);
            out.add(r == null ? "ok" : r.describe());
        }
        return out;
    }

    @Test
    void everyRuleRunsInOrderOnceForTheWholeBatch() {
        RulePipeline pipeline = new RulePipeline(List.of(passing("a"), passing("b"), passing("c")));
        PostBatch batch = pipeline.run(new PostBatch(posts("x", "y", "z"))).join();
        assertThat(verdicts(batch)).containsExactly("ok", "ok", "ok");
        assertThat(ran).containsExactly("a:3", "b:3", "c:3");
    }

    @Test
    void eachRuleSeesOnlyThePostsTheEarlierRulesLetPassAndTheFirstRejectionStays() {
        RulePipeline pipeline = new RulePipeline(List.of(refusing("a", "bad", RejectReason.MUTED),
                refusing("b", "bad", RejectReason.DUPLICATE), refusing("c", "worse", RejectReason.BLOCKED_WORD)));
        PostBatch batch = pipeline.run(new PostBatch(posts("bad", "fine", "worse"))).join();
        assertThat(verdicts(batch)).containsExactly("muted: a said no", "ok", "blocked_word: c said no");
        assertThat(ran).containsExactly("a:3", "b:2", "c:2");
    }

    @Test
    void whenNoPostIsLeftTheRemainingRulesDoNotRun() {
        RulePipeline pipeline = new RulePipeline(List.of(refusing("a", "bad", RejectReason.MUTED), passing("b")));
        PostBatch batch = pipeline.run(new PostBatch(posts("bad", "bad"))).join();
        assertThat(batch.passingCount()).isZero();
        assertThat(ran).containsExactly("a:2");
    }

    @Test
    void aRuleThatThrowsOrFailsRejectsThePassingPostsAsUnavailable() {
        PostRule throwing = batch -> {
            throw new IllegalStateException("bug");
        };
        PostRule failing = batch -> CompletableFuture.failedFuture(new IllegalStateException("bug"));
        for (PostRule broken : List.of(throwing, failing)) {
            ran.clear();
            PostBatch batch = new RulePipeline(List.of(refusing("a", "bad", RejectReason.MUTED), broken,
                    passing("c"))).run(new PostBatch(posts("bad", "fine"))).join();
            assertThat(verdicts(batch)).containsExactly("muted: a said no", "unavailable: internal error, retry");
            assertThat(ran).containsExactly("a:2");
        }
    }

    @Test
    void aRuleAnsweringLaterHoldsTheRestUntilItCompletes() {
        CompletableFuture<Void> later = new CompletableFuture<>();
        PostRule pending = batch -> {
            ran.add("pending");
            return later;
        };
        CompletableFuture<PostBatch> result = new RulePipeline(List.of(passing("a"), pending, passing("c")))
                .run(new PostBatch(posts("x")));
        assertThat(result).isNotDone();
        assertThat(ran).containsExactly("a:1", "pending");
        later.complete(null);
        assertThat(verdicts(result.join())).containsExactly("ok");
        assertThat(ran).containsExactly("a:1", "pending", "c:1");
    }

    @Test
    void aRuleFailingLaterRejectsAsUnavailableAndStopsThePipeline() {
        CompletableFuture<Void> later = new CompletableFuture<>();
        CompletableFuture<PostBatch> result = new RulePipeline(List.of(batch -> later, passing("c")))
                .run(new PostBatch(posts("x", "y")));
        later.completeExceptionally(new IllegalStateException("store broke"));
        assertThat(verdicts(result.join())).containsOnly("unavailable: internal error, retry");
        assertThat(ran).isEmpty();
    }

    @Test
    void aCancelledAnswerRejectsAsUnavailable() {
        CompletableFuture<Void> cancelled = new CompletableFuture<>();
        cancelled.cancel(false);
        PostBatch batch = new RulePipeline(List.of(batch1 -> cancelled, passing("c")))
                .run(new PostBatch(posts("x"))).join();
        assertThat(verdicts(batch)).containsExactly("unavailable: internal error, retry");
        assertThat(ran).isEmpty();
    }
}
