package io.danmaku.gateway;

import io.danmaku.gateway.auth.DemoTokenIssuer;
import io.danmaku.gateway.auth.TokenVerifier;
import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.bus.BusMessage;
import io.danmaku.protocol.json.RoomMessageCodec;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.PostService;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.protocol.store.HistoryQuery;
import io.danmaku.protocol.bus.BusSubscription;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A gateway on an ephemeral loopback port over the in-memory bus and store, with a history writer standing in
 * for storage and a post service that publishes without validation (logic is tested in its own module and
 * end to end in the server module).
 */
final class GatewayHarness implements AutoCloseable {
    static final String SECRET = "test-secret-test-secret-test-secret-0123";

    final MemoryMessageBus bus = new MemoryMessageBus();
    final MemoryHotStore store;
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final GatewayServer server;
    private final BusSubscription history;
    private final AtomicLong ids = new AtomicLong();
    /** The server time posts are stamped with. */
    volatile LongSupplier postClock = System::currentTimeMillis;

    GatewayHarness(GatewayConfig config, boolean allowAnonymous) throws InterruptedException {
        this(config, allowAnonymous, 50);
    }

    /** @param historyPerRoom messages of history the store keeps per room */
    GatewayHarness(GatewayConfig config, boolean allowAnonymous, int historyPerRoom) throws InterruptedException {
        store = new MemoryHotStore(Clock.systemUTC(), historyPerRoom);
        history = bus.subscribeGroup("test-storage", records -> {
            CompletableFuture<?>[] all = records.stream()
                    .map(r -> store.appendHistory(r.room(), List.of(r)))
                    .toArray(CompletableFuture[]::new);
            return CompletableFuture.allOf(all);
        });
        PostService one = new PostService() {
            @Override
            public CompletableFuture<List<PostResult>> postBatch(List<PostRequest> batch) {
                CompletableFuture<?>[] each = batch.stream().map(this::post).toArray(CompletableFuture[]::new);
                return CompletableFuture.allOf(each).thenApply(v -> java.util.Arrays.stream(each)
                        .map(f -> (PostResult) f.join()).toList());
            }

            @Override
            public CompletableFuture<PostResult> post(PostRequest req) {
                return single(req);
            }
        };
        PostService posts = one;
        server = new GatewayServer(config.toBuilder().host("127.0.0.1").port(0).build(), "gw-test", bus, store,
                posts, TokenVerifier.create(SECRET, null, Clock.systemUTC()), allowAnonymous, null,
                new DemoTokenIssuer(SECRET, Clock.systemUTC()), meters).start();
    }

    private CompletableFuture<PostResult> single(PostRequest req) {
        {
            if (req.text() == null) {
                return CompletableFuture.completedFuture(PostResult.rejected(RejectReason.BAD_REQUEST,
                        "text: required"));
            }
            RoomMessage m = RoomMessage.danmaku("m" + ids.incrementAndGet(), req.room(), postClock.getAsLong(),
                    req.user(), req.text(), req.color() == null ? RoomMessage.DEFAULT_COLOR : req.color(),
                    req.mode() == null ? RoomMessage.DEFAULT_MODE : req.mode(), null);
            return bus.publish(new BusMessage(req.room(), RoomMessageCodec.encode(m)))
                    .thenApply(pos -> PostResult.accepted(m.id(), pos));
        }
    }

    GatewayHarness() throws InterruptedException {
        this(GatewayConfig.builder().batchWindow(java.time.Duration.ofMillis(20)).build(), true);
    }

    int port() {
        return server.port();
    }

    /** Publishes a danmaku directly on the bus, as logic would. */
    long publish(String room, String text) {
        RoomMessage m = RoomMessage.danmaku("d" + ids.incrementAndGet(), room, System.currentTimeMillis(),
                new io.danmaku.protocol.UserRef("u-bus", "Bus"), text, 0xFFFFFF, 1, null);
        return bus.publish(new BusMessage(room, RoomMessageCodec.encode(m))).join().offset();
    }

    long storedTop(String room) {
        return store.history(HistoryQuery.position(room)).join().topOffset();
    }

    @Override
    public void close() {
        server.close();
        history.close();
        bus.close();
        store.close();
    }
}
