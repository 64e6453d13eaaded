package io.danmaku.protocol.store;

import io.danmaku.protocol.RoomRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Hot, shared state. Every method is non-blocking and safe from any thread; results complete on a store
 * thread (callers hop back to their own thread). Failures complete the future exceptionally with a
 * {@link io.danmaku.protocol.DanmakuException} whose {@code retriable()} is true when the store is
 * unreachable.
 */
public interface HotStore extends AutoCloseable {

    /**
     * Appends records (ascending offsets, one room) to the room's capped history. Idempotent: a record whose
     * offset is not above the room's top offset in the same epoch is skipped, so a replay is a no-op. A record
     * of another epoch starts the room's history anew.
     */
    CompletableFuture<Void> appendHistory(String room, List<RoomRecord> records);

    /** Reads history; see {@link HistoryQuery}. A room without history gives {@link HistoryPage#empty()}. */
    CompletableFuture<HistoryPage> history(HistoryQuery query);

    /**
     * Replaces gateway {@code gatewayId}'s online counts for the given rooms; a count of 0 removes the room's
     * entry. Entries expire after {@code ttl} unless reported again, so a dead gateway's counts vanish.
     */
    CompletableFuture<Void> reportOnline(String gatewayId, Map<String, Integer> counts, Duration ttl);

    /** The room's online count summed over the live gateways. */
    CompletableFuture<Long> online(String room);

    /** Bans a user from posting anywhere for {@code duration}. */
    CompletableFuture<Void> ban(String userId, Duration duration);

    CompletableFuture<Void> unban(String userId);

    /** Mutes a user in one room for {@code duration}. */
    CompletableFuture<Void> mute(String room, String userId, Duration duration);

    CompletableFuture<Void> unmute(String room, String userId);

    /** A ban wins over a mute. */
    CompletableFuture<Restriction> restriction(String room, String userId);

    /**
     * {@link #restriction} for many (room, user) pairs at once, answered in the order of {@code keys}: one round
     * trip (per store node) for a whole batch of posts, never one per post.
     */
    CompletableFuture<List<Restriction>> restrictions(List<RestrictionKey> keys);

    /**
     * Delivers every ban, unban, mute and unmute made from now on through any client of this store (this one
     * included) to {@code listener}, so caches of {@link Restriction}s stay current: a change reaches every
     * subscriber within about a second. When changes may have been missed (the connection carrying them was cut
     * and is back) the listener is {@link RestrictionListener#reset reset}, and once when the subscription starts.
     */
    StoreSubscription subscribeRestrictions(RestrictionListener listener);

    /**
     * Sends {@code message} to every subscriber of {@link #subscribeControl} through any client of this store (this
     * one included): the gateways act on the matching connections (close, subscribe, unsubscribe, refresh).
     * Completes once the store took it; a subscriber that is cut at that moment never gets it (nothing is kept).
     */
    CompletableFuture<Void> publishControl(ControlMessage message);

    /**
     * Delivers every {@link ControlMessage} published from now on through any client of this store to
     * {@code listener}; {@link ControlListener#subscribed} is called once the subscription is established, and
     * again after it was cut and is back.
     */
    StoreSubscription subscribeControl(ControlListener listener);

    /**
     * Replaces gateway {@code gatewayId}'s presence in the given rooms (a room with 0 clients removes its entry).
     * Entries expire after {@code ttl} unless reported again; an entry counts only while the same gateway's online
     * count for the room ({@link #reportOnline}) is live, so a dead gateway's members vanish with its counts.
     */
    CompletableFuture<Void> reportPresence(String gatewayId, Map<String, RoomPresence> rooms, Duration ttl);

    /** The room's presence over the gateways with a live online count; see {@link PresenceSnapshot}. */
    CompletableFuture<PresenceSnapshot> presence(String room);

    /**
     * Rooms with a live online count whose id {@code pattern} matches, with their counts summed over the gateways:
     * at most {@code limit + 1} of them (in no particular order), so a caller learns that more than {@code limit}
     * match without the store listing them all.
     */
    CompletableFuture<Map<String, Long>> channels(io.danmaku.protocol.RoomPattern pattern, int limit);

