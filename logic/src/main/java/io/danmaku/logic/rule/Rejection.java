package io.danmaku.logic.rule;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.post.RejectReason;

/** Why a rule refused a post: the reason code and a message naming the field at fault. */
public record Rejection(RejectReason reason, String message) {
    public Rejection {
        requireNonNull(reason, "reason");
        requireNonNull(message, "message");
    }

    /** The message prefixed with the reason code, e.g. {@code "too_long: text: 101 code points (…)"}. */
    public String describe() {
        return reason.code() + ": " + message;
    }
}
