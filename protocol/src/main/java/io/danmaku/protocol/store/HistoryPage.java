package io.danmaku.protocol.store;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.RoomRecord;
import java.util.List;

/**
 * A slice of a room's history.
 *
 * @param epoch the epoch of the stored stream ({@code ""} when the room has no stored history)
 * @param topOffset offset of the newest stored record ({@code 0} when none)
 * @param floorOffset every record with an offset greater than this is retained: a client that saw offset
 *     {@code n >= floorOffset} in this epoch can recover completely ({@code 0} while nothing was trimmed)
 * @param records the requested records, ascending by offset, or descending for a reverse query
 */
public record HistoryPage(String epoch, long topOffset, long floorOffset, List<RoomRecord> records) {
    public HistoryPage {
        requireNonNull(epoch, "epoch");
        records = List.copyOf(records);
    }

    public static HistoryPage empty() {
        return new HistoryPage("", 0, 0, List.of());
    }

    /**
     * Whether every stored record after {@code offset} of {@code epoch} is still retained (records newer than
     * {@code topOffset} may exist on the bus and not be stored yet).
     */
    public boolean covers(long offset, String epoch) {
        return this.epoch.equals(epoch) && offset >= floorOffset;
    }
}
