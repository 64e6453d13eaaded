package io.danmaku.rpc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.rpc.GrpcPostServer;
import io.danmaku.rpc.RpcServerConfig;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The pool of logic channels as the addresses behind a name change, with a resolver standing in for DNS. */
class LogicPoolTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final AtomicReference<Object> answer = new AtomicReference<>();
    private final Map<String, ManagedChannel> opened = new ConcurrentHashMap<>();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private LogicPool pool;

    @AfterEach
    void closeAll() throws Exception {
        if (pool != null) {
            pool.close();
        }
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    /** A pool over whatever {@link #answer} holds: a list of addresses, or an exception to throw. */
    private LogicPool pool(InetSocketAddress... initial) {
        answer.set(List.of(initial));
        pool = new LogicPool("test", () -> {
            Object a = answer.get();
            if (a instanceof RuntimeException e) {
                throw e;
            }
            @SuppressWarnings("unchecked")
            List<InetSocketAddress> list = (List<InetSocketAddress>) a;
            return list;
        }, address -> {
            ManagedChannel channel = Grpc.newChannelBuilderForAddress(address.getHostString(), address.getPort(),
                    InsecureChannelCredentials.create()).build();
            opened.put(LogicTarget.show(address), channel);
            return channel;
        });
        return pool;
    }

    private static InetSocketAddress at(int port) {
        return InetSocketAddress.createUnresolved("127.0.0.1", port);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static List<String> names(LogicPool pool) {
        return Arrays.stream(pool.members()).map(LogicPool.Member::address).sorted().toList();
    }

    @Test
    void addressesThatAppearGetAChannelAndThoseThatVanishHaveTheirsShutDown() {
        pool(at(1001), at(1002));
        ManagedChannel first = opened.get("127.0.0.1:1001");
        ManagedChannel second = opened.get("127.0.0.1:1002");

        answer.set(List.of(at(1003), at(1001)));
        assertThat(pool.refresh()).isTrue();

        assertThat(names(pool)).containsExactly("127.0.0.1:1001", "127.0.0.1:1003");
        assertThat(Arrays.stream(pool.members()).filter(m -> m.address().equals("127.0.0.1:1001")).findFirst()
                .orElseThrow().channel()).isSameAs(first);
        assertThat(first.isShutdown()).isFalse();
        assertThat(second.isShutdown()).isTrue();
        assertThat(opened).hasSize(3);
    }

    @Test
    void aFailedOrEmptyLookupKeepsTheMembers() {
        pool(at(1001), at(1002));

        answer.set(new IllegalStateException("cannot resolve logic:9090: SERVFAIL"));
        assertThat(pool.refresh()).isFalse();
        answer.set(List.of());
        assertThat(pool.refresh()).isFalse();

        assertThat(names(pool)).containsExactly("127.0.0.1:1001", "127.0.0.1:1002");
        assertThat(opened.values()).noneMatch(ManagedChannel::isShutdown);
    }

    @Test
    void aUserGoesToItsRendezvousAddressAndToItsRunnerUpWhileThatOneIsDown() throws IOException {
        PostResultsServer live = new PostResultsServer();
        toClose.add(live.server);
        int dead = freePort();
        pool(at(live.server.port()), at(dead));
        String liveName = "127.0.0.1:" + live.server.port();
        String deadName = "127.0.0.1:" + dead;
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            users.add("u" + i);
        }
        List<String> ofDead = users.stream().filter(u -> Rendezvous.pick(u, List.of(liveName, deadName))
                .equals(deadName)).toList();
        assertThat(ofDead).isNotEmpty().hasSizeLessThan(users.size());

        // nothing listens at the dead address: once gRPC knows, its users go to the live one; the others never moved
        await().atMost(WAIT).until(() -> opened.get(deadName).getState(false) == ConnectivityState.TRANSIENT_FAILURE);
        LogicPool.Member[] members = pool.members();
        for (String user : users) {
            assertThat(members[LogicPool.pick(members, Rendezvous.hash(user))].address()).isEqualTo(liveName);
        }
        await().atMost(WAIT).until(pool::anyReady);

        // when the dead one is gone from the name, nothing changes for anyone
        answer.set(List.of(at(live.server.port())));
        pool.refresh();
        assertThat(LogicPool.pick(pool.members(), Rendezvous.hash(ofDead.get(0)))).isZero();
    }

    @Test
    void withEveryAddressFailingTheTopRankedOneIsChosenAndNoneWithoutAddresses() throws IOException {
        int a = freePort();
        int b = freePort();
        pool(at(a), at(b));
        await().atMost(WAIT).until(() -> opened.values().stream()
                .allMatch(c -> c.getState(false) == ConnectivityState.TRANSIENT_FAILURE));

        LogicPool.Member[] members = pool.members();
        for (int i = 0; i < 50; i++) {
            String user = "u" + i;
            assertThat(members[LogicPool.pick(members, Rendezvous.hash(user))].address())
                    .isEqualTo(Rendezvous.pick(user, List.of("127.0.0.1:" + a, "127.0.0.1:" + b)));
        }
        assertThat(pool.anyReady()).isFalse();
        assertThat(LogicPool.pick(new LogicPool.Member[0], 1)).isEqualTo(-1);
    }

    @Test
    void closingShutsEveryChannelDownAndEmptiesThePool() {
        pool(at(1001), at(1002));

        pool.close();

        assertThat(pool.members()).isEmpty();
        assertThat(opened.values()).allMatch(ManagedChannel::isShutdown);
        assertThat(pool.refresh()).isFalse();
    }

    /** A logic server that rejects everything: enough to have a connection come up. */
    private static final class PostResultsServer {
        final GrpcPostServer server = new GrpcPostServer(RpcServerConfig.defaults().withAddress("127.0.0.1", 0),
                batch -> CompletableFuture.completedFuture(Collections.nCopies(batch.size(),
                        PostResult.rejected(RejectReason.UNAVAILABLE, "test"))),
                new SimpleMeterRegistry()).start();
    }
}
