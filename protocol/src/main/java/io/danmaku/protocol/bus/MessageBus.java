package io.danmaku.protocol.bus;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The durable, ordered stream of room messages. Implementations: {@code KafkaMessageBus} (topic
 * {@code danmaku.room-messages}, key = room, offset = Kafka offset + 1, epoch = topic id + partition) and
 * {@link io.danmaku.protocol.memory.MemoryMessageBus} (per-room sequence, one epoch per process).
 *
 * <p>All methods are non-blocking and safe to call from any thread, including Netty event loops.
 */
public interface MessageBus extends AutoCloseable {

    /**
     * Publishes a batch. The future completes, with one position per message in the batch's order, only when
     * every message is durable; it fails with {@link BusUnavailableException} when they could not be made
     * durable within the bus's deadline (some may then still have been written: callers report
     * {@code unavailable}, never success). Per room, positions follow publish order.
     */
    CompletableFuture<List<BusPosition>> publish(List<BusMessage> batch);

    /** Publishes one message; see {@link #publish(List)}. */
    default CompletableFuture<BusPosition> publish(BusMessage message) {
        return publish(List.of(message)).thenApply(positions -> positions.get(0));
    }

    /** The current epoch of the room's stream (known without I/O once the bus is started). */
    String epoch(String room);

    /**
     * The totally ordered stream {@code record} belongs to, as a relative path of safe segments: offsets
     * strictly increase within it. The archive lays its segment files out by it. By default every room is
     * its own stream ({@code <epoch>/<room>}); the Kafka bus answers {@code <topic>/<partition>}, since a
     * partition orders all of its rooms.
     */
    default String streamOf(io.danmaku.protocol.RoomRecord record) {
        return record.epoch() + "/" + record.room();
    }

    /**
     * Subscribes to every room from the current end of the stream (no group, no commits): the gateway
     * fan-out feed. Records published after this call returns are delivered.
     */
    BusSubscription subscribeAll(BusListener listener);

    /**
     * Joins consumer group {@code group} and consumes from its committed position (or the beginning for a
     * new group), at least once; see {@link GroupListener}. The records carry the {@link BusMessage#traceId()} they
     * were published with.
     */
    BusSubscription subscribeGroup(String group, GroupListener listener);

    /**
     * Whether the bus's backend answered its latest health check: false once it could not be reached for a while,
     * true again as soon as it answers. Answers at once from state kept by the bus (never does I/O); a process
     * reports itself not ready while it is false. The memory bus is always reachable.
     */
    default boolean reachable() {
        return true;
    }

    /** Stops all subscriptions and releases resources; publishes after close fail. */
    @Override
    void close();
}
