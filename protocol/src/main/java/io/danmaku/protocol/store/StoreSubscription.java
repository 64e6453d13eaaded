package io.danmaku.protocol.store;

/** A running {@link HotStore} subscription; {@link #close()} stops delivery. */
public interface StoreSubscription extends AutoCloseable {
    @Override
    void close();
}
