package io.danmaku.logic;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.bus.BusMessage;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.bus.BusUnavailableException;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.logging.ThrottledLog;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.store.OnceClaim;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server API publish with an {@code idempotency_key}: at most one publish per key and channel list within
 * {@link LogicConfig#idempotencyTtl()}, on every logic instance, through a once-claim in the hot store.
 *
 * <ol>
 *   <li>Claim {@code idem:<sha-256 of the channels and the key>} ({@link HotStore#claimOnce}). A stored result is
 *       answered as it is: nothing is published again. A pending claim (the same publish running elsewhere) is
 *       asked again every {@value #POLL_INTERVAL_MILLIS} ms until the publish deadline, then answered
 *       {@code unavailable} "in progress". A store failure is answered {@code unavailable} without publishing:
 *       a key that cannot be checked could publish twice.</li>
 *   <li>The claim's owner publishes. When the bus acknowledges, the ids and positions are stored under the key
 *       for the TTL, then answered. When the bus refuses the publish before anything left
 *       ({@link BusUnavailableException#notPublished}) the claim is released, so a retry publishes. Any other
 *       failure may have written the messages: "outcome unknown" is stored instead, and retries with the key get
 *       that answer, never a second copy. When the bus does not answer within the deadline the caller is told
 *       the outcome is unknown, and the claim stays pending until the bus answers late (settled as above).</li>
 * </ol>
 *
 * <p>Meter: {@code danmaku.logic.api.idempotent} (counter, tag {@code result}: {@code published},
 * {@code replayed}, {@code replayed_unknown}, {@code in_progress}, {@code unknown} (deadline passed or an
 * ambiguous bus failure), {@code failed} (refused by the bus, released), {@code store_error}).
 */
final class IdempotentPublisher {
    static final long POLL_INTERVAL_MILLIS = 50;
    static final String UNKNOWN_OUTCOME_MESSAGE = "message bus did not acknowledge in time: the message may have"
            + " been published; retry with the same idempotency_key";
    static final String IN_PROGRESS_MESSAGE = "in progress: a publish with this idempotency_key has not finished"
            + " yet; retry with the same idempotency_key";
    static final String STORE_UNAVAILABLE_MESSAGE = "hot store unavailable: the idempotency_key cannot be checked,"
            + " nothing was published; retry";
    static final String BUS_FAILED_MESSAGE = "message bus unavailable, nothing was published; retry";
    static final String STORED_UNKNOWN_MESSAGE = "outcome unknown: the first publish with this idempotency_key"
            + " failed in a way that may still have published it, and it is never published again under this key;"
            + " check the room's history, or publish with a new key";
    /** What is stored for a publish whose bus failure leaves its outcome unknown. */
    private static final byte[] UNKNOWN_RESULT = "{\"unknown\":true}".getBytes(StandardCharsets.UTF_8);

    private static final Logger LOG = LoggerFactory.getLogger(IdempotentPublisher.class);

    private final HotStore store;
    private final Duration ttl;
    private final Duration deadline;
    private final MeterRegistry registry;
    private final ThrottledLog warn = new ThrottledLog(LOG, Duration.ofSeconds(10));

    IdempotentPublisher(HotStore store, Duration ttl, Duration deadline, MeterRegistry registry) {
        this.store = requireNonNull(store, "store");
        this.ttl = requireNonNull(ttl, "ttl");
        this.deadline = requireNonNull(deadline, "deadline");
        this.registry = requireNonNull(registry, "registry");
    }

    /**
     * Publishes {@code batch} (stamped with {@code ids}) at most once for {@code key} and {@code rooms}. Never
     * completes exceptionally.
     *
     * @param busPublish publishes on the bus; its future is the bus's own answer, without a deadline
     */
    CompletableFuture<PublishOutcome> publish(String key, List<String> rooms, List<String> ids,
                                              List<BusMessage> batch,
                                              Function<List<BusMessage>, CompletableFuture<List<BusPosition>>> busPublish) {
        String storeKey = storeKey(rooms, key);
        long giveUpAtNanos = System.nanoTime() + deadline.toNanos();
        return claim(storeKey, giveUpAtNanos).thenCompose(claim -> switch (claim.state()) {
            case DONE -> {
                PublishOutcome first = decode(claim.result());
                count(first == null ? "store_error" : first.accepted() ? "replayed" : "replayed_unknown");
                yield CompletableFuture.completedFuture(first != null ? first
                        : PublishOutcome.rejected(RejectReason.UNAVAILABLE, STORE_UNAVAILABLE_MESSAGE));
            }
            case PENDING -> {
                count("in_progress");
                yield CompletableFuture.completedFuture(
                        PublishOutcome.rejected(RejectReason.UNAVAILABLE, IN_PROGRESS_MESSAGE));
            }
            case CLAIMED -> publishClaimed(storeKey, ids, batch, busPublish);
        }).exceptionally(error -> {
            count("store_error");
            warn.warn(batch, BusMessage::traceId, "server API publish: idempotency_key not checked, answered"
                    + " unavailable: {}", error.toString());
            return PublishOutcome.rejected(RejectReason.UNAVAILABLE, STORE_UNAVAILABLE_MESSAGE);
        });
    }

    /** Claims the key, asking again while another publish holds it, until {@code giveUpAtNanos}. */
    private CompletableFuture<OnceClaim> claim(String storeKey, long giveUpAtNanos) {
        return store.claimOnce(storeKey, ttl).thenCompose(claim -> {
            if (claim.state() != OnceClaim.State.PENDING
                    || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(POLL_INTERVAL_MILLIS) > giveUpAtNanos) {
                return CompletableFuture.completedFuture(claim);
            }
            Executor later = CompletableFuture.delayedExecutor(POLL_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
            return CompletableFuture.supplyAsync(() -> null, later).thenCompose(v -> claim(storeKey, giveUpAtNanos));
        });
    }

    private CompletableFuture<PublishOutcome> publishClaimed(String storeKey, List<String> ids, List<BusMessage> batch,
            Function<List<BusMessage>, CompletableFuture<List<BusPosition>>> busPublish) {
        CompletableFuture<List<BusPosition>> acknowledged;
        try {
            acknowledged = busPublish.apply(batch);
        } catch (RuntimeException e) {
            acknowledged = CompletableFuture.failedFuture(e);
        }
        // Settles the claim whenever the bus answers, also after the deadline below has answered the caller.
        CompletableFuture<PublishOutcome> settled = acknowledged.handle((positions, error) -> {
            if (error != null && !mayHaveBeenPublished(error)) {
                count("failed");
                warn.warn(batch, BusMessage::traceId, "message bus refused a publish; idempotency_key released: {}",
                        error.toString());
                store.releaseOnce(storeKey);
                return CompletableFuture.completedFuture(
                        PublishOutcome.rejected(RejectReason.UNAVAILABLE, BUS_FAILED_MESSAGE));
            }
            if (error != null) {
                count("unknown");
                warn.warn(batch, BusMessage::traceId, "message bus failed after a publish may have been written;"
                        + " idempotency_key kept as outcome unknown: {}", error.toString());
                PublishOutcome unknown = PublishOutcome.rejected(RejectReason.UNAVAILABLE, UNKNOWN_OUTCOME_MESSAGE);
                return store.completeOnce(storeKey, UNKNOWN_RESULT, ttl).handle((v, e) -> unknown);
            }
            count("published");
            PublishOutcome outcome = PublishOutcome.accepted(ids, positions);
            return store.completeOnce(storeKey, encode(outcome), ttl).handle((v, e) -> {
                if (e != null) {
                    // the claim stays pending until its TTL: retries answer "in progress", never publish again
                    warn.warn(batch, BusMessage::traceId, "published, but its idempotency result was not stored: {}",
                            e.toString());
                }
                return outcome;
            });
        }).thenCompose(Function.identity());
        return settled.copy()
                .orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .exceptionally(timeout -> {
                    count("unknown");
                    warn.warn(batch, BusMessage::traceId, "message bus did not acknowledge within {}; answered"
                            + " unavailable, outcome unknown", deadline);
                    return PublishOutcome.rejected(RejectReason.UNAVAILABLE, UNKNOWN_OUTCOME_MESSAGE);
                });
    }

    /** False only for a bus failure that says nothing was written; anything else may have published. */
    private static boolean mayHaveBeenPublished(Throwable error) {
        Throwable t = error;
        while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return !(t instanceof BusUnavailableException b) || b.mayHaveBeenPublished();
    }

    private void count(String result) {
        Counter.builder("danmaku.logic.api.idempotent")
                .description("Server API publishes with an idempotency_key, by result")
                .tag("result", result)
                .register(registry)
                .increment();
    }

    /** The hot store key: the channels and the key hashed, so any key of any length makes one short Redis key. */
    static String storeKey(List<String> rooms, String key) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JVM", e);
        }
        for (String room : rooms) {
            sha.update(room.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) ','); // room ids never contain a comma
        }
        sha.update((byte) '\n');
        sha.update(key.getBytes(StandardCharsets.UTF_8));
        return "idem:" + HexFormat.of().formatHex(sha.digest());
    }

    /** {@code {"ids":[…],"positions":[{"room":"…","offset":…,"epoch":"…"},…]}}. */
    static byte[] encode(PublishOutcome outcome) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ArrayNode idsNode = root.putArray("ids");
        outcome.ids().forEach(idsNode::add);
        ArrayNode positions = root.putArray("positions");
        for (BusPosition p : outcome.positions()) {
            positions.addObject().put("room", p.room()).put("offset", p.offset()).put("epoch", p.epoch());
        }
        try {
            return Json.MAPPER.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The outcome {@link #encode} wrote, an {@code unavailable} "outcome unknown" for {@link #UNKNOWN_RESULT}, or
     * null when {@code bytes} are in neither form.
     */
    static PublishOutcome decode(byte[] bytes) {
        try {
            JsonNode root = Json.MAPPER.readTree(bytes);
            if (root != null && root.path("unknown").asBoolean(false)) {
                return PublishOutcome.rejected(RejectReason.UNAVAILABLE, STORED_UNKNOWN_MESSAGE);
            }
            JsonNode idsNode = root == null ? null : root.get("ids");
            JsonNode positionsNode = root == null ? null : root.get("positions");
            if (idsNode == null || !idsNode.isArray() || positionsNode == null || !positionsNode.isArray()) {
                return null;
            }
            List<String> ids = new ArrayList<>(idsNode.size());
            idsNode.forEach(n -> ids.add(n.asText()));
            List<BusPosition> positions = new ArrayList<>(positionsNode.size());
            for (JsonNode p : positionsNode) {
                positions.add(new BusPosition(p.path("room").asText(), p.path("offset").asLong(),
                        p.path("epoch").asText()));
            }
            return PublishOutcome.accepted(ids, positions);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
