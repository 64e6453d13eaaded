package io.danmaku.storage.api;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.api.ApiRequest;
import io.danmaku.protocol.api.ApiResponse;
import io.danmaku.protocol.api.HttpApi;
import java.util.concurrent.CompletableFuture;

/**
 * The storage tier's HTTP API under {@code /api/rooms/}: {@code {room}/timeline} goes to the {@link TimelineApi},
 * everything else to the {@link HistoryApi} (which answers 404 for what it does not know).
 */
public final class RoomsApi implements HttpApi {
    private final HistoryApi history;
    private final TimelineApi timeline;

    public RoomsApi(HistoryApi history, TimelineApi timeline) {
        this.history = requireNonNull(history, "history");
        this.timeline = requireNonNull(timeline, "timeline");
    }

    @Override
    public CompletableFuture<ApiResponse> handle(ApiRequest request) {
        return (request.path().endsWith(TimelineApi.PATH_SUFFIX) ? timeline : history).handle(request);
    }
}
