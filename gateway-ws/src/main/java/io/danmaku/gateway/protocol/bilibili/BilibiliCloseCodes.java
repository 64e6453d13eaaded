package io.danmaku.gateway.protocol.bilibili;

/**
 * WebSocket close codes of {@code /sub}. The open clients do not interpret close codes (they reconnect on any
 * close); the codes are for operators, as the {@code code} tag of {@code danmaku.gateway.disconnects}.
 */
public final class BilibiliCloseCodes {
    /** The client closed; the server echoed its code. */
    public static final int NORMAL = 1000;
    /** Malformed header, length or body; an op out of order or unknown; a bad auth body. */
    public static final int PROTOCOL_ERROR = 1002;
    /** A text frame: this endpoint speaks binary packets only. */
    public static final int TEXT_FRAME = 1003;
    /** Auth refused (bad or expired key, anonymous access disabled, room not allowed), after op 8 code -101. */
    public static final int AUTH_REFUSED = 1008;
    /** A packet or frame over the size limit. */
    public static final int TOO_BIG = 1009;
    /** A server fault. */
    public static final int INTERNAL_ERROR = 1011;
    /** No auth packet within {@code gateway.connect.timeout} of the WebSocket opening. */
    public static final int AUTH_TIMEOUT = 4000;
    /** No heartbeat (op 2) for {@link BilibiliHandler#HEARTBEAT_TIMEOUT}. */
    public static final int HEARTBEAT_TIMEOUT = 4001;
    /**
     * Unwritable for longer than {@code gateway.slow-client.timeout}: dropped without a close frame (its buffer
     * is full), counted under this code.
     */
    public static final int SLOW = 4002;
    /** Closed by the server API's {@code disconnect} (the clients reconnect on any close: ban the user too). */
    public static final int FORCED_DISCONNECT = 4003;
    /** The token expired ({@code gateway.token.expiry=close}). */
    public static final int EXPIRED = 4004;

    /**
     * Batches were skipped while the connection was not writable and the room's recent ring ({@code
     * gateway.ring.size}) no longer holds all it missed: closed so that the client knows, and reconnects, rather
     * than going on with a silent gap.
     */
    public static final int FELL_BEHIND = 4005;

    private BilibiliCloseCodes() {
    }
}
