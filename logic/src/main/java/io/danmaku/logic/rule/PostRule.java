package io.danmaku.logic.rule;

import io.danmaku.protocol.post.PostRequest;
import java.util.concurrent.CompletableFuture;

/**
 * One check of the validation pipeline. Completes with {@code null} when the post passes, or with the
 * {@link Rejection}. Non-blocking; a rule that depends on the hot store handles the store's failures itself
 * (fails closed with {@code unavailable}, or falls back), so the future normally never fails.
 */
@FunctionalInterface
public interface PostRule {

    CompletableFuture<Rejection> check(PostRequest post);

    /** A completed pass. */
    static CompletableFuture<Rejection> pass() {
        return CompletableFuture.completedFuture(null);
    }

    static CompletableFuture<Rejection> reject(Rejection rejection) {
        return CompletableFuture.completedFuture(rejection);
    }
}
