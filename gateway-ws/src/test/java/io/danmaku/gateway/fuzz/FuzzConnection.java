package io.danmaku.gateway.fuzz;

import io.danmaku.gateway.GatewayConfig;
import io.danmaku.gateway.auth.TokenVerifier;
import io.danmaku.gateway.room.FanoutMetrics;
import io.danmaku.gateway.room.RoomRegistry;
import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.testkit.leak.TrackingAllocator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One server connection for one fuzz input: an {@code EmbeddedChannel} whose allocator remembers every buffer,
 * a gateway context on memory implementations, and the checks every input must pass when it is closed.
 */
public final class FuzzConnection implements AutoCloseable {
    public static final String SECRET = "fuzz-secret-fuzz-secret-fuzz-secret-0123";
    /** Every post is accepted at offset 1. */
    private static final PostResult ACCEPTED = PostResult.accepted("p-1", new BusPosition("r", 1, "e"));
    /** Shared by all inputs of a run: one per input would cost more than the input. */
    private static final MemoryMessageBus BUS = new MemoryMessageBus();
    private static final TokenVerifier TOKENS = TokenVerifier.create(SECRET, null, Clock.systemUTC());

    public final TrackingAllocator alloc = new TrackingAllocator();
    public final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    public final EmbeddedChannel channel;
    public final GatewayContext ctx;

    public FuzzConnection(GatewayConfig config) {
        channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        RoomRegistry registry = new RoomRegistry(channel.eventLoop(), 0, 100, 16, new FanoutMetrics(meters));
        ctx = new GatewayContext(config, registry, BUS, new MemoryHotStore(),
                batch -> CompletableFuture.completedFuture(new ArrayList<>(java.util.Collections.nCopies(batch.size(),
                        ACCEPTED))), TOKENS, true, meters);
    }

    public FuzzConnection() {
        this(GatewayConfig.builder().batchWindow(Duration.ZERO).postLinger(Duration.ZERO).build());
    }

    /** Runs what the input scheduled and releases everything the server wrote so far. */
    public void drain() {
        channel.runPendingTasks();
        for (Object out; (out = channel.readOutbound()) != null; ) {
            ReferenceCountUtil.release(out);
        }
    }

    /**
     * Closes the connection and checks it: no error the session treated as unexpected (it closes those with its
     * internal-error code instead of letting them escape), and every buffer allocated for it released.
     */
    @Override
    public void close() {
        drain();
        channel.finishAndReleaseAll();
        Counter internal = meters.find("danmaku.gateway.protocol.errors").tag("kind", "internal").counter();
        alloc.assertAllReleased("after the connection closed");
        if (internal != null && internal.count() > 0) {
            throw new AssertionError("the session closed on an unexpected error (see the WARN above)");
        }
    }

    /** The input split at each {@code separator} byte (a trailing empty part included). */
    public static List<byte[]> split(byte[] data, byte separator) {
        List<byte[]> parts = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= data.length; i++) {
            if (i == data.length || data[i] == separator) {
                byte[] part = new byte[i - start];
                System.arraycopy(data, start, part, 0, part.length);
                parts.add(part);
                start = i + 1;
            }
        }
        return parts;
    }
}
