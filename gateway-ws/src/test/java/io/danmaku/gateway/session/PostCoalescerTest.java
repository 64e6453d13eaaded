package io.danmaku.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.PostService;
import io.danmaku.protocol.post.RejectReason;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PostCoalescerTest {
    private final EmbeddedChannel ch = new EmbeddedChannel();
    private final DistributionSummary sizes = DistributionSummary.builder("sizes").register(new SimpleMeterRegistry());
    /** Every batch the post service was given, with the future the test completes. */
    private final List<List<PostRequest>> batches = new ArrayList<>();
    private final List<CompletableFuture<List<PostResult>>> pending = new ArrayList<>();
    private final PostService recording = batch -> {
        batches.add(batch);
        CompletableFuture<List<PostResult>> f = new CompletableFuture<>();
        pending.add(f);
        return f;
    };
    private final List<String> answers = new ArrayList<>();

    @AfterEach
    void finish() {
        assertThat(ch.finish()).isFalse();
    }

    private static PostRequest post(String text) {
        return new PostRequest("live.1", new UserRef("u-" + text, "U"), text, null, null, null);
    }

    private void post(PostCoalescer coalescer, String text) {
        coalescer.post(post(text), r -> answers.add(text + "=" + (r.accepted() ? r.id() : r.reason().code())));
    }

    private static List<PostResult> accepted(List<PostRequest> batch) {
        List<PostResult> out = new ArrayList<>();
        for (PostRequest p : batch) {
            out.add(PostResult.accepted("id-" + p.text(), new BusPosition("live.1", 1, "e")));
        }
        return out;
    }

    @Test
    void postsWithinTheLingerGoOutAsOneBatchAndAreAnsweredInOrder() {
        PostCoalescer coalescer = new PostCoalescer(ch.eventLoop(), recording, Duration.ofMillis(1), 100, sizes);
        post(coalescer, "a");
        post(coalescer, "b");
        post(coalescer, "c");
        ch.runPendingTasks();
        assertThat(batches).as("nothing before the linger passed").isEmpty();
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(batches).hasSize(1);
        assertThat(batches.get(0)).extracting(PostRequest::text).containsExactly("a", "b", "c");
        pending.get(0).complete(accepted(batches.get(0)));
        assertThat(answers).containsExactly("a=id-a", "b=id-b", "c=id-c");
        assertThat(sizes.count()).isEqualTo(1);
        assertThat(sizes.totalAmount()).isEqualTo(3);
    }

    @Test
    void aFullBatchGoesOutAtOnceAndTheRestWaitsForTheNextLinger() {
        PostCoalescer coalescer = new PostCoalescer(ch.eventLoop(), recording, Duration.ofMillis(5), 2, sizes);
        post(coalescer, "a");
        post(coalescer, "b");
        assertThat(batches).hasSize(1);
        post(coalescer, "c");
        assertThat(batches).hasSize(1);
        assertThat(coalescer.pending()).isEqualTo(1);
        ch.advanceTimeBy(5, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(batches).hasSize(2);
        assertThat(batches.get(1)).extracting(PostRequest::text).containsExactly("c");
        pending.get(1).complete(accepted(batches.get(1)));
        pending.get(0).complete(accepted(batches.get(0)));
        assertThat(answers).containsExactly("c=id-c", "a=id-a", "b=id-b");
    }

    @Test
    void withoutLingerTheBatchLeavesOnceTheLoopRanItsPendingWork() {
        PostCoalescer coalescer = new PostCoalescer(ch.eventLoop(), recording, Duration.ZERO, 100, sizes);
        post(coalescer, "a");
        post(coalescer, "b");
        assertThat(batches).isEmpty();
        ch.runPendingTasks();
        assertThat(batches).hasSize(1);
        assertThat(batches.get(0)).hasSize(2);
    }

    @Test
    void aFailedOrMalformedAnswerAnswersEveryPostUnavailableOnce() {
        PostCoalescer coalescer = new PostCoalescer(ch.eventLoop(), recording, Duration.ZERO, 100, sizes);
        post(coalescer, "a");
        post(coalescer, "b");
        ch.runPendingTasks();
        pending.get(0).completeExceptionally(new IllegalStateException("broken"));
        post(coalescer, "c");
        ch.runPendingTasks();
        pending.get(1).complete(List.of()); // wrong number of results
        assertThat(answers).containsExactly("a=unavailable", "b=unavailable", "c=unavailable");
    }

    @Test
    void aServiceThatThrowsStillAnswersEveryPost() {
        PostService throwing = batch -> {
            throw new IllegalStateException("bug");
        };
        PostCoalescer coalescer = new PostCoalescer(ch.eventLoop(), throwing, Duration.ZERO, 100, sizes);
        post(coalescer, "a");
        ch.runPendingTasks();
        assertThat(answers).containsExactly("a=unavailable");
    }

    @Test
    void answersCompletedOnAnotherThreadAreHandedToTheLoop() throws Exception {
        PostCoalescer coalescer = new PostCoalescer(ch.eventLoop(), recording, Duration.ZERO, 100, sizes);
        post(coalescer, "a");
        ch.runPendingTasks();
        Thread other = new Thread(() -> pending.get(0).complete(List.of(PostResult.rejected(
                RejectReason.RATE_LIMITED, "slow down"))));
        other.start();
        other.join();
        // EmbeddedEventLoop counts every thread as its own; the answer arrives either way, exactly once
        ch.runPendingTasks();
        assertThat(answers).containsExactly("a=rate_limited");
    }
}
