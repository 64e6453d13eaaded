package io.danmaku.logic.rule;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.logging.ThrottledLog;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.protocol.store.HotStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dedupe by {@code clientMsgId}: the first post of a user with a given id passes and marks
 * {@code dd:<user>:<clientMsgId>} for the TTL; the same id again is a {@code duplicate}. Posts without an id
 * pass. This rule runs last, so a post refused by an earlier rule can be retried with the same id. A store
 * failure fails closed ({@code unavailable}).
 */
public final class DedupeRule implements PostRule {
    public static final String KEY_PREFIX = "dd:";

    private static final Logger LOG = LoggerFactory.getLogger(DedupeRule.class);

    private final HotStore store;
    private final Duration ttl;
    private final Counter errors;
    private final ThrottledLog warn = new ThrottledLog(LOG, Duration.ofSeconds(10));

    public DedupeRule(HotStore store, Duration ttl, MeterRegistry registry) {
        this.store = requireNonNull(store, "store");
        this.ttl = requireNonNull(ttl, "ttl");
        this.errors = Counter.builder("danmaku.logic.hotstore.errors")
                .description("Hot store operations that failed, by operation")
                .tag("op", "markOnce")
                .register(requireNonNull(registry, "registry"));
    }

    @Override
    public CompletableFuture<Rejection> check(PostRequest post) {
        String id = post.clientMsgId();
        if (id == null || id.isEmpty() || post.user() == null) {
            return PostRule.pass();
        }
        CompletableFuture<Boolean> mark;
        try {
            mark = store.markOnce(key(post), ttl);
        } catch (RuntimeException e) {
            mark = CompletableFuture.failedFuture(e);
        }
        return mark.handle((first, error) -> {
            if (error != null || first == null) {
                errors.increment();
                warn.warn("dedupe store failed, rejecting posts with a clientMsgId as unavailable: {}",
                        error == null ? "no answer" : error.toString());
                return new Rejection(RejectReason.UNAVAILABLE, "hot store unavailable, retry");
            }
            return first ? null : new Rejection(RejectReason.DUPLICATE,
                    "clientMsgId: \"" + id + "\" was already posted");
        });
    }

    /**
     * Forgets the mark of a post that passed this rule but was then not accepted (the bus refused it), so the
     * client's retry with the same id is not taken for a duplicate. Best effort: a failure leaves the mark to
     * expire with its TTL.
     */
    public void release(PostRequest post) {
        String id = post.clientMsgId();
        if (id == null || id.isEmpty() || post.user() == null) {
            return;
        }
        try {
            store.unmark(key(post)).whenComplete((v, error) -> {
                if (error != null) {
                    errors.increment();
                    warn.warn("dedupe store failed to release a mark: {}", error.toString());
                }
            });
        } catch (RuntimeException e) {
            errors.increment();
        }
    }

    private static String key(PostRequest post) {
        return KEY_PREFIX + post.user().id() + ":" + post.clientMsgId();
    }
}
