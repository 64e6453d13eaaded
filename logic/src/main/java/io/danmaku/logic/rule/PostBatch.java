package io.danmaku.logic.rule;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.post.PostRequest;
import java.util.List;

/**
 * A batch of posts on its way through the {@link RulePipeline}: each post passes until a rule refuses it. Rules
 * see the batch one after the other (never two at once), so it needs no locking; a rule that completes
 * asynchronously hands it on through its future.
 */
public final class PostBatch {
    private final List<PostRequest> posts;
    private final Rejection[] rejections;
    private int passing;

    public PostBatch(List<PostRequest> posts) {
        this.posts = List.copyOf(requireNonNull(posts, "posts"));
        this.rejections = new Rejection[this.posts.size()];
        this.passing = this.posts.size();
    }

    public int size() {
        return posts.size();
    }

    public PostRequest post(int index) {
        return posts.get(index);
    }

    public List<PostRequest> posts() {
        return posts;
    }

    /** True while no rule refused post {@code index}. */
    public boolean passing(int index) {
        return rejections[index] == null;
    }

    /** How many posts no rule refused yet. */
    public int passingCount() {
        return passing;
    }

    /** Refuses post {@code index}; a post already refused keeps its first rejection. */
    public void reject(int index, Rejection rejection) {
        requireNonNull(rejection, "rejection");
        if (rejections[index] == null) {
            rejections[index] = rejection;
            passing--;
        }
    }

    /** Refuses every post still passing. */
    public void rejectPassing(Rejection rejection) {
        for (int i = 0; i < rejections.length; i++) {
            reject(i, rejection);
        }
    }

    /** The rejection of post {@code index}, or {@code null} when it passed every rule so far. */
    public Rejection rejection(int index) {
        return rejections[index];
    }
}
