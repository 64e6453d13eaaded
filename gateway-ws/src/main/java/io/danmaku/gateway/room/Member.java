package io.danmaku.gateway.room;

import io.danmaku.protocol.store.JoinLeaveEvent;
import io.danmaku.protocol.store.PresenceMember;
import io.netty.channel.Channel;

/**
 * A connection as the fan-out engine sees it. All methods are called on the connection's event loop.
 */
public interface Member {
    Channel channel();

    /** The wire format of this connection's room batches. */
    BatchEncoder encoder();

    /**
     * Whether this connection negotiated {@code permessage-deflate}: it then gets the batch frames deflated once
     * per batch and shared, when the batch is worth deflating.
     */
    default boolean permessageDeflate() {
        return false;
    }

    /**
     * Called when a batch was skipped because the connection is not writable; the member decides (by how long
     * it has been unwritable) whether to close itself as a slow consumer.
     */
    void onSkippedBatch(long nowNanos);

    /**
     * Called, once the connection is writable again, for a subscription whose batches were skipped while it was
     * not and whose missed records the room's recent ring no longer holds all of (see {@link RoomSubscription}):
     * the member must tell the client in its protocol's way (so it can recover, or reconnect) and leave the room
     * or close. Never called for a member the ring can catch up. Default: close the connection.
     */
    default void onFellBehind(RoomSubscription sub) {
        channel().close();
    }

    /** The protocol of this connection, as the {@code protocol} tag of the fan-out meters (a bounded set). */
    default String protocol() {
        return "unknown";
    }

    /**
     * The user this connection is signed in as, or null (anonymous). In a room whose fan-out is sampled, a post of
     * this user that the sample leaves out still reaches this connection: a user always sees their own posts. Fixed
     * while the connection is a member of a room.
     */
    default String userId() {
        return null;
    }

    /**
     * Writes a join or leave push, in the member's wire format, to a member that asked for them
     * ({@link RoomSubscription#joinLeave(boolean)}); dropped when the connection is not writable. Join/leave rooms
     * are small ({@code gateway.join-leave.max-members}), so each member encodes its own. Does nothing by default.
     */
    default void pushJoinLeave(JoinLeaveEvent push) {
    }

    /** This connection as the room's presence lists it; null when it is not listed. */
    default PresenceMember presence() {
        return null;
    }
}
