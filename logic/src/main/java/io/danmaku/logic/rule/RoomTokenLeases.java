package io.danmaku.logic.rule;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.logging.ThrottledLog;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.store.RateLimit;
import io.danmaku.protocol.store.TokenLease;
import io.micrometer.core.instrument.Counter;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The global per-room rate limit, spent locally: tokens are {@link HotStore#lease leased} from the room's bucket
 * in the hot store (shared by every logic instance) and spent in this process, so a busy room costs one store
 * call per lease, not one per post.
 *
 * <p>A lease asks for the larger of what the batch is short of and what posts asked of the room in this instance in
 * the last lease period (so a quiet room asks for one token, a hot room for a period's worth), and its tokens are kept for
 * one lease period, then dropped. The limit therefore never admits more than the bucket allows across all
 * instances; tokens leased and not spent in time are lost, so under contention a room may admit up to one
 * period's demand per instance less than its limit. At most one lease call per room is in flight: other batches
 * wait for it and share what it brings; a batch still short after it (the lease was sized before the batch
 * asked, or others spent it first) asks again, unless the lease found the room's bucket dry (it brought less
 * than it asked for). While the store refuses (the bucket is empty), no store call is made until its retry time passed: posts are refused at once.
 *
 * <p>While the store fails, the room's tokens come from a bucket in this process instead (the limit then holds per
 * instance), counted as a fallback.
 */
final class RoomTokenLeases {
    /** Bound of the rooms tracked here (and of the fallback buckets). */
    static final int MAX_ROOMS = 100_000;

    private static final Logger LOG = LoggerFactory.getLogger(RoomTokenLeases.class);

    /** What a room could give a batch: {@code granted} tokens and, when short, the time until the next. */
    record Grant(int granted, Duration retryAfter) {
    }

    private static final class Lease {
        int tokens;
        long expiresAtMillis;
        long refusedUntilMillis;
        /** The last lease call brought fewer tokens than it asked for: the room's bucket ran dry. */
        boolean lastLeaseShort;
        long windowStartMillis;
        int demandInWindow;
        int demandInLastWindow;
        /** The lease call in flight, or the last one (done). */
        CompletableFuture<Void> refill;
    }

    private final HotStore store;
    private final RateLimit limit;
    private final Clock clock;
    private final long periodMillis;
    private final LocalTokenBuckets fallback;
    private final Counter errors;
    private final Counter fallbacks;
    private final Counter leaseCalls;
    private final ConcurrentHashMap<String, Lease> rooms = new ConcurrentHashMap<>();
    private final ThrottledLog warn = new ThrottledLog(LOG, Duration.ofSeconds(10));

    RoomTokenLeases(HotStore store, RateLimit limit, Duration period, Clock clock, Counter errors,
                    Counter fallbacks, Counter leaseCalls) {
        this.store = requireNonNull(store, "store");
        this.limit = requireNonNull(limit, "limit");
        this.periodMillis = Math.max(1, period.toMillis());
        this.clock = requireNonNull(clock, "clock");
        this.fallback = new LocalTokenBuckets(clock, MAX_ROOMS);
        this.errors = errors;
        this.fallbacks = fallbacks;
        this.leaseCalls = leaseCalls;
    }

    /** Takes up to {@code wanted} tokens of the room; completes with how many it could have. */
    CompletableFuture<Grant> take(String room, int wanted) {
        return take(room, wanted, true);
    }

