package io.danmaku.rpc;

import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.PostService;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A real, in-memory {@link PostService} standing in for logic behind the gRPC server: it records every batch and
 * every post it receives and answers each post as its script says (accept all, a fixed answer, hold the answer
 * until the test releases it, or fail); a batch is answered once all its posts are.
 */
final class ScriptedPostService implements PostService {
    /** Every post, in the order received. */
    final List<PostRequest> received = new CopyOnWriteArrayList<>();
    /** Every {@link #postBatch} call's batch. */
    final List<List<PostRequest>> batches = new CopyOnWriteArrayList<>();
    final List<CompletableFuture<PostResult>> held = new CopyOnWriteArrayList<>();
    /**
     * The held answers by the posting user's id: posts sent at once on different streams may reach this service
     * in either order, so a test that answers them differently finds them by user, not by position.
     */
    final Map<String, CompletableFuture<PostResult>> heldByUser = new ConcurrentHashMap<>();
    private final AtomicLong offsets = new AtomicLong();
    private volatile Function<PostRequest, CompletableFuture<PostResult>> script = this::accept;

    /** Accepts every post: id {@code m<offset>}, offsets 1, 2, 3… in epoch {@code e1}. */
    CompletableFuture<PostResult> accept(PostRequest request) {
        long offset = offsets.incrementAndGet();
        return CompletableFuture.completedFuture(
                PostResult.accepted("m" + offset, new BusPosition(request.room(), offset, "e1")));
    }

    ScriptedPostService answering(PostResult result) {
        script = request -> CompletableFuture.completedFuture(result);
        return this;
    }

    /** Answers nothing until the test completes the futures in {@link #held}. */
    ScriptedPostService holding() {
        script = request -> {
            CompletableFuture<PostResult> f = new CompletableFuture<>();
            heldByUser.put(request.user().id(), f);
            held.add(f);
            return f;
        };
        return this;
    }

    /** Holds every answer until {@code n} posts are in (all in flight at once), then accepts them all. */
    ScriptedPostService acceptingOnceAllOf(int n) {
        CompletableFuture<Void> allIn = new CompletableFuture<>();
        script = request -> {
            CompletableFuture<PostResult> result = allIn.thenCompose(ignored -> accept(request));
            if (received.size() >= n) {
                allIn.complete(null);
            }
            return result;
        };
        return this;
    }

    ScriptedPostService failing(RuntimeException e) {
        script = request -> CompletableFuture.failedFuture(e);
        return this;
    }

    /** The ids of the users whose posts this service received. */
    Set<String> users() {
        Set<String> out = new HashSet<>();
        for (PostRequest r : received) {
            out.add(r.user().id());
        }
        return out;
    }

    @Override
    public CompletableFuture<List<PostResult>> postBatch(List<PostRequest> batch) {
        batches.add(List.copyOf(batch));
        List<CompletableFuture<PostResult>> answers = new ArrayList<>(batch.size());
        for (PostRequest request : batch) {
            received.add(request);
            answers.add(script.apply(request));
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                .thenApply(ignored -> answers.stream().map(CompletableFuture::join).toList());
    }
}
