package io.danmaku.gateway.room;

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
     * Writes a join or leave push (the bytes of one whole message of the member's protocol, shared: not to be
     * modified) to a member that asked for them ({@link RoomSubscription#joinLeave(boolean)}); dropped when the
     * connection is not writable. Does nothing by default.
     */
    default void pushJoinLeave(byte[] push) {
    }

    /** This connection as the room's presence lists it; null when it is not listed. */
    default PresenceMember presence() {
        return null;
    }
}
