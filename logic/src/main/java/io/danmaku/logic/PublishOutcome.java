package io.danmaku.logic;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.post.RejectReason;
import java.util.List;

/**
 * The answer to a server API publish: accepted with one id and one durable position per room (in the order of
 * the rooms asked for), or rejected with a reason and a message naming the field at fault.
 */
public record PublishOutcome(List<String> ids, List<BusPosition> positions, RejectReason reason, String message) {

    public static PublishOutcome accepted(List<String> ids, List<BusPosition> positions) {
        return new PublishOutcome(List.copyOf(ids), List.copyOf(positions), null, null);
    }

    public static PublishOutcome rejected(RejectReason reason, String message) {
        return new PublishOutcome(List.of(), List.of(), requireNonNull(reason, "reason"),
                requireNonNull(message, "message"));
    }

    public boolean accepted() {
        return reason == null;
    }
}
