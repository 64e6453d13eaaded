package io.danmaku.rpc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.rpc.v1.PostReply;
import org.junit.jupiter.api.Test;

/** What a gateway makes of replies it cannot fully understand (a newer or broken logic). */
class PostMessagesTest {

    @Test
    void anUnknownReasonCodeIsABadRequestKeepingLogicsMessage() {
        PostResult result = PostMessages.fromProto(PostMessages.rejected("slow_mode", "room is in slow mode"));

        assertThat(result).isEqualTo(PostResult.rejected(RejectReason.BAD_REQUEST, "room is in slow mode"));
    }

    @Test
    void aReplyWithNeitherResultIsUnavailable() {
        assertThat(PostMessages.fromProto(PostReply.getDefaultInstance()))
                .isEqualTo(PostResult.rejected(RejectReason.UNAVAILABLE, "logic sent an empty reply"));
    }

    @Test
    void progressTravelsWhenGivenAndStaysAbsentOtherwise() {
        io.danmaku.protocol.post.PostRequest with = new io.danmaku.protocol.post.PostRequest("live.1",
                new io.danmaku.protocol.UserRef("u1", "Ann"), "hi", null, null, null, null, 70_000L);
        assertThat(PostMessages.fromProto(PostMessages.toProto(with)).progressMillis()).isEqualTo(70_000L);
        io.danmaku.protocol.post.PostRequest negative = new io.danmaku.protocol.post.PostRequest("live.1", null, "hi",
                null, null, null, null, -5L);
        assertThat(PostMessages.fromProto(PostMessages.toProto(negative)).progressMillis())
                .as("carried as sent: logic judges it").isEqualTo(-5L);
        io.danmaku.protocol.post.PostRequest without = new io.danmaku.protocol.post.PostRequest("live.1", null, "hi",
                null, null, null);
        assertThat(PostMessages.toProto(without).hasProgressMs()).isFalse();
        assertThat(PostMessages.fromProto(PostMessages.toProto(without)).progressMillis()).isNull();
    }

    @Test
    void wellFormedMeansNoUnpairedSurrogate() {
        assertThat(PostMessages.wellFormed("")).isTrue();
        assertThat(PostMessages.wellFormed("弹幕 🎉")).isTrue();
        assertThat(PostMessages.wellFormed("\uD83C")).isFalse();
        assertThat(PostMessages.wellFormed("a\uDF89")).isFalse();
        assertThat(PostMessages.wellFormed("\uDF89\uD83C")).isFalse();
    }
}
