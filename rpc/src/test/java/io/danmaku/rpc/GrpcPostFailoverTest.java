package io.danmaku.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.RejectReason;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Logic instances going away, coming back, being several, shutting down: what a gateway's posts see. */
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

    @Test
    void aStaticListSpreadsPostsOverEveryInstance() {
        ScriptedPostService a = new ScriptedPostService();
        ScriptedPostService b = new ScriptedPostService();
        int portA = server(0, a).port();
        int portB = server(0, b).port();
        GrpcPostClient client = client("127.0.0.1:" + portA + ", localhost:" + portB, Duration.ofSeconds(5));

        // until both connections are up, round robin has only one instance to pick
        await().atMost(WAIT).until(() -> post(client).accepted() && !a.received.isEmpty() && !b.received.isEmpty());
        int beforeA = a.received.size();
        int beforeB = b.received.size();
        for (int i = 0; i < 100; i++) {
            assertThat(post(client).accepted()).isTrue();
        }

        assertThat(a.received.size() - beforeA).isGreaterThanOrEqualTo(25);
        assertThat(b.received.size() - beforeB).isGreaterThanOrEqualTo(25);
        assertThat(a.received.size() - beforeA + b.received.size() - beforeB).isEqualTo(100);
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
