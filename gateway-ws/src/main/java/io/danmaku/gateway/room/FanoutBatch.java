package io.danmaku.gateway.room;

import io.danmaku.protocol.RoomRecord;
import java.util.List;

/**
 * What one bus poll brings a room's members on a loop: the records every member gets ({@code shared}, the room's
 * sample when its fan-out is sampled, else everything), and the posts sampled out of it, which only their authors'
 * connections get. Both ascending by offset. Immutable; handed from the bus thread to the loops.
 */
record FanoutBatch(List<RoomRecord> shared, List<OwnPost> sampledOut) {

    /** A batch of a room that is not sampled: every record to every member. */
    static FanoutBatch all(List<RoomRecord> records) {
        return new FanoutBatch(records, List.of());
    }

    /** A chat post left out of the sample: still delivered to the connections of {@code author}. */
    record OwnPost(RoomRecord record, String author) {
    }
}
