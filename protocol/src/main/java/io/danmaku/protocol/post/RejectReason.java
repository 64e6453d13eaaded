package io.danmaku.protocol.post;

/** Why a post was refused. {@link #code()} is the stable wire and metric name. */
public enum RejectReason {
    /** A field is missing, of the wrong type or out of range; the message names it. */
    BAD_REQUEST("bad_request"),
    /** The room id does not match the room id pattern. */
    INVALID_ROOM("invalid_room"),
    /** The text is longer than allowed. */
    TOO_LONG("too_long"),
    /** The user is not allowed to post (anonymous connection). */
    PERMISSION_DENIED("permission_denied"),
    BANNED("banned"),
    MUTED("muted"),
    RATE_LIMITED("rate_limited"),
    BLOCKED_WORD("blocked_word"),
    /** The same {@code clientMsgId} was already accepted from this user. */
    DUPLICATE("duplicate"),
    /** The bus (or another dependency) could not accept the post in time; retry later. */
    UNAVAILABLE("unavailable");

    private final String code;

    RejectReason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }

    /** True when the same post may succeed later without change. */
    public boolean temporary() {
        return this == RATE_LIMITED || this == UNAVAILABLE;
    }
}
