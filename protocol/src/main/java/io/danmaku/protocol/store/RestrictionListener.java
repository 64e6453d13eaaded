package io.danmaku.protocol.store;

/**
 * Receives the {@link RestrictionChange}s of a store ({@link HotStore#subscribeRestrictions}). Called on a store
 * thread: implementations only update their own state and return.
 */
public interface RestrictionListener {

    /** A ban, unban, mute or unmute was made: forget the cached state it concerns. */
    void changed(RestrictionChange change);

    /**
     * Changes may have been missed (the subscription was cut and is back, or it is new): forget every cached
     * state. Also called once when the subscription is established.
     */
    void reset();
}
