package io.danmaku.protocol.bus;

import io.danmaku.protocol.RoomRecord;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Consumes the stream as a member of a consumer group (storage), at least once. The bus hands over the next
 * batch only after the stage returned for the previous one completed; a batch whose stage failed is handed
 * over again (after a backoff) and its position is not committed, so nothing accepted is lost. Writes must
 * therefore be idempotent by (room, offset). A stage that fails with {@link RewindException} restarts the named
 * streams further back.
 */
@FunctionalInterface
public interface GroupListener {
    CompletionStage<Void> onRecords(List<RoomRecord> records);

    /**
     * This member stops consuming {@code streams} ({@link MessageBus#streamOf}; Kafka partitions moving to
     * another member of the group). Called on the bus's consumer thread before another member gets them, after
     * the stage of any batch in progress was handed back (it may still be pending: its position of these streams
     * is not committed then); it may block for a short, bounded time (the rebalance waits for it). {@code lost}
     * is true when the membership was lost (the others may already have the streams): then nothing must be
     * written for them any more. The memory bus never calls it.
     */
    default void onStreamsRevoked(Set<String> streams, boolean lost) {
    }
}
