package io.danmaku.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.protocol.trace.TraceId;
import io.danmaku.rpc.v1.LogicGrpc;
import io.danmaku.rpc.v1.PostBatchReply;
import io.danmaku.rpc.v1.PostBatchRequest;
import io.danmaku.rpc.v1.PostEntry;
import io.danmaku.rpc.v1.PostReply;
import io.danmaku.rpc.v1.PostResultEntry;
import io.danmaku.rpc.v1.User;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A gateway's {@link GrpcPostClient} against a real {@link GrpcPostServer} on loopback. */
class GrpcPostRoundTripTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final SimpleMeterRegistry serverMeters = new SimpleMeterRegistry();
    private final SimpleMeterRegistry clientMeters = new SimpleMeterRegistry();
    private final ScriptedPostService logic = new ScriptedPostService();
    private GrpcPostServer server;
    private GrpcPostClient client;

    @BeforeEach
    void start() {
        server = new GrpcPostServer(RpcServerConfig.defaults().withAddress("127.0.0.1", 0), logic, serverMeters)
                .start();
        client = new GrpcPostClient(RpcClientConfig.defaults("127.0.0.1:" + server.port()), clientMeters);
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    private PostResult post(PostRequest request) {
        return client.post(request).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    @Test
    void everyFieldReachesLogicAsSent() {
        PostRequest sent = new PostRequest("live:42", new UserRef("u-1", "Alice"), "弹幕 🎉 テスト ¡olé!", 0xFF0000, 5,
                "c-1", new TraceId(0x8000_0000_0000_0001L, -1L));

        PostResult result = post(sent);

        assertThat(logic.received).containsExactly(sent);
        assertThat(result).isEqualTo(PostResult.accepted("m1", new BusPosition("live:42", 1, "e1")));
    }

    @Test
    void absentFieldsStayAbsentAndEmptyStaysEmpty() {
        PostRequest anonymousBare = new PostRequest("r1", null, null, null, null, null);
        PostRequest empties = new PostRequest("", new UserRef("u", null), "", 0, 0, "");
        PostRequest outOfRange = new PostRequest("r1", new UserRef("u", "U"), " ", -1, Integer.MAX_VALUE, "x");

        post(anonymousBare);
        post(empties);
        post(outOfRange);

        assertThat(logic.received).containsExactly(anonymousBare, empties, outOfRange);
        assertThat(logic.received.get(1).user().name()).isEqualTo("u");
        assertThat(logic.received).extracting(PostRequest::traceId).containsOnlyNulls();
    }

    @Test
    void malformedUnicodeReachesLogicUnchanged() {
        // an unpaired surrogate (a JSON "\ud800" escape) cannot be UTF-8; logic must still see it to reject it
        PostRequest sent = new PostRequest("r1", new UserRef("u", "U"), "a\uD800b\uDC00 ok 🎉", null, null,
                "\uDFFFid");

        post(sent);

        assertThat(logic.received).containsExactly(sent);
    }

    @Test
    void anAcceptedPostWithoutEpochKeepsNone() {
        logic.answering(PostResult.accepted("id-7", new BusPosition("r1", 0, null)));

        assertThat(post(new PostRequest("r1", new UserRef("u", "U"), "hi", null, null, null)))
                .isEqualTo(PostResult.accepted("id-7", new BusPosition("r1", 0, null)));
    }

    @ParameterizedTest
    @EnumSource(RejectReason.class)
    void everyRejectionComesBackWithItsReasonAndMessage(RejectReason reason) {
        PostResult rejected = PostResult.rejected(reason, "text: 「" + reason.code() + "」 (expected: something)");
        logic.answering(rejected);

        assertThat(post(new PostRequest("r1", new UserRef("u", "U"), "hi", null, null, null))).isEqualTo(rejected);
    }

    @Test
    void thousandPostsAreInFlightAtOnceAndAllAnswered() {
        int n = 1000;
        logic.acceptingOnceAllOf(n);
        List<CompletableFuture<PostResult>> results = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            results.add(client.post(new PostRequest("r" + (i % 7), new UserRef("u" + i, null), "msg " + i, null, null,
                    "c" + i)));
        }

        // logic answers none until it holds all 1000: they were pipelined, not one after another
        await().atMost(WAIT).until(() -> results.stream().allMatch(CompletableFuture::isDone));
        List<PostResult> answers = results.stream().map(CompletableFuture::join).collect(Collectors.toList());
        assertThat(answers).allMatch(PostResult::accepted);
        assertThat(answers.stream().map(PostResult::id).distinct()).hasSize(n);
        assertThat(logic.received).hasSize(n);
        assertThat(clientMeters.get("danmaku.rpc.client.calls").tag("status", "ok").counter().count())
                .isEqualTo(n);
        assertThat(clientMeters.get("danmaku.rpc.client.latency").timer().count()).isEqualTo(n);
        assertThat(serverMeters.get("danmaku.rpc.server.calls").tag("status", "ok").counter().count()).isEqualTo(n);
    }

    private static PostRequest postOf(String user, String text) {
        return new PostRequest("r1", new UserRef(user, null), text, null, null, null);
    }

    private static List<PostResult> join(CompletableFuture<List<PostResult>> batch) {
        return batch.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    @Test
    void aBatchIsOneCallAndOneServiceBatchAnsweredInOrder() {
        List<PostRequest> batch = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            batch.add(new PostRequest("room-" + i, new UserRef("u" + (i % 37), null), "msg " + i, null, null,
                    "c" + i));
        }

        List<PostResult> results = join(client.postBatch(batch));

        // the service judged the batch in one call, in order: post i got offset i + 1 in its own room
        assertThat(logic.batches).containsExactly(batch);
        assertThat(results).hasSize(500);
        for (int i = 0; i < 500; i++) {
            assertThat(results.get(i)).isEqualTo(PostResult.accepted("m" + (i + 1),
                    new BusPosition("room-" + i, i + 1, "e1")));
        }
        assertThat(clientMeters.get("danmaku.rpc.client.calls").tag("status", "ok").counter().count()).isEqualTo(1);
        assertThat(clientMeters.get("danmaku.rpc.client.batch.size").summary().totalAmount()).isEqualTo(500);
        assertThat(serverMeters.get("danmaku.rpc.server.batch.size").summary().count()).isEqualTo(1);
        assertThat(join(client.postBatch(List.of()))).isEmpty();
    }

    @Test
    void beyondItsInFlightBoundTheClientShedsWholeBatchesAtOnceAndTakesNewOnesWhenAnswered() {
        logic.holding();
        client.close();
        client = new GrpcPostClient(RpcClientConfig.defaults("127.0.0.1:" + server.port()), clientMeters, 3);
        CompletableFuture<List<PostResult>> first = client.postBatch(List.of(postOf("u1", "a"), postOf("u2", "b")));
        await().atMost(WAIT).until(() -> logic.held.size() == 2);

        // two more would make four in flight: both refused, without a call
        PostResult shed = PostResult.rejected(RejectReason.UNAVAILABLE, GrpcPostClient.OVERLOADED_MESSAGE);
        assertThat(join(client.postBatch(List.of(postOf("u3", "c"), postOf("u4", "d"))))).containsExactly(shed, shed);
        assertThat(join(client.postBatch(List.of(postOf("u5", "e"), postOf("u5", "f"), postOf("u5", "g"),
                postOf("u5", "h"))))).containsOnly(shed).hasSize(4);
        assertThat(clientMeters.get("danmaku.rpc.client.calls").tag("status", "resource_exhausted").counter()
                .count()).isEqualTo(2);
        // one more fits
        CompletableFuture<List<PostResult>> third = client.postBatch(List.of(postOf("u6", "i")));
        await().atMost(WAIT).until(() -> logic.held.size() == 3);
        assertThat(logic.batches).hasSize(2);

        logic.heldByUser.get("u1").complete(PostResult.accepted("m1", new BusPosition("r1", 1, "e1")));
        logic.heldByUser.get("u2").complete(PostResult.rejected(RejectReason.MUTED, "muted"));
        assertThat(join(first)).containsExactly(PostResult.accepted("m1", new BusPosition("r1", 1, "e1")),
                PostResult.rejected(RejectReason.MUTED, "muted"));
        // answered (accepted or not): their places are free again
        CompletableFuture<List<PostResult>> fourth = client.postBatch(List.of(postOf("u7", "j"), postOf("u8", "k")));
        await().atMost(WAIT).until(() -> logic.held.size() == 5);
        assertThat(fourth).isNotDone();
        logic.held.forEach(f -> f.complete(PostResult.accepted("m", new BusPosition("r1", 2, "e1"))));
        assertThat(join(third)).allMatch(PostResult::accepted);
        assertThat(join(fourth)).hasSize(2).allMatch(PostResult::accepted);
    }

    @Test
    void aPostFailingAtTheDeadlineFreesItsPlace() {
        logic.holding();
        client.close();
        client = new GrpcPostClient(RpcClientConfig.defaults("127.0.0.1:" + server.port())
                .withDeadline(Duration.ofMillis(300)), clientMeters, 1);
        assertThat(post(new PostRequest("r1", new UserRef("u1", null), "a", null, null, null)).message())
                .isEqualTo("logic unreachable: DEADLINE_EXCEEDED");
        // the one place is free again: the next post reaches logic (and times out there in turn)
        assertThat(post(new PostRequest("r1", new UserRef("u2", null), "b", null, null, null)).message())
                .isEqualTo("logic unreachable: DEADLINE_EXCEEDED");
        assertThat(logic.received).hasSize(2);
    }

    @Test
    void beyondItsInFlightBoundTheServerAnswersEveryPostUnavailableWithoutStartingThem() {
        logic.holding();
        server.close();
        client.close();
        server = new GrpcPostServer(RpcServerConfig.defaults().withAddress("127.0.0.1", 0), logic, serverMeters, 3)
                .start();
        client = new GrpcPostClient(RpcClientConfig.defaults("127.0.0.1:" + server.port()), clientMeters);
        CompletableFuture<List<PostResult>> first = client.postBatch(List.of(postOf("u1", "a"), postOf("u2", "b")));
        await().atMost(WAIT).until(() -> logic.held.size() == 2);

        PostResult shed = PostResult.rejected(RejectReason.UNAVAILABLE, GrpcPostClient.OVERLOADED_MESSAGE);
        assertThat(join(client.postBatch(List.of(postOf("u3", "c"), postOf("u4", "d"))))).containsExactly(shed, shed);
        assertThat(logic.received).hasSize(2);
        assertThat(serverMeters.get("danmaku.rpc.server.calls").tag("status", "resource_exhausted").counter()
                .count()).isEqualTo(1);

        logic.held.forEach(f -> f.complete(PostResult.accepted("m1", new BusPosition("r1", 1, "e1"))));
        assertThat(join(first)).hasSize(2).allMatch(PostResult::accepted);
        logic.answering(PostResult.accepted("m3", new BusPosition("r1", 3, "e1")));
        assertThat(join(client.postBatch(List.of(postOf("u3", "c"), postOf("u4", "d"), postOf("u5", "e")))))
                .hasSize(3).allMatch(PostResult::accepted);
    }

    @Test
    void inFlightBoundsMustBePositive() {
        RpcClientConfig config = RpcClientConfig.defaults("127.0.0.1:" + server.port());
        assertThatThrownBy(() -> new GrpcPostClient(config, clientMeters, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxInFlight: 0 (expected: >= 1)");
        assertThatThrownBy(() -> new GrpcPostServer(RpcServerConfig.defaults(), logic, serverMeters, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxInFlight: 0 (expected: >= 1)");
    }

    @Test
    void aPostLogicNeverAnswersIsRejectedUnavailableAtTheDeadline() {
        logic.holding();
        client.close();
        client = new GrpcPostClient(RpcClientConfig.defaults("127.0.0.1:" + server.port())
                .withDeadline(Duration.ofMillis(300)), clientMeters);

        PostResult result = post(new PostRequest("r1", new UserRef("u", "U"), "hi", null, null, null));

        assertThat(result).isEqualTo(
                PostResult.rejected(RejectReason.UNAVAILABLE, "logic unreachable: DEADLINE_EXCEEDED"));
        assertThat(clientMeters.get("danmaku.rpc.client.calls").tag("status", "deadline_exceeded").counter().count())
                .isEqualTo(1);
        // logic learns the gateway gave up; its late answer goes nowhere
        await().atMost(WAIT).until(() -> serverMeters.get("danmaku.rpc.server.calls").tag("status", "cancelled")
                .counter().count() == 1);
        logic.held.get(0).complete(PostResult.accepted("late", new BusPosition("r1", 1, "e1")));
        assertThat(serverMeters.get("danmaku.rpc.server.calls").tag("status", "ok").counter().count()).isZero();
    }

    @Test
    void aFailingPostServiceIsAnUnavailableRejectionNotAnException() {
        logic.failing(new IllegalStateException("bus exploded"));

        PostResult result = post(new PostRequest("r1", new UserRef("u", "U"), "hi", null, null, null));

        assertThat(result).isEqualTo(PostResult.rejected(RejectReason.UNAVAILABLE, "logic unreachable: INTERNAL"));
        assertThat(serverMeters.get("danmaku.rpc.server.calls").tag("status", "internal").counter().count())
                .isEqualTo(1);
    }

    @Test
    void aDnsTargetFindsLogic() {
        client.close();
        client = new GrpcPostClient(RpcClientConfig.defaults("dns:///localhost:" + server.port()), clientMeters);

        // where localhost is also ::1 (not listened on), the user's post goes to 127.0.0.1 once ::1 is known to fail
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> post(new PostRequest("r1",
                new UserRef("u", "U"), "hi", null, null, null)).accepted());
        assertThat(client.ready()).isTrue();
    }

    @Test
    void aRequestBreakingTheSeamsRulesIsRejectedNamingTheField() throws InterruptedException {
        // no gateway sends this (UserRef forbids it); another client of the port might
        ManagedChannel raw = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        try {
            PostReply reply = LogicGrpc.newBlockingStub(raw).withDeadlineAfter(20, TimeUnit.SECONDS)
                    .post(io.danmaku.rpc.v1.PostRequest.newBuilder().setRoom("r1")
                            .setUser(User.newBuilder().setId("")).setText("hi").build());

            assertThat(reply.getRejected().getReason()).isEqualTo("bad_request");
            assertThat(reply.getRejected().getMessage()).startsWith("user.id: ");
            assertThat(logic.received).isEmpty();
        } finally {
            raw.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aFailingPostServiceFailsEveryPostOfTheBatchUnavailable() {
        logic.failing(new IllegalStateException("bus exploded"));

        List<PostResult> results = join(client.postBatch(List.of(postOf("u1", "a"), postOf("u2", "b"))));

        assertThat(results).containsExactly(
                PostResult.rejected(RejectReason.UNAVAILABLE, "logic unreachable: INTERNAL"),
                PostResult.rejected(RejectReason.UNAVAILABLE, "logic unreachable: INTERNAL"));
    }

    @Test
    void aPostServiceAnsweringTheWrongNumberOfPostsFailsTheCall() {
        server.close();
        client.close();
        server = new GrpcPostServer(RpcServerConfig.defaults().withAddress("127.0.0.1", 0),
                batch -> CompletableFuture.completedFuture(List.of(PostResult.rejected(RejectReason.MUTED, "m"))),
                serverMeters).start();
        client = new GrpcPostClient(RpcClientConfig.defaults("127.0.0.1:" + server.port()), clientMeters);

        assertThat(join(client.postBatch(List.of(postOf("u1", "a"), postOf("u2", "b")))))
                .extracting(PostResult::message).containsOnly("logic unreachable: INTERNAL");
    }

    /** Calls {@code Logic} as any gRPC client of the port could, not only a gateway. */
    private <T> T raw(java.util.function.Function<LogicGrpc.LogicBlockingStub, T> call) throws InterruptedException {
        ManagedChannel raw = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        try {
            return call.apply(LogicGrpc.newBlockingStub(raw).withDeadlineAfter(20, TimeUnit.SECONDS));
        } finally {
            raw.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static PostEntry entry(int id, String user, String text) {
        return PostEntry.newBuilder().setId(id).setPost(io.danmaku.rpc.v1.PostRequest.newBuilder().setRoom("r1")
                .setUser(User.newBuilder().setId(user)).setText(text)).build();
    }

    @Test
    void theServerAnswersEveryPostUnderItsIdWithTheBrokenOnesRejectedAlone() throws InterruptedException {
        PostBatchReply reply = raw(stub -> stub.postBatch(PostBatchRequest.newBuilder()
                .addPosts(entry(70, "u1", "a"))
                .addPosts(entry(-1, "", "b")) // id 2^32 - 1, and a user breaking the seam's rules
                .addPosts(entry(3, "u3", "c"))
                .build()));

        assertThat(reply.getResultsList()).extracting(PostResultEntry::getId).containsExactlyInAnyOrder(70, -1, 3);
        Map<Integer, PostReply> byId = reply.getResultsList().stream()
                .collect(Collectors.toMap(PostResultEntry::getId, PostResultEntry::getReply));
        assertThat(byId.get(-1).getRejected().getReason()).isEqualTo("bad_request");
        assertThat(byId.get(-1).getRejected().getMessage()).startsWith("user.id: ");
        assertThat(byId.get(70).getAccepted().getId()).isEqualTo("m1");
        assertThat(byId.get(3).getAccepted().getId()).isEqualTo("m2");
        assertThat(logic.batches).hasSize(1);
        assertThat(logic.batches.get(0)).extracting(PostRequest::text).containsExactly("a", "c");
    }

    @Test
    void aBatchWithTwoPostsUnderOneIdIsAnInvalidArgument() {
        assertThatThrownBy(() -> raw(stub -> stub.postBatch(PostBatchRequest.newBuilder()
                .addPosts(entry(0, "u1", "a")).addPosts(entry(5, "u2", "b")).addPosts(entry(5, "u3", "c"))
                .build())))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessage("INVALID_ARGUMENT: posts.id: 5 appears twice (expected: ids unique within the batch)");
        assertThat(logic.received).isEmpty();
    }

    @Test
    void anEmptyBatchGetsAnEmptyReply() throws InterruptedException {
        assertThat(raw(stub -> stub.postBatch(PostBatchRequest.getDefaultInstance())).getResultsCount()).isZero();
        assertThat(logic.batches).isEmpty();
    }

    @Test
    void theOneByOnePostOfOlderGatewaysIsStillServed() throws InterruptedException {
        PostReply reply = raw(stub -> stub.post(io.danmaku.rpc.v1.PostRequest.newBuilder().setRoom("r1")
                .setUser(User.newBuilder().setId("u1")).setText("hi").build()));

        assertThat(reply.getAccepted().getOffset()).isEqualTo(1);
        assertThat(logic.batches).containsExactly(List.of(postOf("u1", "hi")));
    }

    @Test
    void aClosedClientRejectsUnavailable() {
        client.close();

        PostResult result = post(new PostRequest("r1", new UserRef("u", "U"), "hi", null, null, null));

        assertThat(result.reason()).isEqualTo(RejectReason.UNAVAILABLE);
        assertThat(result.message()).startsWith("logic unreachable: ");
        assertThat(client.ready()).isFalse();
    }
}