    /**
     * Removes the room's stored records and keeps its position: epoch and top offset stay, the floor moves up to
     * the top (nothing before it can be recovered), and a replay of removed records stays a no-op.
     */
    CompletableFuture<Void> removeHistory(String room);

    /**
     * Removes the room's stored records whose message id (the {@code id} of their payload, see
     * {@link io.danmaku.protocol.Retraction#messageId}) is one of {@code messageIds}, and keeps the position: epoch,
     * top and floor stay, so a client recovering across a removed record still recovers completely (it simply does
     * not get that record), and a replay of a removed record stays a no-op. Answers how many records were removed;
     * ids the history does not hold (never stored, trimmed, already removed) are ignored.
     */
    CompletableFuture<Integer> retract(String room, java.util.Collection<String> messageIds);

    /**
     * Sets where the room's recording begins: the time (ms since the epoch) its stream started, the origin of the
     * room's timeline (a message's position in the recording is its time minus this). Replaces an earlier start;
     * kept until replaced (no expiry), and not touched by {@link #removeHistory}.
     *
     * @param startMillis 0 or more
     */
    CompletableFuture<Void> setStreamStart(String room, long startMillis);

    /** The room's stream start ({@link #setStreamStart}), or empty when none was set. */
    CompletableFuture<java.util.OptionalLong> streamStart(String room);

    /** The check of {@code startMillis} every {@link #setStreamStart} makes (the future fails with it). */
    static void requireStreamStart(long startMillis) {
        if (startMillis < 0) {
            throw new IllegalArgumentException("startMillis: " + startMillis + " (expected: >= 0)");
        }
    }

    /** Records what {@code node} reports about itself, for {@code ttl} unless reported again. */
    CompletableFuture<Void> reportNode(NodeInfo node, Duration ttl);

    /** The nodes whose last report has not expired, ordered by id. */
    CompletableFuture<List<NodeInfo>> nodes();

    /** Takes one token from bucket {@code key} (created full on first use). */
    CompletableFuture<RateDecision> acquire(String key, RateLimit limit);

    /**
     * Takes up to {@code wanted} tokens from bucket {@code key} at once (the same bucket as {@link #acquire}):
     * as many as it holds, at most {@code wanted}; with none left, the lease says how long until the next. A
     * caller that spends leased tokens locally makes one call per lease instead of one per token, and the
     * bucket's limit still holds across every caller (tokens leased and not spent are lost, never added).
     */
    CompletableFuture<TokenLease> lease(String key, RateLimit limit, int wanted);

    /** Records {@code key} for {@code ttl}; true if it was not present (first sighting), false if it was. */
    CompletableFuture<Boolean> markOnce(String key, Duration ttl);

    /**
     * Removes a key set by {@link #markOnce}, so the next {@code markOnce} is a first sighting again (used when
     * the marked operation failed after marking). Removing an absent key is a no-op.
     */
    CompletableFuture<Void> unmark(String key);

    /**
     * Claims {@code key} for an operation that must happen at most once within {@code ttl} (an idempotent
     * publish), atomically across every client of the store: the first caller gets {@link OnceClaim#claimed()}
     * and the key holds a pending marker for {@code ttl}; until that caller {@link #completeOnce completes} or
     * {@link #releaseOnce releases} it, others get {@link OnceClaim#pending()}; after completion they get
     * {@link OnceClaim#done} with the stored result, until it expires. A claim whose owner died stays pending
     * until {@code ttl} ends: the operation may have happened.
     */
    CompletableFuture<OnceClaim> claimOnce(String key, Duration ttl);

    /**
     * Stores the result of a claimed operation for {@code ttl} (from now); later claims of {@code key} answer it.
     * The caller keeps ownership of {@code result} and must not modify it afterwards.
     */
    CompletableFuture<Void> completeOnce(String key, byte[] result, Duration ttl);

    /**
     * Drops a claim whose operation certainly did not happen, so the next {@link #claimOnce} claims it anew.
     * Releasing an absent key is a no-op.
     */
    CompletableFuture<Void> releaseOnce(String key);

    @Override
    void close();
}
