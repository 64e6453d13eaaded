package io.danmaku.gateway.protocol.centrifuge;

import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.store.PresenceMember;
import java.util.List;

/**
 * What the server sends on a Centrifugo connection, whatever the wire format ({@link CentrifugeCodec}): a reply to
 * a command (its {@code id} is the command's, 0 when the command had none) or a push (no id). Publications are the
 * stored records; the codec writes each one's {@code data} as {@link PublicationJson} does, in either format. A
 * room's live batches do not come through here: they are encoded once per batch by the codec's
 * {@link CentrifugeCodec#batchEncoder()}.
 */
public sealed interface CentrifugeReply {

    // ---- replies ----------------------------------------------------------------------------------------------

    /** An error reply: {@code temporary} tells the SDK it may retry. */
    record Error(long id, int code, String message, boolean temporary) implements CentrifugeReply {
    }

    /**
     * {@code connect}: the client id, the server version, the ping interval in seconds, pong expected; {@code data}
     * for the client (JSON, the connect proxy's {@code data}), null when none.
     */
    record Connect(long id, String client, String version, long pingSeconds, boolean pong, byte[] data)
            implements CentrifugeReply {
    }

    record Refresh(long id, String client, String version) implements CentrifugeReply {
    }

    /** {@code subscribe} (a reply) or, with {@code id} {@link #PUSH}, the push of a server-side subscribe. */
    record Subscribe(long id, String channel, SubscribeResult result) implements CentrifugeReply {
        /** The id of a subscribe that is a push ({@code {"push":{"channel":…,"subscribe":{…}}}}). */
        static final long PUSH = -1;
    }

    /**
     * A subscription's position: always recoverable, with its epoch and top offset; {@code wasRecovering} and
     * {@code recovered} only when the client asked to recover, and the publications it missed;
     * {@code ttlSeconds} when the subscription expires (a private room with {@code gateway.token.expiry=close}:
     * the SDK sends {@code sub_refresh} before then), 0 when it does not.
     */
    record SubscribeResult(String epoch, long offset, boolean wasRecovering, boolean recovered,
                           List<RoomRecord> publications, long ttlSeconds) {
    }

    record Unsubscribe(long id) implements CentrifugeReply {
    }

    record Publish(long id) implements CentrifugeReply {
    }

    record History(long id, List<RoomRecord> publications, String epoch, long offset) implements CentrifugeReply {
    }

    record PresenceStats(long id, long numClients, long numUsers) implements CentrifugeReply {
    }

    /** {@code presence}: each member's client, user and {@code conn_info} (JSON, or null). */
    record Presence(long id, List<PresenceMember> members) implements CentrifugeReply {
    }

    /** {@code sub_refresh}: whether the subscription now expires, and in how many seconds. */
    record SubRefresh(long id, boolean expires, long ttlSeconds) implements CentrifugeReply {
    }

    /** The answer to the client's {@code ping} command: an empty result. */
    record Ping(long id) implements CentrifugeReply {
    }

    /** {@code rpc}: {@code data} is JSON (the JSON protocol embeds it raw; Protobuf carries the bytes). */
    record Rpc(long id, byte[] data) implements CentrifugeReply {
    }

    // ---- pushes -------------------------------------------------------------------------------------------------

    /** The server left {@code channel} for the client; 2000 = server unsubscribe (final for the SDKs). */
    record UnsubscribePush(String channel, int code, String reason) implements CentrifugeReply {
    }

    /** A member joined {@code channel} (rooms with join/leave enabled). */
    record JoinPush(String channel, PresenceMember info) implements CentrifugeReply {
    }

    /** A member left {@code channel}. */
    record LeavePush(String channel, PresenceMember info) implements CentrifugeReply {
    }

    /** An asynchronous message to this connection; {@code data} is JSON. */
    record MessagePush(byte[] data) implements CentrifugeReply {
    }

    /** The server tells the client why it is closing the connection (sent before the close frame). */
    record DisconnectPush(int code, String reason, boolean reconnect) implements CentrifugeReply {
    }

    /** The connection's expiry changed (the server API's refresh). */
    record RefreshPush(boolean expires, long ttlSeconds) implements CentrifugeReply {
    }
}
