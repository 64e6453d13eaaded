package io.danmaku.bus.kafka;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * The partition of a room: what Kafka's default partitioner picks for the room as a UTF-8 String key
 * (murmur2 of the key bytes, made positive, modulo the partition count). The bus produces with this partition
 * explicitly and derives {@code epoch(room)} from it, so the two can never disagree, and records keyed by room
 * that other tools produce with the default partitioner land in the same partition.
 */
final class RoomPartitioner {
    private RoomPartitioner() {
    }

    static int partition(String room, int partitions) {
        return partition(room.getBytes(StandardCharsets.UTF_8), partitions);
    }

    static int partition(byte[] key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key)) % partitions;
    }
}
