package io.danmaku.protocol.post;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Validates and publishes danmaku posts, a batch at a time. Non-blocking; the future never completes
 * exceptionally: every failure is a {@link PostResult#rejected rejection} with a reason ({@code unavailable} for
 * infrastructure failures), so the caller always has an answer to send for every post.
 */
@FunctionalInterface
public interface PostService {

    /**
     * Validates and publishes a batch of posts (of any users and rooms). The answers come in the order of
     * {@code batch}, one per post: the result list has exactly {@code batch.size()} elements. An accepted post is
     * durable. Posts of one user in one batch are judged in batch order.
     */
    CompletableFuture<List<PostResult>> postBatch(List<PostRequest> batch);

    /** One post: {@link #postBatch} with a batch of one. */
    default CompletableFuture<PostResult> post(PostRequest request) {
        return postBatch(List.of(request)).thenApply(results -> results.get(0));
    }
}
