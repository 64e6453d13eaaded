package io.danmaku.server.http;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.api.ApiRequest;
import io.danmaku.protocol.api.ApiResponse;
import io.danmaku.protocol.api.HttpApi;
import java.util.concurrent.CompletableFuture;

/**
 * Sends requests under one path prefix to one API and everything else to another: standalone serves storage's
 * history API ({@code /api/rooms/}) and logic's server API (the rest of {@code /api/}) on one port.
 */
public final class RoutingApi implements HttpApi {
    private final String prefix;
    private final HttpApi matching;
    private final HttpApi otherwise;

    public RoutingApi(String prefix, HttpApi matching, HttpApi otherwise) {
        this.prefix = requireNonNull(prefix, "prefix");
        this.matching = requireNonNull(matching, "matching");
        this.otherwise = requireNonNull(otherwise, "otherwise");
    }

    @Override
    public CompletableFuture<ApiResponse> handle(ApiRequest request) {
        return (request.path().startsWith(prefix) ? matching : otherwise).handle(request);
    }
}
