package io.danmaku.rpc;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.PostService;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.rpc.internal.LogicTarget;
import io.danmaku.rpc.internal.PostMessages;
import io.danmaku.rpc.internal.StaticNameResolverProvider;
import io.danmaku.protocol.logging.ThrottledLog;
import io.danmaku.rpc.v1.LogicGrpc;
import io.danmaku.rpc.v1.PostReply;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's {@link PostService} in distributed mode: each post is one unary gRPC call to a logic instance,
 * with the configured deadline. Calls are asynchronous and pipelined: any number are in flight at once, as
 * HTTP/2 streams on one connection per logic instance. Instances are found through {@link RpcClientConfig#target}
 * (DNS name or static list) and calls spread over them round robin; a lost connection is re-established by
 * itself (with gRPC's backoff), the name being resolved again.
 *
 * <p>Keeps the seam's contract: the future never completes exceptionally. A call that fails as a call (deadline
 * exceeded, no logic instance reachable, the connection lost mid-call, this client closed) is rejected
 * {@code unavailable} with the message {@code "logic unreachable: <gRPC status code>"}. Results complete on
 * gRPC's transport threads (or, for a call that fails before it is sent, on the calling thread): a caller on an
 * event loop hands the result back to its loop and does no more work in the callback.
 *
 * <p>Plaintext HTTP/2: gateway and logic are meant to talk on a private network. TLS (and mTLS) is a later
 * addition to the config.
 *
 * <p>At most {@code maxInFlight} posts ({@value #DEFAULT_MAX_IN_FLIGHT} by default) are in flight at once; a post
 * beyond them is rejected {@code unavailable} ({@value #OVERLOADED_MESSAGE}) without a call, so an overloaded
 * logic tier sheds load quickly instead of queueing posts until their deadlines pass (which, under overload, left
 * almost no post answered in time).
 *
 * <p>Meters: {@code danmaku.rpc.client.calls} (counter, tag {@code status} = the gRPC status code in lower case,
 * {@code ok} for a call answered by logic whatever the answer, {@code resource_exhausted} for a post shed at the
 * in-flight bound) and {@code danmaku.rpc.client.latency} (timer,
 * from the call to its outcome, every outcome).
 */
public final class GrpcPostClient implements PostService, AutoCloseable {
    /**
     * Posts in flight to logic at once, by default; beyond it a post is rejected {@code unavailable} at once instead
     * of queueing (100,000 posts/s at 40 ms per post are 4,000 in flight).
     */
    public static final int DEFAULT_MAX_IN_FLIGHT = 8192;
    public static final String OVERLOADED_MESSAGE = "logic overloaded: too many posts in flight, retry";

    private static final Logger log = LoggerFactory.getLogger(GrpcPostClient.class);
    private static final Status.Code[] CODES = Status.Code.values();

    private final RpcClientConfig config;
    private final ManagedChannel channel;
    private final long deadlineNanos;
    private final MeterRegistry meters;
    private final Timer latency;
    private final AtomicReferenceArray<Counter> calls = new AtomicReferenceArray<>(CODES.length);
    private final ThrottledLog failures = new ThrottledLog(log, Duration.ofSeconds(10));
    private final AtomicBoolean closed = new AtomicBoolean();
    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();

    /**
     * Creates the channel and starts connecting at once (calls made before it is connected wait for it), with at
     * most {@value #DEFAULT_MAX_IN_FLIGHT} posts in flight.
     */
    public GrpcPostClient(RpcClientConfig config, MeterRegistry meters) {
        this(config, meters, DEFAULT_MAX_IN_FLIGHT);
    }

    /**
     * @param maxInFlight posts in flight at once; a post beyond it is rejected {@code unavailable} at once
     *     (counted as status {@code resource_exhausted}), so that an overloaded logic tier sheds load instead of
     *     queueing it until every deadline has passed
     */
    public GrpcPostClient(RpcClientConfig config, MeterRegistry meters, int maxInFlight) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight: " + maxInFlight + " (expected: >= 1)");
        }
        this.maxInFlight = maxInFlight;
        this.config = requireNonNull(config, "config");
        this.meters = requireNonNull(meters, "meters");
        this.deadlineNanos = config.deadline().toNanos();
        this.latency = Timer.builder("danmaku.rpc.client.latency")
                .description("Time from a post sent to logic to its outcome")
                .register(meters);
        this.channel = newChannel(config);
        channel.getState(true);
        log.info("logic client for {}: deadline {} ms, keepalive {} s", config.target(),
                config.deadline().toMillis(), config.keepAliveTime().toSeconds());
    }

    private static ManagedChannel newChannel(RpcClientConfig config) {
        LogicTarget target = LogicTarget.parse(config.target(), RpcClientConfig.KEY_TARGET,
                RpcServerConfig.DEFAULT_PORT);
        ManagedChannelBuilder<?> builder;
        if (target.dns()) {
            builder = Grpc.newChannelBuilder(target.grpcTarget(), InsecureChannelCredentials.create());
        } else {
            NameResolverRegistry registry = new NameResolverRegistry();
            registry.register(new StaticNameResolverProvider(target.addresses()));
            builder = Grpc.newChannelBuilder(StaticNameResolverProvider.TARGET, InsecureChannelCredentials.create(),
                    registry);
        }
        return builder
                .defaultLoadBalancingPolicy("round_robin")
                .keepAliveTime(config.keepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
                .keepAliveTimeout(config.keepAliveTimeout().toNanos(), TimeUnit.NANOSECONDS)
                .keepAliveWithoutCalls(true)
                // never idle: connections stay up between posts (keepalive checks them), so the first post after
                // a quiet period does not wait for a connection, and ready() means what it says
                .idleTimeout(365, TimeUnit.DAYS)
                .userAgent("danmaku-gateway")
                // answers are handed straight to the caller's future on the transport thread (the caller hands
                // them on to its own loop), not to another executor thread first
                .directExecutor()
                .build();
    }

    public RpcClientConfig config() {
        return config;
    }

    /** True when at least one logic instance is connected (for a readiness check). Never blocks. */
    public boolean ready() {
        return !closed.get() && channel.getState(false) == ConnectivityState.READY;
    }

    @Override
    public CompletableFuture<PostResult> post(PostRequest request) {
        requireNonNull(request, "request");
        CompletableFuture<PostResult> result = new CompletableFuture<>();
        long startNanos = System.nanoTime();
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            record(Status.Code.RESOURCE_EXHAUSTED, startNanos);
            failures.warn("post to logic at {} shed: {} posts already in flight", config.target(), maxInFlight);
            result.complete(PostResult.rejected(RejectReason.UNAVAILABLE, OVERLOADED_MESSAGE));
            return result;
        }
        Answer answer = new Answer(result, startNanos);
        try {
            ClientCall<io.danmaku.rpc.v1.PostRequest, PostReply> call = channel.newCall(LogicGrpc.getPostMethod(),
                    CallOptions.DEFAULT.withDeadlineAfter(deadlineNanos, TimeUnit.NANOSECONDS));
            ClientCalls.asyncUnaryCall(call, PostMessages.toProto(request), answer);
        } catch (RuntimeException e) {
            // not expected (a call reports its failures to the observer); the contract still holds
            answer.release();
            failed(result, startNanos, Status.fromThrowable(e));
        }
        return result;
    }

    /**
     * Stops the channel: new posts are rejected {@code unavailable}, posts in flight may finish within their
     * deadline, then whatever is left is cancelled. Blocks up to the deadline: do not call it on an event loop.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        channel.shutdown();
        try {
            if (!channel.awaitTermination(deadlineNanos + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        }
        log.info("logic client for {} closed", config.target());
    }

    private void failed(CompletableFuture<PostResult> result, long startNanos, Status status) {
        record(status.getCode(), startNanos);
        // answered first, so that nothing below can leave the caller without an answer
        result.complete(PostResult.rejected(RejectReason.UNAVAILABLE, "logic unreachable: " + status.getCode()));
        // no stack trace: the cause is the network or logic, not this code; the details go as arguments, never as
        // a bare null (ThrottledLog appends its suppressed count to the arguments)
        failures.warn("post to logic at {} failed: {}", config.target(), status.getCode()
                + (status.getDescription() == null ? "" : " (" + status.getDescription() + ")")
                + (status.getCause() == null ? "" : ": " + status.getCause()));
    }

    private void record(Status.Code code, long startNanos) {
        latency.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        int i = code.ordinal();
        Counter counter = calls.get(i);
        if (counter == null) {
            counter = Counter.builder("danmaku.rpc.client.calls")
                    .description("Posts sent to logic, by gRPC status of the call")
                    .tag("status", CODES[i].name().toLowerCase(Locale.ROOT))
                    .register(meters);
            calls.set(i, counter);
        }
        counter.increment();
    }

    /** The outcome of one call; gRPC calls it once with the reply then completion, or once with an error. */
    private final class Answer implements StreamObserver<PostReply> {
        private final CompletableFuture<PostResult> result;
        private final long startNanos;

        private final AtomicBoolean released = new AtomicBoolean();

        Answer(CompletableFuture<PostResult> result, long startNanos) {
            this.result = result;
            this.startNanos = startNanos;
        }

        /** Gives the call's place among the posts in flight back, once whatever gRPC reports. */
        void release() {
            if (released.compareAndSet(false, true)) {
                inFlight.decrementAndGet();
            }
        }

        @Override
        public void onNext(PostReply reply) {
            release();
            record(Status.Code.OK, startNanos);
            result.complete(PostMessages.fromProto(reply));
        }

        @Override
        public void onError(Throwable t) {
            release();
            failed(result, startNanos, Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            // a unary call that completes without a reply is reported by gRPC as an error (INTERNAL)
        }
    }
}
