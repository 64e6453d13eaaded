package io.danmaku.protocol.store;

/**
 * Receives the {@link DisconnectRequest}s published through a store ({@link HotStore#subscribeDisconnects}). Called
 * on a store thread: implementations hand the work to their own threads and return.
 */
public interface DisconnectListener {

    /** Close the matching connections this process holds. */
    void disconnect(DisconnectRequest request);

    /**
     * The subscription is established (again, after a cut): requests published from now on arrive. Requests
     * published while it was cut are lost. Does nothing by default.
     */
    default void subscribed() {
    }
}
