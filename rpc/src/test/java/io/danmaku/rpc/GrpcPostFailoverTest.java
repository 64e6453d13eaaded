package io.danmaku.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.rpc.internal.Rendezvous;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Logic instances going away, coming back, being several, joining, shutting down: what a gateway's posts see,
 * and where each user's posts go.
 */
class GrpcPostFailoverTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final PostRequest POST = new PostRequest("r1", new UserRef("u", "U"), "hi", null, null, null);

    private final MeterRegistry meters = new SimpleMeterRegistry();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private GrpcPostServer server(int port, ScriptedPostService logic, Duration shutdownTimeout) {
        GrpcPostServer server = new GrpcPostServer(RpcServerConfig.defaults().withAddress("127.0.0.1", port)
                .withShutdownTimeout(shutdownTimeout), logic, meters).start();
        toClose.add(server);
        return server;
    }

    private GrpcPostServer server(int port, ScriptedPostService logic) {
        return server(port, logic, Duration.ofSeconds(30));
    }

    private GrpcPostClient client(String target, Duration deadline) {
        GrpcPostClient client = new GrpcPostClient(RpcClientConfig.defaults(target).withDeadline(deadline), meters);
        toClose.add(client);
        return client;
    }

    private static PostResult post(GrpcPostClient client) {
        return client.post(POST).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void noLogicListeningIsAnUnavailableRejection() throws IOException {
        GrpcPostClient client = client("127.0.0.1:" + freePort(), Duration.ofSeconds(5));

        PostResult result = post(client);

        assertThat(result).isEqualTo(PostResult.rejected(RejectReason.UNAVAILABLE, "logic unreachable: UNAVAILABLE"));
        assertThat(meters.get("danmaku.rpc.client.calls").tag("status", "unavailable").counter().count())
                .isEqualTo(1);
    }

    @Test
    void aLogicRestartedOnTheSamePortIsFoundAgain() {
        ScriptedPostService logic = new ScriptedPostService();
        GrpcPostServer first = server(0, logic);
        int port = first.port();
        GrpcPostClient client = client("127.0.0.1:" + port, Duration.ofSeconds(2));
        assertThat(post(client).accepted()).isTrue();

        first.close();
        await().atMost(WAIT).until(() -> post(client).reason() == RejectReason.UNAVAILABLE);

        server(port, logic);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> post(client).accepted());
    }

    /** {@code perUser} posts of each of {@code users} users, interleaved; post i is alone in room {@code r<i>}. */
    private static List<PostRequest> batchOf(int users, int perUser) {
        List<PostRequest> batch = new ArrayList<>();
        for (int k = 0; k < perUser; k++) {
            for (int u = 0; u < users; u++) {
                batch.add(new PostRequest("r" + batch.size(), new UserRef("u" + u, null), "m" + k, null, null,
                        null));
            }
        }
        return batch;
    }

    private static Set<String> usersOf(List<PostRequest> posts) {
        return posts.stream().map(p -> p.user().id()).collect(Collectors.toSet());
    }

    private static List<PostResult> join(CompletableFuture<List<PostResult>> batch) {
        return batch.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    @Test
    void eachUsersPostsGoToTheirRendezvousInstanceInOneCallPerInstance() {
        ScriptedPostService a = new ScriptedPostService();
        ScriptedPostService b = new ScriptedPostService();
        int portA = server(0, a).port();
        int portB = server(0, b).port();
        List<String> names = List.of("127.0.0.1:" + portA, "localhost:" + portB);
        GrpcPostClient client = client(String.join(", ", names), Duration.ofSeconds(5));
        List<PostRequest> batch = batchOf(100, 3);

        List<PostResult> results = join(client.postBatch(batch));

        // answered in batch order (post i alone in room r<i>), every one accepted
        assertThat(results).hasSize(300);
        for (int i = 0; i < 300; i++) {
            assertThat(results.get(i).position().room()).isEqualTo("r" + i);
        }
        // one batch per instance, each user wholly on its rendezvous instance, in the user's order
        assertThat(a.batches).hasSize(1);
        assertThat(b.batches).hasSize(1);
        assertThat(a.users()).isNotEmpty().doesNotContainAnyElementsOf(b.users());
        assertThat(a.received.size() + b.received.size()).isEqualTo(300);
        for (int u = 0; u < 100; u++) {
            String user = "u" + u;
            ScriptedPostService expected = Rendezvous.pick(user, names).equals(names.get(0)) ? a : b;
            assertThat(expected.received.stream().filter(p -> p.user().id().equals(user)).map(PostRequest::text))
                    .as("posts of %s", user).containsExactly("m0", "m1", "m2");
        }
        assertThat(meters.get("danmaku.rpc.client.calls").tag("status", "ok").counter().count()).isEqualTo(2);
    }

    @Test
    void anInstanceKilledMidCallFailsItsPostsOnceAndItsUsersMoveToTheLiveOne() {
        ScriptedPostService a = new ScriptedPostService().holding();
        ScriptedPostService b = new ScriptedPostService().holding();
        GrpcPostServer serverA = server(0, a, Duration.ZERO);
        int portB = server(0, b).port();
        GrpcPostClient client = client("127.0.0.1:" + serverA.port() + ",127.0.0.1:" + portB,
                Duration.ofSeconds(20));
        // one post per user: holding() finds the held answer by user
        List<PostRequest> batch = batchOf(100, 1);
        CompletableFuture<List<PostResult>> pending = client.postBatch(batch);
        await().atMost(WAIT).until(() -> a.held.size() + b.held.size() == 100);
        assertThat(a.held).isNotEmpty();
        assertThat(b.held).isNotEmpty();
        Set<String> usersOfA = a.users();

        serverA.close(); // shutdown timeout zero: the calls in flight are cancelled, the connection closed
        b.held.forEach(f -> f.complete(PostResult.accepted("ok", new BusPosition("r", 1, "e1"))));
        // A's late answers (logic went on with the posts) reach nobody
        a.held.forEach(f -> f.complete(PostResult.accepted("late", new BusPosition("r", 2, "e1"))));

        List<PostResult> results = join(pending);
        for (int i = 0; i < 100; i++) {
            PostResult r = results.get(i);
            if (usersOfA.contains(batch.get(i).user().id())) {
                assertThat(r.reason()).isEqualTo(RejectReason.UNAVAILABLE);
                assertThat(r.message()).startsWith("logic unreachable: ");
            } else {
                assertThat(r.id()).isEqualTo("ok");
            }
        }
        assertThat(meters.get("danmaku.rpc.client.calls").tag("status", "ok").counter().count()).isEqualTo(1);

        // A is down: its users' posts now reach B (once the client knows A's connection is failing)
        b.answering(PostResult.accepted("ok", new BusPosition("r", 1, "e1")));
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .until(() -> join(client.postBatch(batch)).stream().allMatch(PostResult::accepted));
        assertThat(b.users()).containsAll(usersOfA);
    }

    @Test
    void anInstanceFoundByResolvingAgainTakesItsUsersAndOnlyThose() {
        ScriptedPostService a = new ScriptedPostService();
        ScriptedPostService b = new ScriptedPostService();
        int portA = server(0, a).port();
        int portB = server(0, b).port();
        InetSocketAddress addressA = InetSocketAddress.createUnresolved("127.0.0.1", portA);
        InetSocketAddress addressB = InetSocketAddress.createUnresolved("127.0.0.1", portB);
        AtomicReference<List<InetSocketAddress>> dns = new AtomicReference<>(List.of(addressA));
        GrpcPostClient client = new GrpcPostClient(RpcClientConfig.defaults("dns:///logic.test:9090")
                .withDeadline(Duration.ofSeconds(5)).withDnsRefreshInterval(Duration.ofMillis(100)), meters,
                GrpcPostClient.DEFAULT_MAX_IN_FLIGHT, dns::get);
        toClose.add(client);
        List<PostRequest> batch = batchOf(200, 1);
        assertThat(join(client.postBatch(batch))).allMatch(PostResult::accepted);
        assertThat(a.users()).hasSize(200);

        dns.set(List.of(addressB, addressA));
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
            join(client.postBatch(batch));
            return !b.received.isEmpty();
        });

        Set<String> expectedOnB = new HashSet<>();
        List<String> names = List.of("127.0.0.1:" + portA, "127.0.0.1:" + portB);
        for (int u = 0; u < 200; u++) {
            if (Rendezvous.pick("u" + u, names).equals(names.get(1))) {
                expectedOnB.add("u" + u);
            }
        }
        // the first batch after the change may have gone before it; the next one is all on the new split
        b.received.clear();
        a.received.clear();
        assertThat(join(client.postBatch(batch))).allMatch(PostResult::accepted);
        assertThat(b.users()).isEqualTo(expectedOnB);
        assertThat(a.users()).doesNotContainAnyElementsOf(expectedOnB).hasSize(200 - expectedOnB.size());
    }

    @Test
    void shutdownLetsPostsInFlightFinishAndRefusesNewOnes() {
        ScriptedPostService logic = new ScriptedPostService().holding();
        GrpcPostServer server = server(0, logic);
        GrpcPostClient client = client("127.0.0.1:" + server.port(), Duration.ofSeconds(20));
        CompletableFuture<PostResult> inFlight = client.post(POST);
        await().atMost(WAIT).until(() -> logic.held.size() == 1);

        CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
        // the server said goodbye on the connection: the client has no ready instance left
        await().atMost(WAIT).until(() -> !client.ready());
        assertThat(closing).isNotDone();
        assertThat(post(client).reason()).isEqualTo(RejectReason.UNAVAILABLE);

        logic.held.get(0).complete(PostResult.accepted("m1", new BusPosition("r1", 1, "e1")));

        assertThat(inFlight.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join())
                .isEqualTo(PostResult.accepted("m1", new BusPosition("r1", 1, "e1")));
        closing.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
        assertThat(logic.received).hasSize(1);
    }

    @Test
    void shutdownCancelsWhatIsStillInFlightAfterItsTimeout() {
        ScriptedPostService logic = new ScriptedPostService().holding();
        GrpcPostServer server = server(0, logic, Duration.ofMillis(200));
        GrpcPostClient client = client("127.0.0.1:" + server.port(), Duration.ofSeconds(20));
        CompletableFuture<PostResult> inFlight = client.post(POST);
        await().atMost(WAIT).until(() -> logic.held.size() == 1);

        server.close();

        PostResult result = inFlight.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
        assertThat(result.reason()).isEqualTo(RejectReason.UNAVAILABLE);
        assertThat(result.message()).startsWith("logic unreachable: ");
    }

    @Test
    void aPortInUseFailsTheStartNamingTheSetting() throws IOException {
        try (ServerSocket taken = new ServerSocket(0)) {
            GrpcPostServer server = new GrpcPostServer(
                    RpcServerConfig.defaults().withAddress("127.0.0.1", taken.getLocalPort()),
                    new ScriptedPostService(), meters);
            toClose.add(server);

            assertThatThrownBy(server::start)
                    .isInstanceOf(RpcException.class)
                    .hasMessageContaining("logic.grpc.port")
                    .hasMessageContaining("127.0.0.1:" + taken.getLocalPort());
        }
    }
}
