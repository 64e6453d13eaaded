package io.danmaku.rpc;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.PostService;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.rpc.internal.PostMessages;
import io.danmaku.protocol.logging.ThrottledLog;
import io.danmaku.rpc.v1.LogicGrpc;
import io.danmaku.rpc.v1.PostReply;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * logic's gRPC endpoint: serves the {@code Logic} service on {@link RpcServerConfig#port} and hands every post to
 * a {@link PostService} (logic's {@code LogicService} in the logic role). Non-blocking: the handler only starts
 * the post and answers when its future completes, so a slow bus holds no thread.
 *
 * <p>Calls are handled on the transport's event loop threads (no executor hop per call): {@link PostService#post}
 * must only start the post and return, which is the seam's contract anyway.
 *
 * <p>A call the client has given up on (its deadline passed, its connection closed) is cancelled; the post itself
 * goes on in logic (it may still be published) and its late answer is dropped. A {@code PostService} that breaks
 * its contract (throws, or completes exceptionally) is answered with gRPC status {@code INTERNAL}, which the
 * gateway turns into an {@code unavailable} rejection.
 *
 * <p>{@link #close} is graceful: no new calls, calls in flight answered for up to
 * {@link RpcServerConfig#shutdownTimeout}, then the rest cancelled.
 *
 * <p>At most {@code maxInFlight} posts ({@value #DEFAULT_MAX_IN_FLIGHT} by default) are in logic at once; a call
 * beyond them is answered {@code unavailable} at once, so that under overload logic sheds load instead of
 * queueing posts whose callers will have given up before they are answered.
 *
 * <p>Meters: {@code danmaku.rpc.server.calls} (counter, tag {@code status}: {@code ok} = answered, whatever the
 * answer; {@code cancelled} = the client was gone before the answer; {@code internal} = the service failed;
 * {@code resource_exhausted} = shed at the in-flight bound).
 */
public final class GrpcPostServer implements AutoCloseable {
    /**
     * Posts in logic at once (from every gateway together), by default; beyond it a call is answered
     * {@code unavailable} at once instead of starting the post.
     */
    public static final int DEFAULT_MAX_IN_FLIGHT = 16_384;

    private static final Logger log = LoggerFactory.getLogger(GrpcPostServer.class);

    private final RpcServerConfig config;
    private final PostService posts;
    private final Server server;
    private final Counter answered;
    private final Counter cancelled;
    private final Counter internal;
    private final Counter shed;
    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ThrottledLog serviceFailures = new ThrottledLog(log, Duration.ofSeconds(10));
    private final ThrottledLog overloadWarn = new ThrottledLog(log, Duration.ofSeconds(10));
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile int boundPort = -1;

    /** A server taking at most {@value #DEFAULT_MAX_IN_FLIGHT} posts at once. */
    public GrpcPostServer(RpcServerConfig config, PostService posts, MeterRegistry meters) {
        this(config, posts, meters, DEFAULT_MAX_IN_FLIGHT);
    }

    /**
     * @param maxInFlight posts started and not yet answered by the {@link PostService}, at once; a call beyond it
     *     is answered {@code unavailable} without starting its post (counted as status {@code resource_exhausted})
     */
    public GrpcPostServer(RpcServerConfig config, PostService posts, MeterRegistry meters, int maxInFlight) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight: " + maxInFlight + " (expected: >= 1)");
        }
        this.maxInFlight = maxInFlight;
        this.config = requireNonNull(config, "config");
        this.posts = requireNonNull(posts, "posts");
        requireNonNull(meters, "meters");
        this.answered = callCounter(meters, "ok");
        this.cancelled = callCounter(meters, "cancelled");
        this.internal = callCounter(meters, "internal");
        this.shed = callCounter(meters, "resource_exhausted");
        NettyServerBuilder builder = NettyServerBuilder
                .forAddress(new InetSocketAddress(config.host(), config.port()), InsecureServerCredentials.create())
                .addService(new LogicEndpoint())
                // the handler only starts the post and returns (it never blocks): run it on the transport's event
                // loop instead of handing every call to another thread and back
                .directExecutor()
                .permitKeepAliveTime(config.permitKeepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
                .permitKeepAliveWithoutCalls(true);
        if (!config.maxConnectionAge().isZero()) {
            builder.maxConnectionAge(config.maxConnectionAge().toNanos(), TimeUnit.NANOSECONDS)
                    .maxConnectionAgeGrace(config.maxConnectionAgeGrace().toNanos(), TimeUnit.NANOSECONDS);
        }
        this.server = builder.build();
    }

    private static Counter callCounter(MeterRegistry meters, String status) {
        return Counter.builder("danmaku.rpc.server.calls")
                .description("Post calls from gateways, by outcome")
                .tag("status", status)
                .register(meters);
    }

    /**
     * Binds the port; returns once accepting calls.
     *
     * @throws RpcException when the address cannot be bound (names it)
     */
    public GrpcPostServer start() {
        try {
            server.start();
        } catch (IOException e) {
            throw new RpcException(RpcServerConfig.KEY_HOST + "/" + RpcServerConfig.KEY_PORT + ": cannot listen on "
                    + config.host() + ":" + config.port() + " (" + e.getMessage() + ")", e, false);
        }
        boundPort = server.getPort();
        log.info("logic gRPC listening on {}", server.getListenSockets());
        return this;
    }

    /** The bound port (useful with port 0); -1 before {@link #start}. */
    public int port() {
        return boundPort;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        server.shutdown();
        try {
            if (!server.awaitTermination(config.shutdownTimeout().toNanos(), TimeUnit.NANOSECONDS)) {
                log.warn("logic gRPC: calls still in flight after {} ms, cancelling them",
                        config.shutdownTimeout().toMillis());
                server.shutdownNow();
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        log.info("logic gRPC on port {} stopped", boundPort);
    }

    private final class LogicEndpoint extends LogicGrpc.LogicImplBase {
        @Override
        public void post(io.danmaku.rpc.v1.PostRequest request, StreamObserver<PostReply> responses) {
            Call call = new Call((ServerCallStreamObserver<PostReply>) responses);
            PostRequest post;
            try {
                post = PostMessages.fromProto(request);
            } catch (IllegalArgumentException e) {
                call.answer(PostMessages.rejected(RejectReason.BAD_REQUEST.code(), e.getMessage()));
                return;
            }
            if (inFlight.incrementAndGet() > maxInFlight) {
                inFlight.decrementAndGet();
                call.shed();
                return;
            }
            CompletableFuture<PostResult> result;
            try {
                result = requireNonNull(posts.post(post), "PostService.post returned null");
            } catch (RuntimeException e) {
                inFlight.decrementAndGet();
                call.fail(e);
                return;
            }
            result.whenComplete((r, e) -> {
                inFlight.decrementAndGet();
                call.respond(r, e);
            });
        }
    }

    /** One call's answer, sent at most once: the post's result, or nothing if the client gave up first. */
    private final class Call {
        private final ServerCallStreamObserver<PostReply> responses;
        private final AtomicBoolean done = new AtomicBoolean();

        Call(ServerCallStreamObserver<PostReply> responses) {
            this.responses = responses;
            // set before the handler returns; with a handler set, answering a cancelled call is a no-op
            responses.setOnCancelHandler(() -> {
                if (done.compareAndSet(false, true)) {
                    cancelled.increment();
                }
            });
        }

        void respond(PostResult result, Throwable failure) {
            if (failure != null || result == null) {
                fail(failure != null ? failure : new NullPointerException("PostService.post completed with null"));
                return;
            }
            PostReply reply;
            try {
                reply = PostMessages.toProto(result);
            } catch (RuntimeException e) {
                fail(e); // a result breaking PostResult's invariants (accepted without a position)
                return;
            }
            answer(reply);
        }

        void answer(PostReply reply) {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            answered.increment();
            send(reply);
        }

        /** Answers {@code unavailable} without starting the post: logic has too many in flight. */
        void shed() {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            shed.increment();
            overloadWarn.warn("logic shed a post: {} posts already in flight", maxInFlight);
            send(PostMessages.rejected(RejectReason.UNAVAILABLE.code(), GrpcPostClient.OVERLOADED_MESSAGE));
        }

        private void send(PostReply reply) {
            try {
                responses.onNext(reply);
                responses.onCompleted();
            } catch (RuntimeException e) {
                // cancelled between the check and the answer: the client is gone, nothing to tell it
                log.debug("answer to a cancelled call dropped", e);
            }
        }

        void fail(Throwable e) {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            internal.increment();
            serviceFailures.warn("logic failed a post (PostService must not fail): " + e, e);
            try {
                responses.onError(Status.INTERNAL.withDescription("logic failed the post").asRuntimeException());
            } catch (RuntimeException ex) {
                log.debug("error answer to a cancelled call dropped", ex);
            }
        }
    }
}
