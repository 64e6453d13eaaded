package io.danmaku.protocol.bus;

import io.danmaku.protocol.RoomRecord;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Consumes the stream as a member of a consumer group (storage), at least once. The bus hands over the next
 * batch only after the stage returned for the previous one completed; a batch whose stage failed is handed
 * over again (after a backoff) and its position is not committed, so nothing accepted is lost. Writes must
 * therefore be idempotent by (room, offset).
 */
@FunctionalInterface
public interface GroupListener {
    CompletionStage<Void> onRecords(List<RoomRecord> records);
}
