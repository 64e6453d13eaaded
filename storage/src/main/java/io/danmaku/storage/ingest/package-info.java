/**
 * Ingestion: {@link io.danmaku.storage.ingest.StorageService} reads the bus as the storage consumer group and
 * writes every batch to the rooms' hot history, acknowledging a batch (so the group commits it) only when
 * every write succeeded; a failed write is retried by the bus, and idempotent writes by (room, offset) keep
 * replays harmless. The archive writer (compressed segments per partition) will join here as a second
 * sink of the same batches, acknowledged only when both sinks succeeded.
 */
package io.danmaku.storage.ingest;
