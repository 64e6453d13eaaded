package io.danmaku.protocol.api;

import java.util.concurrent.CompletableFuture;

/**
 * Serves requests under a path prefix (e.g. {@code /api/}). Non-blocking; the future never completes
 * exceptionally (errors are responses).
 */
@FunctionalInterface
public interface HttpApi {
    CompletableFuture<ApiResponse> handle(ApiRequest request);
}
