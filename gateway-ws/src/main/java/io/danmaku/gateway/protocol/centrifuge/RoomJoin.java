package io.danmaku.gateway.protocol.centrifuge;

import io.danmaku.gateway.room.LoopShard;
import io.danmaku.gateway.room.Member;
import io.danmaku.gateway.room.RingSnapshot;
import io.danmaku.gateway.room.RoomSubscription;
import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.store.HistoryPage;
import io.danmaku.protocol.store.HistoryQuery;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins a room and finds the position to answer with, recovering what a client missed since {@code offset}
 * when asked: from the gateway's ring of recent messages, else from the hot store's history merged with the ring
 * (complete only if the two connect without a gap). The subscription stays {@link RoomSubscription#recovering()}
 * (batches buffered) until the caller completes it with the outcome's {@code position}, after writing the answer.
 *
 * <p>Used by the Centrifugo protocol's subscribe (client- and server-side) and the unidirectional transports' connect
 * (one outcome per room of the connect push's {@code subs}). Runs on the member's event loop; the outcome is handed
 * back to it.
 */
final class RoomJoin {
    private static final Logger log = LoggerFactory.getLogger(RoomJoin.class);

    private RoomJoin() {
    }

    /**
     * What to tell the client about a new subscription.
     *
     * @param position the newest offset the answer gives (the {@code offset} of the subscribe result)
     * @param publications recovered records, ascending; empty when not recovering
     */
    record Outcome(RoomSubscription subscription, String epoch, long position, boolean wasRecovering,
                   boolean recovered, List<RoomRecord> publications) {
    }

    /**
     * Joins and resolves ({@link #resolve}): returns the new subscription at once; {@code done} runs with the outcome
     * now or later (never if closed).
     *
     * @param since with {@code recover}: the client's last offset (>= 0)
     * @param clientEpoch with {@code recover}: the client's epoch
     */
    static RoomSubscription join(GatewayContext ctx, LoopShard shard, Member member, String room, boolean recover,
                                 long since, String clientEpoch, Consumer<Outcome> done) {
        LoopShard.Joined joined = shard.join(member, room, true, Math.max(since, 0));
        resolve(ctx, shard, joined, room, recover, since, clientEpoch, done);
        return joined.subscription();
    }

    /**
     * Finds the position (and with {@code recover} the missed records) of a subscription just {@code joined} (as
     * recovering); {@code done} runs with the outcome now or later, on the loop (never if the subscription closed).
     * The history the hot store is asked for when the ring cannot answer: a failure answers with what the ring
     * knows (not recovered).
     */
    static void resolve(GatewayContext ctx, LoopShard shard, LoopShard.Joined joined, String room, boolean recover,
                        long since, String clientEpoch, Consumer<Outcome> done) {
        RoomSubscription sub = joined.subscription();
        RingSnapshot ring = joined.ring();
        String epoch = ctx.bus().epoch(room);
        if (recover && ring.covers(since, clientEpoch)) {
            done.accept(outcome(sub, epoch, Math.max(ring.top(), since), true, true, ring.after()));
            return;
        }
        if (!recover && !ring.empty() && ring.epoch().equals(epoch)) {
            done.accept(outcome(sub, epoch, ring.top(), false, false, List.of()));
            return;
        }
        HistoryQuery q = recover ? HistoryQuery.after(room, since, HistoryQuery.MAX_LIMIT) : HistoryQuery.position(room);
        ctx.hotStore().history(q).whenComplete((page, err) -> shard.loop().execute(() -> {
            if (sub.closed()) {
                return;
            }
            if (err != null) {
                log.debug("history of {} for a subscription failed: {}", room, err.toString());
                // position unknown: a recovering client keeps its position and learns it was not recovered
                done.accept(recover ? outcome(sub, epoch, Math.max(since, ring.top()), true, false, ring.after())
                        : outcome(sub, epoch, Math.max(0, ring.top()), false, false, List.of()));
            } else if (!recover) {
                long top = page.epoch().equals(epoch) ? page.topOffset() : 0;
                done.accept(outcome(sub, epoch, Math.max(top, ring.top()), false, false, List.of()));
            } else {
                done.accept(fromHistory(sub, epoch, since, clientEpoch, page, ring));
            }
        }));
    }

    private static Outcome fromHistory(RoomSubscription sub, String epoch, long since, String clientEpoch,
                                       HistoryPage page, RingSnapshot ring) {
        if (!clientEpoch.equals(epoch)) {
            // another stream incarnation: the client's position means nothing here
            long top = Math.max(page.epoch().equals(epoch) ? page.topOffset() : 0, ring.top());
            return outcome(sub, epoch, top, true, false, List.of());
        }
        List<RoomRecord> pubs = new ArrayList<>();
        long last = since;
        boolean complete = page.covers(since, epoch) && page.records().size() < HistoryQuery.MAX_LIMIT;
        if (page.epoch().equals(epoch)) {
            for (RoomRecord r : page.records()) {
                if (r.offset() > last) {
                    pubs.add(r);
                    last = r.offset();
                }
            }
        }
        if (!ring.empty()) {
            if (!ring.covers(last, epoch)) {
                complete = false; // records between the store's top and the ring's start are not available
            }
            for (RoomRecord r : ring.after()) {
                if (r.offset() > last) {
                    pubs.add(r);
                    last = r.offset();
                }
            }
        }
        return outcome(sub, epoch, last, true, complete, pubs);
    }

    private static Outcome outcome(RoomSubscription sub, String epoch, long position, boolean wasRecovering,
                                   boolean recovered, List<RoomRecord> pubs) {
        long top = pubs.isEmpty() ? Math.max(position, 0) : Math.max(position, pubs.get(pubs.size() - 1).offset());
        return new Outcome(sub, epoch, top, wasRecovering, recovered, List.copyOf(pubs));
    }
}
