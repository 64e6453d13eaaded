package io.danmaku.protocol.store;

/**
 * Receives the {@link ControlMessage}s published through a store ({@link HotStore#subscribeControl}). Called on a
 * store thread: implementations hand the work to their own threads and return.
 */
public interface ControlListener {

    /** Act on the matching connections this process holds (close, subscribe, unsubscribe, refresh). */
    void control(ControlMessage message);

    /**
     * The subscription is established (again, after a cut): messages published from now on arrive. Messages
     * published while it was cut are lost. Does nothing by default.
     */
    default void subscribed() {
    }
}
