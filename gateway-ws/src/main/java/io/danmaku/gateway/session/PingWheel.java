package io.danmaku.gateway.session;

import static java.util.Objects.requireNonNull;

import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The periodic ticks (pings, liveness checks) of one event loop's sessions without a scheduled task per
 * connection: a session sits in one of {@link #SLOTS} buckets, and every {@code period / SLOTS} the loop visits
 * the next bucket, so each session is ticked once per period, its first tick between one slot short of a period
 * and a period after it joined. A session costs a list slot and two ints instead of a timer task, which matters
 * with many idle connections. Confined to its loop; the loop's task starts with the first session.
 */
public final class PingWheel {
    static final int SLOTS = 32;

    private final EventLoop loop;
    private final long tickNanos;
    @SuppressWarnings("unchecked")
    private final ArrayList<WebSocketSession>[] slots = new ArrayList[SLOTS];
    /** The slot visited by the next tick. */
    private int cursor;
    private boolean running;

    PingWheel(EventLoop loop, Duration period) {
        this.loop = requireNonNull(loop, "loop");
        this.tickNanos = Math.max(1, period.toNanos() / SLOTS);
        for (int i = 0; i < SLOTS; i++) {
            slots[i] = new ArrayList<>();
        }
    }

    /** Ticks {@code s} from now on, once per period; no-op if it is ticked already. */
    void add(WebSocketSession s) {
        assert loop.inEventLoop();
        if (s.wheelSlot >= 0) {
            return;
        }
        int slot = (cursor + SLOTS - 1) % SLOTS; // the slot visited last of the coming round
        ArrayList<WebSocketSession> list = slots[slot];
        s.wheelSlot = slot;
        s.wheelIndex = list.size();
        list.add(s);
        if (!running) {
            running = true;
            loop.scheduleAtFixedRate(this::tick, tickNanos, tickNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Stops ticking {@code s}; no-op if it is not ticked. */
    void remove(WebSocketSession s) {
        assert loop.inEventLoop();
        int slot = s.wheelSlot;
        if (slot < 0) {
            return;
        }
        ArrayList<WebSocketSession> list = slots[slot];
        int i = s.wheelIndex;
        WebSocketSession last = list.remove(list.size() - 1);
        if (last != s) {
            list.set(i, last);
            last.wheelIndex = i;
        }
        s.wheelSlot = -1;
        s.wheelIndex = -1;
    }

    /** Sessions ticked by this wheel. */
    int size() {
        int n = 0;
        for (ArrayList<WebSocketSession> list : slots) {
            n += list.size();
        }
        return n;
    }

    private void tick() {
        ArrayList<WebSocketSession> list = slots[cursor];
        cursor = (cursor + 1) % SLOTS;
        long now = System.nanoTime();
        // backwards: a session that leaves during its tick is replaced by one already visited
        for (int i = list.size() - 1; i >= 0; i--) {
            if (i < list.size()) {
                list.get(i).tick(now);
            }
        }
    }
}
