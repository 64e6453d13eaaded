package io.danmaku.logic.rule;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.logging.ThrottledLog;
import io.danmaku.protocol.post.RejectReason;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs rules one after the other in their fixed order over a whole batch; each rule judges only the posts that
 * the rules before it let pass. A rule that throws or fails unexpectedly refuses the posts still passing as
 * {@code unavailable} (the future itself never fails).
 */
public final class RulePipeline {
    private static final Logger LOG = LoggerFactory.getLogger(RulePipeline.class);
    private static final ThrottledLog WARN = new ThrottledLog(LOG, Duration.ofSeconds(10));
    static final Rejection INTERNAL = new Rejection(RejectReason.UNAVAILABLE, "internal error, retry");

    private final List<PostRule> rules;
    private final Executor continueOn;

    /** A pipeline that goes on after a waiting rule on the thread that completed it. */
    public RulePipeline(List<PostRule> rules) {
        this(rules, Runnable::run);
    }

    /**
     * @param continueOn where the rules after one that had to wait (a store call) run: not on the store client's
     *     I/O thread, whose other answers would wait behind them
     */
    public RulePipeline(List<PostRule> rules, Executor continueOn) {
        this.rules = List.copyOf(requireNonNull(rules, "rules"));
        this.continueOn = requireNonNull(continueOn, "continueOn");
    }

    public List<PostRule> rules() {
        return rules;
    }

    /**
     * Completes when every rule has judged the batch; the batch then holds each post's rejection, or none for
     * the posts that passed. Rules that answer at once (no I/O, or cached answers) run in a plain loop; only a
     * rule still waiting costs a continuation.
     */
    public CompletableFuture<PostBatch> run(PostBatch batch) {
        requireNonNull(batch, "batch");
        return step(0, batch);
    }

    private CompletableFuture<PostBatch> step(int from, PostBatch batch) {
        for (int index = from; index < rules.size() && batch.passingCount() > 0; index++) {
            PostRule rule = rules.get(index);
            CompletableFuture<Void> result;
            try {
                result = requireNonNull(rule.check(batch), "rule result");
            } catch (RuntimeException e) {
                failed(rule, batch, e);
                return CompletableFuture.completedFuture(batch);
            }
            if (!result.isDone()) {
                int next = index + 1;
                return result.handleAsync((v, error) -> {
                    if (error != null) {
                        failed(rule, batch, error);
                    }
                    return null;
                }, continueOn).thenCompose(v -> step(next, batch));
            }
            if (result.isCompletedExceptionally()) {
                failed(rule, batch, result.handle((v, e) -> e).join());
                return CompletableFuture.completedFuture(batch);
            }
        }
        return CompletableFuture.completedFuture(batch);
    }

    private static void failed(PostRule rule, PostBatch batch, Throwable e) {
        WARN.warn("rule {} failed unexpectedly; rejecting its posts as unavailable", rule.getClass().getSimpleName(),
                e);
        batch.rejectPassing(INTERNAL);
    }
}
