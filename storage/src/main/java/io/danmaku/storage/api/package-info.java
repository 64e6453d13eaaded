/**
 * The storage tier's HTTP API: {@link io.danmaku.storage.api.HistoryApi} serves a room's history by time
 * ({@code GET /api/rooms/{room}/history}) from the hot store and the archive, behind the transport-neutral
 * {@code HttpApi} seam, so the gateway can route to it in standalone mode, and
 * the storage role serves it on a port of its own (the server module's {@code ApiHttpServer}).
 */
package io.danmaku.storage.api;
