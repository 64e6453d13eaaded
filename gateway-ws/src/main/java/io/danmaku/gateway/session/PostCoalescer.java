package io.danmaku.gateway.session;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.logging.ThrottledLog;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.PostService;
import io.danmaku.protocol.post.RejectReason;
import io.micrometer.core.instrument.DistributionSummary;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gathers the posts of every connection of one event loop and hands them to the {@link PostService} as one batch:
 * when the batch holds {@code maxBatch} posts, or {@code linger} after its first post (with a linger of 0: once the
 * loop has handled the reads that are ready, so posts read together leave together without any added wait). The
 * answers come back as one task on the loop, which calls each post's callback in order: no thread hop per post.
 *
 * <p>Confined to its loop: {@link #post} must be called on it. Memory is bounded by {@code maxBatch} here; posts
 * sent on are bounded by the post service, which refuses what it cannot take ({@code unavailable}) at once.
 *
 * <p>Meters: {@code danmaku.gateway.post.batch.size} (posts per batch sent on).
 */
public final class PostCoalescer {
    private static final Logger LOG = LoggerFactory.getLogger(PostCoalescer.class);
    private static final ThrottledLog WARN = new ThrottledLog(LOG, Duration.ofSeconds(10));
    private static final PostResult INTERNAL = PostResult.rejected(RejectReason.UNAVAILABLE,
            "internal error, retry");

    private final EventLoop loop;
    private final PostService posts;
    private final long lingerNanos;
    private final int maxBatch;
    private final DistributionSummary batchSize;
    private final Runnable scheduledFlush = this::scheduledFlush;
    private List<PostRequest> requests = new ArrayList<>();
    private List<Consumer<PostResult>> callbacks = new ArrayList<>();
    private boolean flushScheduled;

    public PostCoalescer(EventLoop loop, PostService posts, Duration linger, int maxBatch,
                         DistributionSummary batchSize) {
        this.loop = requireNonNull(loop, "loop");
        this.posts = requireNonNull(posts, "posts");
        this.lingerNanos = requireNonNull(linger, "linger").toNanos();
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch: " + maxBatch + " (expected: >= 1)");
        }
        this.maxBatch = maxBatch;
        this.batchSize = requireNonNull(batchSize, "batchSize");
    }

    /**
     * Adds a post to the loop's next batch; {@code onResult} is called on the loop with its answer (accepted, or
     * the rejection). Must be called on the loop.
     */
    public void post(PostRequest request, Consumer<PostResult> onResult) {
        requireNonNull(request, "request");
        requireNonNull(onResult, "onResult");
        assert loop.inEventLoop();
        requests.add(request);
        callbacks.add(onResult);
        if (requests.size() >= maxBatch) {
            flush();
        } else if (!flushScheduled) {
            flushScheduled = true;
            if (lingerNanos == 0) {
                loop.execute(scheduledFlush);
            } else {
                loop.schedule(scheduledFlush, lingerNanos, TimeUnit.NANOSECONDS);
            }
        }
    }

    /** Posts waiting for the next batch (for tests and gauges); call on the loop. */
    int pending() {
        return requests.size();
    }

    private void scheduledFlush() {
        flushScheduled = false;
        flush();
    }

    private void flush() {
        if (requests.isEmpty()) {
            return;
        }
        List<PostRequest> batch = requests;
        List<Consumer<PostResult>> waiting = callbacks;
        requests = new ArrayList<>(Math.min(maxBatch, batch.size() * 2));
        callbacks = new ArrayList<>(Math.min(maxBatch, batch.size() * 2));
        batchSize.record(batch.size());
        CompletableFuture<List<PostResult>> answered;
        try {
            answered = requireNonNull(posts.postBatch(batch), "postBatch result");
        } catch (RuntimeException e) {
            answered = CompletableFuture.failedFuture(e);
        }
        answered.whenComplete((results, error) -> {
            if (loop.inEventLoop()) {
                answer(batch, waiting, results, error);
            } else {
                loop.execute(() -> answer(batch, waiting, results, error));
            }
        });
    }

    private static void answer(List<PostRequest> batch, List<Consumer<PostResult>> waiting, List<PostResult> results,
                               Throwable error) {
        boolean broken = error != null || results == null || results.size() != waiting.size();
        if (broken) {
            WARN.warn(batch, PostRequest::traceId, "post service failed a batch of {} posts; answered unavailable: {}",
                    waiting.size(),
                    error != null ? error.toString()
                            : "answered " + (results == null ? "nothing" : results.size() + " results"));
        }
        for (int i = 0; i < waiting.size(); i++) {
            try {
                waiting.get(i).accept(broken ? INTERNAL : results.get(i));
            } catch (RuntimeException e) {
                WARN.warn("answering a post failed", e);
            }
        }
    }
}
