package io.danmaku.gateway.room;

import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.bus.BusListener;
import java.util.List;

/** Feeds the bus's stream of every room into the registry (runs on the bus thread). */
public final class FanoutDispatcher implements BusListener {
    private final RoomRegistry registry;

    public FanoutDispatcher(RoomRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void onRecords(List<RoomRecord> records) {
        if (!records.isEmpty()) {
            registry.dispatch(records);
        }
    }
}
