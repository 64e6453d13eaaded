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
 * @param progressMillis milliseconds into the video when the viewer posted, for a video that is not live: the
 *     message's position on the room's timeline; {@code null} for none (the position derives from the time)
 */
public record PostRequest(String room, UserRef user, String text, Integer color, Integer mode, String clientMsgId,
                          TraceId traceId, Long progressMillis) {
    /** The largest {@code progressMillis} logic takes: 30 days of video. */
    public static final long MAX_PROGRESS_MILLIS = 30L * 24 * 3600 * 1000;

    public PostRequest {
        requireNonNull(room, "room");
    }

    /** A post without a progress. */
    public PostRequest(String room, UserRef user, String text, Integer color, Integer mode, String clientMsgId,
                       TraceId traceId) {
        this(room, user, text, color, mode, clientMsgId, traceId, null);
    }

    /** A post without a trace id. */
    public PostRequest(String room, UserRef user, String text, Integer color, Integer mode, String clientMsgId) {
        this(room, user, text, color, mode, clientMsgId, null);
    }
}
