package io.danmaku.gateway.protocol.centrifuge;

import io.danmaku.protocol.post.RejectReason;

/** Centrifugo's error and disconnect codes, as the SDKs interpret them. */
final class CentrifugeCodes {
    static final int ERROR_INTERNAL = 100;
    static final int ERROR_UNAUTHORIZED = 101;
    static final int ERROR_UNKNOWN_CHANNEL = 102;
    static final int ERROR_PERMISSION_DENIED = 103;
    static final int ERROR_METHOD_NOT_FOUND = 104;
    static final int ERROR_ALREADY_SUBSCRIBED = 105;
    static final int ERROR_LIMIT_EXCEEDED = 106;
    static final int ERROR_BAD_REQUEST = 107;
    static final int ERROR_NOT_AVAILABLE = 108;
    static final int ERROR_TOKEN_EXPIRED = 109;
    static final int ERROR_TOO_MANY_REQUESTS = 111;

    /** Reconnect codes (3000..3499). */
    static final int DISCONNECT_SHUTDOWN = 3001;
    static final int DISCONNECT_STALE = 3003;
    /** The token expired ({@code gateway.token.expiry=close}); the SDK gets a new token and reconnects. */
    static final int DISCONNECT_EXPIRED = 3005;
    static final int DISCONNECT_SLOW = 3008;
    static final int DISCONNECT_NO_PONG = 3012;
    /** Terminal codes (3500+). */
    static final int DISCONNECT_INVALID_TOKEN = 3500;
    static final int DISCONNECT_BAD_REQUEST = 3501;
    /** Closed by the server API's {@code disconnect}; the SDK does not reconnect. */
    static final int DISCONNECT_FORCE_NO_RECONNECT = 3503;

    private CentrifugeCodes() {
    }

    static int errorCode(RejectReason reason) {
        return switch (reason) {
            case BAD_REQUEST, INVALID_ROOM, TOO_LONG, BLOCKED_WORD, DUPLICATE -> ERROR_BAD_REQUEST;
            case PERMISSION_DENIED, BANNED, MUTED -> ERROR_PERMISSION_DENIED;
            case RATE_LIMITED -> ERROR_TOO_MANY_REQUESTS;
            case UNAVAILABLE -> ERROR_NOT_AVAILABLE;
        };
    }
}
