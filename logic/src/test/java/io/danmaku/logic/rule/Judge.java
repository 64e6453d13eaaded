package io.danmaku.logic.rule;

import io.danmaku.protocol.post.PostRequest;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Runs a rule on a batch of one post, for tests that judge posts one at a time. */
final class Judge {
    private Judge() {
    }

    /** The rule's rejection of {@code post}, or {@code null} when it passes. */
    static CompletableFuture<Rejection> check(PostRule rule, PostRequest post) {
        PostBatch batch = new PostBatch(List.of(post));
        return rule.check(batch).thenApply(v -> batch.rejection(0));
    }

    /** The rule's verdicts on a batch, in order ({@code null} = passed). */
    static List<Rejection> checkAll(PostRule rule, List<PostRequest> posts) {
        PostBatch batch = new PostBatch(posts);
        rule.check(batch).join();
        Rejection[] out = new Rejection[posts.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = batch.rejection(i);
        }
        return java.util.Arrays.asList(out);
    }
}
