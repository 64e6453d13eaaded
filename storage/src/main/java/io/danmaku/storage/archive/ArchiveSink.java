package io.danmaku.storage.archive;

import io.danmaku.protocol.RoomRecord;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where the storage tier archives what it consumes. {@link ArchiveWriter} is the implementation; the storage
 * service depends on this seam so that tests can put a failing one in front of it.
 */
@FunctionalInterface
public interface ArchiveSink {

    /**
     * Archives records (any rooms, each stream in ascending offsets) durably. The future completes only when
     * every record is on stable storage, and fails when any is not; then the same batch is handed over again.
     * Idempotent: records at or below a stream's last archived offset are skipped, so a replay is a no-op.
     */
    CompletableFuture<Void> append(List<RoomRecord> records);

    /**
     * Marks the messages that {@code retractions} (retraction records, {@link io.danmaku.protocol.Retraction})
     * name as deleted: a tombstone per retraction, so history reads of the archive leave them out. Durable when
     * the future completes; idempotent. A sink without tombstones does nothing.
     */
    default CompletableFuture<Void> retract(List<RoomRecord> retractions) {
        return CompletableFuture.completedFuture(null);
    }
}
