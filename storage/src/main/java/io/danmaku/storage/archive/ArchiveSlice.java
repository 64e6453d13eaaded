package io.danmaku.storage.archive;

import io.danmaku.protocol.RoomRecord;
import java.util.List;

/**
 * What a time-range read of the archive found: the earliest records of the room in the range, in
 * {@link ArchiveReader#HISTORY_ORDER}, and whether more records of the range exist beyond them.
 */
public record ArchiveSlice(List<RoomRecord> records, boolean truncated) {
    public ArchiveSlice {
        records = List.copyOf(records);
    }
}
