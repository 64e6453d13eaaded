package io.danmaku.protocol.post;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.trace.TraceId;

/**
 * A danmaku post as a client sent it, not yet validated: every field may be out of range (logic checks).
 *
 * @param user the authenticated poster; {@code null} for an anonymous connection (rejected)
 * @param color 0xRRGGBB, or {@code null} for the default
 * @param mode 1 scroll, 4 bottom, 5 top, or {@code null} for the default
 * @param clientMsgId the client's idempotency key, or {@code null}
 * @param traceId the post's trace id (made by the gateway when the post arrived), or {@code null}: it names the
 *     post in log lines of every tier and is carried to the bus with it
 */
public record PostRequest(String room, UserRef user, String text, Integer color, Integer mode, String clientMsgId,
                          TraceId traceId) {
    public PostRequest {
        requireNonNull(room, "room");
    }

    /** A post without a trace id. */
    public PostRequest(String room, UserRef user, String text, Integer color, Integer mode, String clientMsgId) {
        this(room, user, text, color, mode, clientMsgId, null);
    }
}
