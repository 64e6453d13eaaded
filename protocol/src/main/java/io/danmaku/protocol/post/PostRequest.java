package io.danmaku.protocol.post;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.UserRef;

/**
 * A danmaku post as a client sent it, not yet validated: every field may be out of range (logic checks).
 *
 * @param user the authenticated poster; {@code null} for an anonymous connection (rejected)
 * @param color 0xRRGGBB, or {@code null} for the default
 * @param mode 1 scroll, 4 bottom, 5 top, or {@code null} for the default
 * @param clientMsgId the client's idempotency key, or {@code null}
 */
public record PostRequest(String room, UserRef user, String text, Integer color, Integer mode, String clientMsgId) {
    public PostRequest {
        requireNonNull(room, "room");
    }
}
