package io.danmaku.protocol.post;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.bus.BusPosition;

/**
 * The answer to a post: accepted with the message id and its durable position, or rejected with a reason and
 * a human-readable message naming the field at fault.
 */
public record PostResult(String id, BusPosition position, RejectReason reason, String message) {

    public static PostResult accepted(String id, BusPosition position) {
        return new PostResult(requireNonNull(id, "id"), requireNonNull(position, "position"), null, null);
    }

    public static PostResult rejected(RejectReason reason, String message) {
        return new PostResult(null, null, requireNonNull(reason, "reason"), requireNonNull(message, "message"));
    }

    public boolean accepted() {
        return reason == null;
    }
}
