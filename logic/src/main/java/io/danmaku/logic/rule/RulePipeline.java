package io.danmaku.logic.rule;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.logging.ThrottledLog;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.RejectReason;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs rules one after the other in their fixed order and stops at the first rejection. A rule that throws or
 * fails unexpectedly rejects the post as {@code unavailable} (never an exceptional future).
 */
public final class RulePipeline {
    private static final Logger LOG = LoggerFactory.getLogger(RulePipeline.class);
    private static final ThrottledLog WARN = new ThrottledLog(LOG, Duration.ofSeconds(10));

    private final List<PostRule> rules;

    public RulePipeline(List<PostRule> rules) {
        this.rules = List.copyOf(requireNonNull(rules, "rules"));
    }

    public List<PostRule> rules() {
        return rules;
    }

    /**
     * Completes with {@code null} when every rule passed, else with the first rejection. Rules that answer at once
     * (no I/O, or a cached answer) are run in a plain loop; only a rule whose answer is still pending costs a
     * continuation.
     */
    public CompletableFuture<Rejection> run(PostRequest post) {
        requireNonNull(post, "post");
        return step(0, post);
    }

    private CompletableFuture<Rejection> step(int from, PostRequest post) {
        for (int index = from; index < rules.size(); index++) {
            PostRule rule = rules.get(index);
            CompletableFuture<Rejection> result;
            try {
                result = requireNonNull(rule.check(post), "rule result");
            } catch (RuntimeException e) {
                return PostRule.reject(failed(rule, e));
            }
            if (!result.isDone()) {
                int next = index + 1;
                return result.handle((rejection, error) -> error != null ? failed(rule, error) : rejection)
                        .thenCompose(rejection -> rejection != null
                                ? CompletableFuture.completedFuture(rejection) : step(next, post));
            }
            Rejection rejection;
            try {
                rejection = result.join();
            } catch (RuntimeException e) { // completed exceptionally or cancelled
                return PostRule.reject(failed(rule, e));
            }
            if (rejection != null) {
                return result;
            }
        }
        return PostRule.pass();
    }

    private static Rejection failed(PostRule rule, Throwable e) {
        WARN.warn("rule {} failed unexpectedly; rejecting the post as unavailable", rule.getClass().getSimpleName(),
                e);
        return new Rejection(RejectReason.UNAVAILABLE, "internal error, retry");
    }
}
