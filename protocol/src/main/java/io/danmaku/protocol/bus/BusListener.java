package io.danmaku.protocol.bus;

import io.danmaku.protocol.RoomRecord;
import java.util.List;

/**
 * Receives the live stream of every room (gateway fan-out). Called from one bus thread at a time with
 * batches in stream order (per room: ascending offsets). Must not block: hand the records on and return.
 * The list and the records may be kept; they are never modified by the bus afterwards.
 */
@FunctionalInterface
public interface BusListener {
    void onRecords(List<RoomRecord> records);
}
