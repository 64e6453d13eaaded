package io.danmaku.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.rpc.internal.PostMessages;
import io.danmaku.rpc.v1.LogicGrpc;
import io.danmaku.rpc.v1.PostBatchReply;
import io.danmaku.rpc.v1.PostBatchRequest;
import io.danmaku.rpc.v1.PostEntry;
import io.danmaku.rpc.v1.PostResultEntry;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a gateway makes of replies a real logic never sends in this shape (another implementation, a newer
 * version): answers out of order, missing, duplicated or for ids it never sent. A hand-written {@code Logic}
 * server answers as each test says.
 */
class GrpcPostClientRepliesTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private Server server;
    private GrpcPostClient client;

    @AfterEach
    void stop() throws InterruptedException {
        if (client != null) {
            client.close();
        }
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Starts a logic answering each PostBatch with {@code replies}, and a client of it. */
    private void logicAnswering(Function<PostBatchRequest, List<PostResultEntry>> replies) throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                        InsecureServerCredentials.create())
                .addService(new LogicGrpc.LogicImplBase() {
                    @Override
                    public void postBatch(PostBatchRequest request, StreamObserver<PostBatchReply> responses) {
                        responses.onNext(PostBatchReply.newBuilder().addAllResults(replies.apply(request)).build());
                        responses.onCompleted();
                    }
                })
                .build().start();
        client = new GrpcPostClient(RpcClientConfig.defaults("127.0.0.1:" + server.getPort()), meters);
    }

    /** Accepts the post as id {@code <its text>}. */
    private static PostResultEntry echo(PostEntry post) {
        return PostResultEntry.newBuilder().setId(post.getId()).setReply(PostMessages.toProto(PostResult.accepted(
                post.getPost().getText(), new BusPosition("r1", 1, "e1")))).build();
    }

    private static List<PostRequest> posts(int n) {
        List<PostRequest> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new PostRequest("r1", new UserRef("u" + i, null), "t" + i, null, null, null));
        }
        return out;
    }

    private List<PostResult> send(List<PostRequest> batch) {
        return client.postBatch(batch).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    private static PostResult accepted(String id) {
        return PostResult.accepted(id, new BusPosition("r1", 1, "e1"));
    }

    @Test
    void answersInAnyOrderAreMatchedToTheirPostsById() throws Exception {
        logicAnswering(request -> {
            List<PostResultEntry> reversed = new ArrayList<>();
            request.getPostsList().forEach(p -> reversed.add(0, echo(p)));
            return reversed;
        });

        assertThat(send(posts(4))).containsExactly(accepted("t0"), accepted("t1"), accepted("t2"), accepted("t3"));
    }

    @Test
    void aPostLeftUnansweredIsUnavailableAndStrayAnswersAreIgnoredAndCounted() throws Exception {
        logicAnswering(request -> {
            List<PostEntry> p = request.getPostsList();
            return List.of(
                    echo(p.get(2)),
                    // a second answer to post 2, one to an id never sent, one to a uint32 above 2^31 - 1
                    PostResultEntry.newBuilder().setId(p.get(2).getId())
                            .setReply(PostMessages.rejected("muted", "second answer")).build(),
                    PostResultEntry.newBuilder().setId(99).setReply(PostMessages.rejected("muted", "stray")).build(),
                    PostResultEntry.newBuilder().setId(-2).setReply(PostMessages.rejected("muted", "stray")).build(),
                    echo(p.get(0)));
        });

        List<PostResult> results = send(posts(3));

        assertThat(results).containsExactly(accepted("t0"),
                PostResult.rejected(RejectReason.UNAVAILABLE, GrpcPostClient.NO_ANSWER_MESSAGE), accepted("t2"));
        assertThat(meters.get("danmaku.rpc.client.reply.mismatched").tag("kind", "missing").counter().count())
                .isEqualTo(1);
        assertThat(meters.get("danmaku.rpc.client.reply.mismatched").tag("kind", "unexpected").counter().count())
                .isEqualTo(3);
        assertThat(meters.get("danmaku.rpc.client.calls").tag("status", "ok").counter().count()).isEqualTo(1);
    }

    @Test
    void anEmptyReplyLeavesEveryPostUnavailable() throws Exception {
        logicAnswering(request -> List.of());

        assertThat(send(posts(2))).containsOnly(
                PostResult.rejected(RejectReason.UNAVAILABLE, GrpcPostClient.NO_ANSWER_MESSAGE)).hasSize(2);
    }
}
