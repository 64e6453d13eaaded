package io.danmaku.gateway.room;

import io.danmaku.protocol.RoomRecord;
import java.util.List;

/**
 * What a room's recent ring held after a given offset at the moment a member joined.
 *
 * @param epoch null if the ring never held a record
 * @param coveredFrom every record with an offset greater than this is held; -1 when unknown
 * @param top newest held offset, -1 when empty
 * @param after the held records newer than the requested offset, ascending
 */
public record RingSnapshot(String epoch, long coveredFrom, long top, List<RoomRecord> after) {
    public RingSnapshot {
        after = List.copyOf(after);
    }

    /**
     * Whether the ring holds every record after {@code offset} of {@code clientEpoch}. A position newer than
     * {@code top} is covered too: this gateway has not seen those records yet, and they reach the member live
     * because it joined before this snapshot was taken.
     */
    public boolean covers(long offset, String clientEpoch) {
        return epoch != null && epoch.equals(clientEpoch) && coveredFrom >= 0 && offset >= coveredFrom;
    }

    public boolean empty() {
        return epoch == null;
    }
}
