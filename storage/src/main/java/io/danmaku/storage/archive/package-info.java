/**
 * The archive: every record the storage tier consumes, kept (for good, or for a retention) in compressed NDJSON segments laid out
 * {@code <root>/<stream>/<firstOffset>.ndjson.zst} (one directory per stream of the bus: a Kafka partition, or
 * a room of the memory bus), each with a small JSON index of its offset and time ranges and rooms.
 * {@link io.danmaku.storage.archive.ArchiveWriter} appends batches crash-safely and exactly once per offset
 * (fsync before acknowledging; recovery of torn files; replays skipped by offset) and rolls segments by size
 * and age; {@link io.danmaku.storage.archive.ArchiveReader} serves time-range reads of one room from the
 * segments that can hold it. {@link io.danmaku.storage.archive.ArchiveSink} is the seam the storage service
 * writes through. Sealed segments live in an {@link io.danmaku.storage.archive.ArchiveStore}: the archive directory
 * ({@link io.danmaku.storage.archive.LocalArchiveStore}) or an S3-compatible bucket every storage process shares
 * ({@link io.danmaku.storage.archive.S3ArchiveStore}, configured by {@link io.danmaku.storage.archive.S3ArchiveConfig}).
 */
package io.danmaku.storage.archive;