    /**
     * @param newDemand whether {@code wanted} counts as the room's demand (false when a batch asks again for what
     *     it still lacks)
     */
    private CompletableFuture<Grant> take(String room, int wanted, boolean newDemand) {
        Lease lease = lease(room);
        CompletableFuture<Void> refill;
        int granted;
        int asked = 0; // > 0: this batch made the lease call, for that many tokens
        synchronized (lease) {
            long now = clock.millis();
            granted = spend(lease, wanted, now, newDemand);
            if (granted == wanted) {
                return CompletableFuture.completedFuture(new Grant(granted, Duration.ZERO));
            }
            if (now < lease.refusedUntilMillis) {
                return CompletableFuture.completedFuture(new Grant(granted,
                        Duration.ofMillis(lease.refusedUntilMillis - now)));
            }
            if (lease.refill == null || lease.refill.isDone()) {
                int ask = (int) Math.min(limit.burst(), Math.max(wanted - granted, lease.demandInLastWindow));
                asked = Math.max(1, ask);
                lease.refill = refill(room, lease, asked);
            }
            refill = lease.refill;
        }
        int before = granted;
        int own = Math.min(asked, wanted - granted); // what this batch's own lease call was to bring it
        return refill.thenCompose(v -> {
            int got;
            boolean dry;
            long retryMillis;
            synchronized (lease) {
                long now = clock.millis();
                got = before + spend(lease, wanted - before, now, false);
                dry = now < lease.refusedUntilMillis || lease.lastLeaseShort;
                retryMillis = Math.max(1, lease.refusedUntilMillis - now);
            }
            if (got == wanted) {
                return CompletableFuture.completedFuture(new Grant(got, Duration.ZERO));
            }
            if (dry || (own > 0 && got - before >= own)) {
                return CompletableFuture.completedFuture(new Grant(got, Duration.ofMillis(retryMillis)));
            }
            // The room's bucket was not dry, but the lease this batch waited for was another batch's (sized before
            // this batch asked) or other batches waiting for it spent its tokens first: ask again for what is
            // still missing. Ends: a round finds the bucket dry, or brings this batch what its own call asked for,
            // or another batch got the tokens (the room made progress).
            return take(room, wanted - got, false).thenApply(g -> new Grant(got + g.granted(), g.retryAfter()));
        });
    }

    private Lease lease(String room) {
        Lease lease = rooms.get(room);
        if (lease == null) {
            if (rooms.size() >= MAX_ROOMS) {
                long now = clock.millis();
                rooms.values().removeIf(l -> {
                    synchronized (l) {
                        return (l.refill == null || l.refill.isDone()) && now >= l.expiresAtMillis
                                && now >= l.refusedUntilMillis;
                    }
                });
            }
            lease = rooms.computeIfAbsent(room, r -> new Lease());
        }
        return lease;
    }

    /** Spends up to {@code wanted} of the lease's live tokens (guarded by the lease). */
    private int spend(Lease lease, int wanted, long now, boolean newDemand) {
        if (now >= lease.expiresAtMillis) {
            lease.tokens = 0;
        }
        if (now - lease.windowStartMillis >= periodMillis) {
            lease.demandInLastWindow = now - lease.windowStartMillis >= 2 * periodMillis ? 0 : lease.demandInWindow;
            lease.demandInWindow = 0;
            lease.windowStartMillis = now;
        }
        int granted = Math.min(wanted, lease.tokens);
        lease.tokens -= granted;
        if (newDemand) {
            lease.demandInWindow += wanted;
        }
        return granted;
    }

    private CompletableFuture<Void> refill(String room, Lease lease, int ask) {
        leaseCalls.increment();
        String key = RateLimitRule.ROOM_KEY_PREFIX + room;
        CompletableFuture<TokenLease> call;
        try {
            call = store.lease(key, limit, ask);
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        return call.handle((answer, error) -> {
            int fromFallback = 0;
            if (error != null || answer == null) {
                errors.increment();
                fallbacks.increment();
                warn.warn("room rate limit lease failed, using local buckets: {}",
                        error == null ? "no answer" : error.toString());
                fromFallback = fallback.acquireUpTo(key, limit, ask);
            }
            synchronized (lease) {
                long now = clock.millis();
                int granted = answer != null && error == null ? answer.granted() : fromFallback;
                if (now >= lease.expiresAtMillis) {
                    lease.tokens = 0;
                }
                lease.tokens += granted;
                lease.lastLeaseShort = granted < ask;
                lease.expiresAtMillis = now + periodMillis;
                if (granted == 0) {
                    long retry = answer != null && error == null ? answer.retryAfter().toMillis()
                            : (long) Math.ceil(1000.0 / limit.perSecond());
                    lease.refusedUntilMillis = now + Math.max(1, retry);
                }
            }
            return null;
        });
    }
}
