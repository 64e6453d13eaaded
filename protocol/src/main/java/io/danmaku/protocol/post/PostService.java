package io.danmaku.protocol.post;

import java.util.concurrent.CompletableFuture;

/**
 * Validates and publishes danmaku posts. Non-blocking; the future never completes exceptionally: every
 * failure is a {@link PostResult#rejected rejection} with a reason ({@code unavailable} for infrastructure
 * failures), so the caller always has an answer to send.
 */
@FunctionalInterface
public interface PostService {
    CompletableFuture<PostResult> post(PostRequest request);
}
