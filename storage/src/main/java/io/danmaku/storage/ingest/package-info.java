/**
 * Ingestion: {@link io.danmaku.storage.ingest.StorageService} reads the bus as the storage consumer group and
 * writes every batch to the rooms' hot history and to the archive (when configured), acknowledging a batch (so
 * the group commits it) only when both writes succeeded; a failed write is retried by the bus, and idempotent
 * writes by offset on both sides keep replays harmless.
 */
package io.danmaku.storage.ingest;
