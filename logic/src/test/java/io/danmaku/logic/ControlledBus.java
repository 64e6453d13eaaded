package io.danmaku.logic;

import io.danmaku.protocol.bus.BusListener;
import io.danmaku.protocol.bus.BusMessage;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.bus.BusSubscription;
import io.danmaku.protocol.bus.BusUnavailableException;
import io.danmaku.protocol.bus.GroupListener;
import io.danmaku.protocol.bus.MessageBus;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A bus whose publishes fail at once ({@link Mode#FAIL}), are never acknowledged ({@link Mode#HANG}) or throw
 * ({@link Mode#THROW}).
 */
public final class ControlledBus implements MessageBus {
    public enum Mode { FAIL, HANG, THROW }

    private final Mode mode;
    public final List<List<BusMessage>> published = new CopyOnWriteArrayList<>();

    public ControlledBus(Mode mode) {
        this.mode = mode;
    }

    @Override
    public CompletableFuture<List<BusPosition>> publish(List<BusMessage> batch) {
        published.add(batch);
        if (mode == Mode.THROW) {
            throw new IllegalStateException("bus broken (test)");
        }
        return mode == Mode.FAIL
                ? CompletableFuture.failedFuture(new BusUnavailableException("broker down (test)"))
                : new CompletableFuture<>();
    }

    @Override
    public String epoch(String room) {
        return "test";
    }

    @Override
    public BusSubscription subscribeAll(BusListener listener) {
        return () -> { };
    }

    @Override
    public BusSubscription subscribeGroup(String group, GroupListener listener) {
        return () -> { };
    }

    @Override
    public void close() {
    }
}
