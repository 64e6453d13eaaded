package io.danmaku.gateway.protocol.centrifuge;

import io.danmaku.gateway.room.RoomSubscription;

/**
 * Centrifugo's "insufficient state" signal, sent when a subscription fell further behind than the room's recent
 * ring holds (batches skipped while the connection was not writable, see {@link RoomSubscription}): the client
 * cannot be given a continuous stream, so it is told, and the SDK subscribes again, recovering from history with
 * the offset and epoch of the last publication it got.
 *
 * <p>A subscription the client made gets the unsubscribe push
 * {@code {"push":{"channel":"room1","unsubscribe":{"code":2500,"reason":"insufficient state"}}}} (codes from 2500
 * on mean "subscribe again" to the SDKs). One the server made (the server API's subscribe) cannot be subscribed
 * again by the client, so, as Centrifugo does, the connection is closed with 3010 "insufficient state", a
 * reconnect code.
 */
final class InsufficientState {
    /** Unsubscribe code: the SDK resubscribes (and recovers, the subscription being recoverable). */
    static final int UNSUBSCRIBE_CODE = 2500;
    /** Disconnect code: the SDK reconnects. */
    static final int DISCONNECT_CODE = 3010;
    static final String REASON = "insufficient state";

    private InsufficientState() {
    }

    /** Whether the signal is a disconnect (server-side subscription) rather than an unsubscribe push. */
    static boolean disconnects(RoomSubscription sub) {
        return sub.serverSide();
    }
}
