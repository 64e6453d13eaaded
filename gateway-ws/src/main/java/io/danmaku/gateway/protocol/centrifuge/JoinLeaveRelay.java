package io.danmaku.gateway.protocol.centrifuge;

import io.danmaku.gateway.room.JoinLeaveHook;
import io.danmaku.gateway.room.JoinLeaveRooms;
import io.danmaku.gateway.room.Member;
import io.danmaku.gateway.room.RoomRegistry;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.store.JoinLeaveEvent;
import io.danmaku.protocol.store.PresenceMember;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Join and leave pushes across gateways. A member joining or leaving a room of {@code gateway.join-leave.rooms}
 * ({@link JoinLeaveHook}, on its loop) becomes a {@link JoinLeaveEvent} on the hot store's control channel, unless the
 * room has more connections than {@code gateway.join-leave.max-members} (its count over all gateways, read from the
 * hot store at that moment; no read when this gateway alone holds more). Every gateway, this one included, gets the
 * event from the channel ({@link #deliver}) and writes Centrifugo's push
 * {@code {"push":{"channel":…,"join":{"info":{"user","client","conn_info"}}}}} (or {@code "leave"}; the same push in
 * the Protobuf format) to its members of the room that subscribed with {@code join_leave: true}, each in its own
 * format. The events are ephemeral: never in the
 * room's message stream, history or recovery.
 */
public final class JoinLeaveRelay implements JoinLeaveHook {
    private static final Logger log = LoggerFactory.getLogger(JoinLeaveRelay.class);

    private final JoinLeaveRooms rooms;
    private final RoomRegistry registry;
    private final HotStore store;
    private final Counter published;
    private final Counter suppressed;
    private final Counter failed;

    public JoinLeaveRelay(JoinLeaveRooms rooms, RoomRegistry registry, HotStore store, MeterRegistry meters) {
        this.rooms = rooms;
        this.registry = registry;
        this.store = store;
        this.published = counter(meters, "published");
        this.suppressed = counter(meters, "suppressed");
        this.failed = counter(meters, "failed");
    }

    private static Counter counter(MeterRegistry meters, String outcome) {
        return Counter.builder("danmaku.gateway.join-leave.events")
                .description("Join and leave events of this gateway's members: published, suppressed (room over "
                        + "gateway.join-leave.max-members) or failed (the hot store did not take them)")
                .tag("outcome", outcome)
                .register(meters);
    }

    @Override
    public void joined(String room, Member member) {
        emit(room, member, true);
    }

    @Override
    public void left(String room, Member member) {
        emit(room, member, false);
    }

    private void emit(String room, Member member, boolean join) {
        if (!rooms.enabled(room)) {
            return;
        }
        PresenceMember who = member.presence();
        if (who == null) {
            return;
        }
        if (registry.localCount(room) > rooms.maxMembers()) {
            suppressed.increment();
            return;
        }
        JoinLeaveEvent event = new JoinLeaveEvent(room, join, who.userId(), who.clientId(), who.connInfo());
        store.online(room).whenComplete((count, err) -> {
            long total = err != null || count == null ? registry.localCount(room) : registry.currentTotal(room, count);
            if (total > rooms.maxMembers()) {
                suppressed.increment();
                return;
            }
            store.publishControl(event).whenComplete((v, e) -> {
                if (e != null) {
                    failed.increment();
                    log.debug("{} of {} in {} not published: {}", join ? "join" : "leave", who.clientId(), room,
                            e.toString());
                } else {
                    published.increment();
                }
            });
        });
    }

    /** An event from the control channel (any gateway's, this one's too): to this gateway's members of the room. */
    public void deliver(JoinLeaveEvent e) {
        if (!rooms.enabled(e.room())) {
            return;
        }
        registry.pushJoinLeave(e.room(), e);
    }
}
