package io.danmaku.logic.rule;

import java.util.concurrent.CompletableFuture;

/**
 * One check of the validation pipeline, run on a whole {@link PostBatch}: it judges the posts still passing and
 * {@link PostBatch#reject refuses} those that fail it, then completes. Non-blocking; a rule that needs the hot
 * store makes at most one call per batch, never one per post, and handles the store's failures itself (fails
 * closed with {@code unavailable}, or falls back), so its future normally never fails.
 */
@FunctionalInterface
public interface PostRule {

    CompletableFuture<Void> check(PostBatch batch);

    /** A rule's answer when it judged the batch without waiting. */
    static CompletableFuture<Void> done() {
        return CompletableFuture.completedFuture(null);
    }
}
