package io.danmaku.logic.rule;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.RejectReason;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Dedupe by {@code clientMsgId}, decided in this process's memory: every post of a user reaches the same logic
 * instance (the gateways route by user), so the first post of a user with a given id passes and is remembered
 * for the TTL, and the same id again within it is a {@code duplicate}, exactly. Posts without an id pass. This
 * rule runs last, so a post refused by an earlier rule can be retried with the same id; a post that passed but
 * was then not accepted (the bus refused it) is {@link #release released}.
 *
 * <p>Bounded: at most {@code maxIds} ids are remembered (split over stripes by user). Ids are kept in arrival
 * order, which with one TTL is also expiry order, so expired ids leave first; an id still within its TTL is
 * only forgotten when the bound is reached, counted as {@code danmaku.logic.dedupe.evictions}. When a user moves
 * to another instance (one joined or left), the new instance does not know the ids seen before the move: a
 * retry of a post accepted just before the move may be accepted once more.
 */
public final class DedupeRule implements PostRule {
    /** Ids remembered by default: at ~150 bytes each, about 150 MB at most. */
    public static final int DEFAULT_MAX_IDS = 1_000_000;
    private static final int STRIPES = 64;

    private final Clock clock;
    private final long ttlMillis;
    private final Stripe[] stripes = new Stripe[STRIPES];
    private final int maxPerStripe;
    private final AtomicLong evictions = new AtomicLong();

    /** One part of the remembered ids: key → expiry, in insertion (= expiry) order; guarded by itself. */
    private static final class Stripe {
        final LinkedHashMap<String, Long> ids = new LinkedHashMap<>();
    }

    public DedupeRule(Duration ttl, Clock clock, MeterRegistry registry) {
        this(ttl, clock, registry, DEFAULT_MAX_IDS);
    }

    public DedupeRule(Duration ttl, Clock clock, MeterRegistry registry, int maxIds) {
        requireNonNull(ttl, "ttl");
        if (ttl.toMillis() < 1) {
            throw new IllegalArgumentException("ttl: " + ttl + " (expected: >= 1 ms)");
        }
        if (maxIds < STRIPES) {
            throw new IllegalArgumentException("maxIds: " + maxIds + " (expected: >= " + STRIPES + ")");
        }
        this.ttlMillis = ttl.toMillis();
        this.clock = requireNonNull(clock, "clock");
        int perStripe = maxIds / STRIPES;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
        this.maxPerStripe = perStripe;
        FunctionCounter.builder("danmaku.logic.dedupe.evictions", evictions, AtomicLong::get)
                .description("clientMsgIds forgotten before their TTL because the dedupe memory was full")
                .register(requireNonNull(registry, "registry"));
    }

    @Override
    public CompletableFuture<Void> check(PostBatch batch) {
        long now = clock.millis();
        for (int i = 0; i < batch.size(); i++) {
            PostRequest post = batch.post(i);
            String key = key(post);
            if (key == null || !batch.passing(i)) {
                continue;
            }
            Stripe stripe = stripe(post);
            boolean first;
            synchronized (stripe) {
                expire(stripe, now);
                Long expiresAt = stripe.ids.get(key);
                first = expiresAt == null || expiresAt <= now;
                if (first) {
                    stripe.ids.remove(key); // re-inserted at the end: insertion order stays expiry order
                    stripe.ids.put(key, now + ttlMillis);
                    if (stripe.ids.size() > maxPerStripe) {
                        Iterator<String> oldest = stripe.ids.keySet().iterator();
                        oldest.next();
                        oldest.remove();
                        evictions.incrementAndGet();
                    }
                }
            }
            if (!first) {
                batch.reject(i, new Rejection(RejectReason.DUPLICATE,
                        "clientMsgId: \"" + post.clientMsgId() + "\" was already posted"));
            }
        }
        return PostRule.done();
    }

    /**
     * Forgets the id of a post that passed this rule but was then not accepted (the bus refused it), so the
     * client's retry with the same id is not taken for a duplicate.
     */
    public void release(PostRequest post) {
        String key = key(post);
        if (key == null) {
            return;
        }
        Stripe stripe = stripe(post);
        synchronized (stripe) {
            stripe.ids.remove(key);
        }
    }

    /** Ids remembered now (expired ones included until they are swept). */
    int size() {
        int n = 0;
        for (Stripe s : stripes) {
            synchronized (s) {
                n += s.ids.size();
            }
        }
        return n;
    }

    private static void expire(Stripe stripe, long now) {
        Iterator<Map.Entry<String, Long>> it = stripe.ids.entrySet().iterator();
        while (it.hasNext() && it.next().getValue() <= now) {
            it.remove();
        }
    }

    private Stripe stripe(PostRequest post) {
        return stripes[Math.floorMod(post.user().id().hashCode(), STRIPES)];
    }

    private static String key(PostRequest post) {
        String id = post.clientMsgId();
        if (id == null || id.isEmpty() || post.user() == null) {
            return null;
        }
        return post.user().id() + '\n' + id;
    }
}
