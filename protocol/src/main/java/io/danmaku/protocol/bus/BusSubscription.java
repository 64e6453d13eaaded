package io.danmaku.protocol.bus;

/** A running subscription; {@link #close()} stops delivery and waits for the batch in progress. */
public interface BusSubscription extends AutoCloseable {
    @Override
    void close();
}
