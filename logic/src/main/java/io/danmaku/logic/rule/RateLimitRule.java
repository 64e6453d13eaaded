package io.danmaku.logic.rule;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.store.RateDecision;
import io.danmaku.protocol.store.RateLimit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Rate limits: one token from the user's bucket (every room together), then one from the room's (every user
 * together).
 *
 * <ul>
 *   <li>The user's bucket lives in this process: every post of a user reaches the same logic instance (the
 *       gateways route by user), so the limit is exact without asking anyone. When the user moves to another
 *       instance (one joined or left), the new instance starts with a full bucket: at most one extra burst per
 *       move.</li>
 *   <li>The room's bucket is global, in the hot store ({@code rl:r:<room>}), spent through leases
 *       ({@link RoomTokenLeases}): one store call per room per lease, never one per post. While the store fails
 *       the room's tokens come from a bucket in this process (the limit then holds per instance), counted as
 *       {@code danmaku.logic.ratelimit.fallbacks}.</li>
 * </ul>
 *
 * <p>Meters: {@code danmaku.logic.hotstore.errors} (tag {@code op=lease}), {@code danmaku.logic.ratelimit.fallbacks},
 * {@code danmaku.logic.ratelimit.leases} (lease calls to the store), {@code danmaku.logic.ratelimit.user.overflows}
 * (the user buckets were dropped at their bound).
 */
public final class RateLimitRule implements PostRule {
    public static final String USER_KEY_PREFIX = "rl:u:";
    public static final String ROOM_KEY_PREFIX = "rl:r:";
    /** Bound of the users whose buckets are kept (a full bucket is dropped first: it is the same as none). */
    public static final int MAX_LOCAL_USERS = 1_000_000;
    public static final Duration DEFAULT_LEASE_PERIOD = Duration.ofMillis(100);

    private final RateLimit userRate;
    private final RateLimit roomRate;
    private final LocalTokenBuckets users;
    private final RoomTokenLeases rooms;

    public RateLimitRule(HotStore store, RateLimit userRate, RateLimit roomRate, Clock clock,
                         MeterRegistry registry) {
        this(store, userRate, roomRate, DEFAULT_LEASE_PERIOD, clock, registry);
    }

    /**
     * @param leasePeriod how long leased room tokens are kept; also the window over which a room's demand is
     *     measured to size the next lease
     */
    public RateLimitRule(HotStore store, RateLimit userRate, RateLimit roomRate, Duration leasePeriod, Clock clock,
                         MeterRegistry registry) {
        requireNonNull(store, "store");
        this.userRate = requireNonNull(userRate, "userRate");
        this.roomRate = requireNonNull(roomRate, "roomRate");
        requireNonNull(leasePeriod, "leasePeriod");
        requireNonNull(clock, "clock");
        requireNonNull(registry, "registry");
        this.users = new LocalTokenBuckets(clock, MAX_LOCAL_USERS);
        Counter errors = Counter.builder("danmaku.logic.hotstore.errors")
                .description("Hot store operations that failed, by operation")
                .tag("op", "lease")
                .register(registry);
        Counter fallbacks = Counter.builder("danmaku.logic.ratelimit.fallbacks")
                .description("Room token leases taken from local buckets because the hot store failed")
                .register(registry);
        Counter leases = Counter.builder("danmaku.logic.ratelimit.leases")
                .description("Room token lease calls to the hot store")
                .register(registry);
        FunctionCounter.builder("danmaku.logic.ratelimit.user.overflows", users, LocalTokenBuckets::overflows)
                .description("Times the per-user buckets were dropped at their bound (each user got a new burst)")
                .register(registry);
        this.rooms = new RoomTokenLeases(store, roomRate, leasePeriod, clock, errors, fallbacks, leases);
    }

    @Override
    public CompletableFuture<Void> check(PostBatch batch) {
        Map<String, List<Integer>> byRoom = new LinkedHashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            if (!batch.passing(i)) {
                continue;
            }
            PostRequest post = batch.post(i);
            if (post.user() != null) {
                RateDecision d = users.acquire(post.user().id(), userRate);
                if (!d.allowed()) {
                    batch.reject(i, refused("user", userRate, d.retryAfter()));
                    continue;
                }
            }
            byRoom.computeIfAbsent(post.room(), r -> new ArrayList<>()).add(i);
        }
        if (byRoom.isEmpty()) {
            return PostRule.done();
        }
        // the grants may complete on different store threads: the batch is only touched once all are in
        List<List<Integer>> waiting = new ArrayList<>(byRoom.size());
        List<CompletableFuture<RoomTokenLeases.Grant>> grants = new ArrayList<>(byRoom.size());
        boolean allDone = true;
        for (Map.Entry<String, List<Integer>> e : byRoom.entrySet()) {
            CompletableFuture<RoomTokenLeases.Grant> grant = rooms.take(e.getKey(), e.getValue().size());
            allDone &= grant.isDone();
            waiting.add(e.getValue());
            grants.add(grant);
        }
        if (allDone) {
            apply(batch, waiting, grants);
            return PostRule.done();
        }
        return CompletableFuture.allOf(grants.toArray(CompletableFuture[]::new))
                .thenRun(() -> apply(batch, waiting, grants));
    }

    private void apply(PostBatch batch, List<List<Integer>> waiting,
                       List<CompletableFuture<RoomTokenLeases.Grant>> grants) {
        for (int r = 0; r < grants.size(); r++) {
            RoomTokenLeases.Grant grant = grants.get(r).join();
            List<Integer> indexes = waiting.get(r);
            for (int k = grant.granted(); k < indexes.size(); k++) {
                batch.reject(indexes.get(k), refused("room", roomRate, grant.retryAfter()));
            }
        }
    }

    private static Rejection refused(String scope, RateLimit limit, Duration retryAfter) {
        long retryMillis = Math.max(1, retryAfter.toMillis());
        return new Rejection(RejectReason.RATE_LIMITED,
                scope + " rate limit exceeded (" + describe(limit) + "): retry after " + retryMillis + " ms");
    }

    private static String describe(RateLimit limit) {
        double perSecond = limit.perSecond();
        String rate = perSecond == Math.rint(perSecond) ? String.valueOf((long) perSecond) : String.valueOf(perSecond);
        return "burst " + limit.burst() + ", then " + rate + " per second";
    }
}
