/**
 * The storage tier's HTTP API: {@link io.danmaku.storage.api.HistoryApi} serves a room's history by time
 * ({@code GET /api/rooms/{room}/history}) from the hot store and the archive; {@link
 * io.danmaku.storage.api.TimelineApi} serves the same messages by position in a room's recording
 * ({@code GET /api/rooms/{room}/timeline}, 6-minute segments, cacheable); {@link io.danmaku.storage.api.RoomsApi}
 * puts the two on one path prefix. All sit behind the transport-neutral
 * {@code HttpApi} seam, so the gateway can route to it in standalone mode, and
 * the storage role serves it on a port of its own (the server module's {@code ApiHttpServer}).
 */
package io.danmaku.storage.api;
