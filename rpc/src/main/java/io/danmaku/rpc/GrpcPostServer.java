package io.danmaku.rpc;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.PostService;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.protocol.logging.ThrottledLog;
import io.danmaku.rpc.internal.PostMessages;
import io.danmaku.rpc.v1.LogicGrpc;
import io.danmaku.rpc.v1.PostBatchReply;
import io.danmaku.rpc.v1.PostBatchRequest;
import io.danmaku.rpc.v1.PostReply;
import io.danmaku.rpc.v1.PostResultEntry;
import io.danmaku.protocol.tls.CertificateKeyManager;
import io.danmaku.protocol.tls.KeyMaterial;
import io.danmaku.protocol.tls.ReloadingCertificate;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * logic's gRPC endpoint: serves the {@code Logic} service on {@link RpcServerConfig#port} and hands the posts to a
 * {@link PostService} (logic's {@code LogicService} in the logic role). Non-blocking: the handler only starts the
 * posts and answers when the service's future completes, so a slow bus holds no thread.
 *
 * <p>{@code PostBatch} (what gateways call): the batch's posts are converted and handed to
 * {@link PostService#postBatch} in one call, in request order; the reply answers every post under its id. A post
 * breaking the seam's invariants (a user with an empty id) is answered {@code bad_request} without reaching the
 * service; two posts with the same id fail the call with {@code INVALID_ARGUMENT}; an empty batch gets an empty
 * reply. {@code Post} (one post per call) is still served for gateways older than {@code PostBatch}, through the
 * same service and in-flight bound, so gateways and logic can be upgraded one pod at a time.
 *
 * <p>Calls are handled on the transport's event loop threads (no executor hop per call or per post): the service
 * must only start the posts and return, which is the seam's contract anyway.
 *
 * <p>A call the client has given up on (its deadline passed, its connection closed) is cancelled; the posts
 * themselves go on in logic (they may still be published) and the late answer is dropped. A {@code PostService}
 * that breaks its contract (throws, completes exceptionally, answers the wrong number of posts) is answered with
 * gRPC status {@code INTERNAL}, which the gateway turns into an {@code unavailable} rejection of every post of the
 * call.
 *
 * <p>{@link #close} is graceful: no new calls, calls in flight answered for up to
 * {@link RpcServerConfig#shutdownTimeout}, then the rest cancelled.
 *
 * <p>At most {@code maxInFlight} posts ({@value #DEFAULT_MAX_IN_FLIGHT} by default, counted in posts, not calls)
 * are in logic at once; a batch that would pass the bound is answered at once with every post rejected
 * {@code unavailable} ({@value GrpcPostClient#OVERLOADED_MESSAGE}) without being started, so that under overload
 * logic sheds load instead of queueing posts whose callers will have given up before they are answered.
 *
 * <p>Meters: {@code danmaku.rpc.server.calls} (counter, one per call, tag {@code status}: {@code ok} = answered,
 * whatever the answers; {@code cancelled} = the client was gone before the answer; {@code internal} = the service
 * failed; {@code resource_exhausted} = shed at the in-flight bound; {@code invalid_argument} = duplicate ids) and
 * {@code danmaku.rpc.server.batch.size} (distribution summary, posts per {@code PostBatch} call), and with TLS
 * {@code danmaku.rpc.server.tls.reloads} (counter, tag {@code result}: {@code ok}, {@code failed}).
 *
 * <p>With TLS the certificate and key files are watched ({@link RpcServerTls#reloadInterval}) as the gateway's
 * are: a changed, matching pair is offered to new handshakes from then on, by the key manager the TLS context
 * asks at each handshake; open connections and the calls on them keep their session.
 */
public final class GrpcPostServer implements AutoCloseable {
    /**
     * Posts in logic at once (from every gateway together), by default; beyond it a batch is answered
     * {@code unavailable} at once instead of being started. Logic's own queues (the bus) are bounded below it.
     */
    public static final int DEFAULT_MAX_IN_FLIGHT = 50_000;

    private static final PostReply OVERLOADED = PostMessages.rejected(RejectReason.UNAVAILABLE.code(),
            GrpcPostClient.OVERLOADED_MESSAGE);

    private static final Logger log = LoggerFactory.getLogger(GrpcPostServer.class);

    private final RpcServerConfig config;
    private final PostService posts;
    private final Server server;
    private final Counter answered;
    private final Counter cancelled;
    private final Counter internal;
    private final Counter shed;
    private final Counter invalid;
    private final DistributionSummary batchSize;
    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ThrottledLog serviceFailures = new ThrottledLog(log, Duration.ofSeconds(10));
    private final ThrottledLog overloadWarn = new ThrottledLog(log, Duration.ofSeconds(10));
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ReloadingCertificate<KeyMaterial> certificate;
    private volatile int boundPort = -1;

    /** A server taking at most {@value #DEFAULT_MAX_IN_FLIGHT} posts at once. */
    public GrpcPostServer(RpcServerConfig config, PostService posts, MeterRegistry meters) {
        this(config, posts, meters, DEFAULT_MAX_IN_FLIGHT);
    }

    /**
     * @param maxInFlight posts started and not yet answered by the {@link PostService}, at once; a batch that would
     *     pass it is answered {@code unavailable} without starting its posts (counted as status
     *     {@code resource_exhausted})
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
        this.invalid = callCounter(meters, "invalid_argument");
        this.batchSize = DistributionSummary.builder("danmaku.rpc.server.batch.size")
                .description("Posts per PostBatch call from gateways")
                .baseUnit("posts")
                .register(meters);
        ServerCredentials credentials;
        if (config.tls() == null) {
            this.certificate = null;
            credentials = InsecureServerCredentials.create();
        } else {
            Counter reloaded = reloadCounter(meters, "ok");
            Counter failed = reloadCounter(meters, "failed");
            this.certificate = ReloadingCertificate.open(config.tls().files(), "logic gRPC TLS", m -> m,
                    reloaded::increment, failed::increment);
            credentials = config.tls().credentials(new CertificateKeyManager(certificate));
        }
        NettyServerBuilder builder = NettyServerBuilder
                .forAddress(new InetSocketAddress(config.host(), config.port()), credentials)
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

    private static Counter reloadCounter(MeterRegistry meters, String result) {
        return Counter.builder("danmaku.rpc.server.tls.reloads")
                .description("Changes of logic's gRPC certificate or key files, loaded (ok) or refused (failed)")
                .tag("result", result)
                .register(meters);
    }

    /** Reads the certificate and key files now (the watcher does so every interval); false without TLS. For tests. */
    boolean reloadCertificateIfChanged() {
        return certificate != null && certificate.reloadIfChanged();
    }

    private static Counter callCounter(MeterRegistry meters, String status) {
        return Counter.builder("danmaku.rpc.server.calls")
                .description("Post and PostBatch calls from gateways, by outcome")
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
        log.info("logic gRPC listening on {} ({})", server.getListenSockets(), config.tls() == null ? "plaintext"
                : config.tls().mutual() ? "mutual TLS: gateways need a certificate from "
                        + config.tls().clientCaFile() : "TLS");
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
        if (certificate != null) {
            certificate.close();
        }
        log.info("logic gRPC on port {} stopped", boundPort);
    }

    /** Takes {@code posts} places among the posts in flight, or none if that would pass the bound. */
    private boolean admit(int posts) {
        if (inFlight.addAndGet(posts) > maxInFlight) {
            inFlight.addAndGet(-posts);
            overloadWarn.warn("logic shed {} posts: at most {} posts in flight", posts, maxInFlight);
            return false;
        }
        return true;
    }

    private void release(int posts) {
        inFlight.addAndGet(-posts);
    }

    private final class LogicEndpoint extends LogicGrpc.LogicImplBase {
        /** The call of gateways older than PostBatch: one post, through the same service and bound. */
        @Override
        public void post(io.danmaku.rpc.v1.PostRequest request, StreamObserver<PostReply> responses) {
            Call<PostReply> call = new Call<>(responses);
            PostRequest post;
            try {
                post = PostMessages.fromProto(request);
            } catch (IllegalArgumentException e) {
                call.answer(PostMessages.rejected(RejectReason.BAD_REQUEST.code(), e.getMessage()));
                return;
            }
            if (!admit(1)) {
                call.shed(OVERLOADED);
                return;
            }
            CompletableFuture<PostResult> result;
            try {
                result = requireNonNull(posts.post(post), "PostService.post returned null");
            } catch (RuntimeException e) {
                release(1);
                call.fail(e);
                return;
            }
            result.whenComplete((r, e) -> {
                release(1);
                if (e != null || r == null) {
                    call.fail(e != null ? e : new NullPointerException("PostService.post completed with null"));
                    return;
                }
                PostReply reply;
                try {
                    reply = PostMessages.toProto(r);
                } catch (RuntimeException ex) {
                    call.fail(ex); // a result breaking PostResult's invariants (accepted without a position)
                    return;
                }
                call.answer(reply);
            });
        }

        @Override
        public void postBatch(PostBatchRequest request, StreamObserver<PostBatchReply> responses) {
            Call<PostBatchReply> call = new Call<>(responses);
            int n = request.getPostsCount();
            batchSize.record(n);
            if (n == 0) {
                call.answer(PostBatchReply.getDefaultInstance());
                return;
            }
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) {
                ids[i] = request.getPosts(i).getId();
            }
            long duplicate = firstDuplicate(ids);
            if (duplicate >= 0) {
                call.invalid("posts.id: " + duplicate + " appears twice (expected: ids unique within the batch)");
                return;
            }
            // a post breaking the seam's invariants is answered bad_request here; the others go to the service
            PostReply[] replies = new PostReply[n];
            List<PostRequest> batch = new ArrayList<>(n);
            int[] batchAt = new int[n];
            for (int i = 0; i < n; i++) {
                try {
                    batch.add(PostMessages.fromProto(request.getPosts(i).getPost()));
                    batchAt[batch.size() - 1] = i;
                } catch (IllegalArgumentException e) {
                    replies[i] = PostMessages.rejected(RejectReason.BAD_REQUEST.code(), e.getMessage());
                }
            }
            int k = batch.size();
            if (k == 0) {
                call.answer(reply(ids, replies));
                return;
            }
            if (!admit(k)) {
                for (int j = 0; j < k; j++) {
                    replies[batchAt[j]] = OVERLOADED;
                }
                call.shed(reply(ids, replies));
                return;
            }
            CompletableFuture<List<PostResult>> result;
            try {
                result = requireNonNull(posts.postBatch(batch), "PostService.postBatch returned null");
            } catch (RuntimeException e) {
                release(k);
                call.fail(e);
                return;
            }
            result.whenComplete((results, e) -> {
                release(k);
                if (e != null || results == null || results.size() != k) {
                    call.fail(e != null ? e : new IllegalStateException("PostService.postBatch answered "
                            + (results == null ? "null" : results.size() + " results") + " to " + k + " posts"));
                    return;
                }
                try {
                    for (int j = 0; j < k; j++) {
                        replies[batchAt[j]] = PostMessages.toProto(results.get(j));
                    }
                } catch (RuntimeException ex) {
                    call.fail(ex); // a null result, or one breaking PostResult's invariants
                    return;
                }
                call.answer(reply(ids, replies));
            });
        }
    }

    private static PostBatchReply reply(int[] ids, PostReply[] replies) {
        PostBatchReply.Builder b = PostBatchReply.newBuilder();
        for (int i = 0; i < ids.length; i++) {
            b.addResults(PostResultEntry.newBuilder().setId(ids[i]).setReply(replies[i]));
        }
        return b.build();
    }

    /** The first id found twice (as an unsigned value), or -1 when all are unique. */
    static long firstDuplicate(int[] ids) {
        boolean sequential = true; // what gateways send: 0, 1, 2...
        for (int i = 0; i < ids.length && sequential; i++) {
            sequential = ids[i] == i;
        }
        if (sequential) {
            return -1;
        }
        int[] sorted = ids.clone();
        Arrays.sort(sorted);
        for (int i = 1; i < sorted.length; i++) {
            if (sorted[i] == sorted[i - 1]) {
                return Integer.toUnsignedLong(sorted[i]);
            }
        }
        return -1;
    }

    /** One call's answer, sent at most once: the reply, or nothing if the client gave up first. */
    private final class Call<T> {
        private final ServerCallStreamObserver<T> responses;
        private final AtomicBoolean done = new AtomicBoolean();

        Call(StreamObserver<T> responses) {
            this.responses = (ServerCallStreamObserver<T>) responses;
            // set before the handler returns; with a handler set, answering a cancelled call is a no-op
            this.responses.setOnCancelHandler(() -> {
                if (done.compareAndSet(false, true)) {
                    cancelled.increment();
                }
            });
        }

        void answer(T reply) {
            if (done.compareAndSet(false, true)) {
                answered.increment();
                send(reply);
            }
        }

        /** Answers without having started the posts: logic has too many in flight. */
        void shed(T reply) {
            if (done.compareAndSet(false, true)) {
                shed.increment();
                send(reply);
            }
        }

        private void send(T reply) {
            try {
                responses.onNext(reply);
                responses.onCompleted();
            } catch (RuntimeException e) {
                // cancelled between the check and the answer: the client is gone, nothing to tell it
                log.debug("answer to a cancelled call dropped", e);
            }
        }

        /** A request no gateway sends (another client of the port): status INVALID_ARGUMENT. */
        void invalid(String message) {
            if (done.compareAndSet(false, true)) {
                invalid.increment();
                error(Status.INVALID_ARGUMENT.withDescription(message));
            }
        }

        void fail(Throwable e) {
            if (done.compareAndSet(false, true)) {
                internal.increment();
                serviceFailures.warn("logic failed a call (PostService must not fail): " + e, e);
                error(Status.INTERNAL.withDescription("logic failed the posts"));
            }
        }

        private void error(Status status) {
            try {
                responses.onError(status.asRuntimeException());
            } catch (RuntimeException ex) {
                log.debug("error answer to a cancelled call dropped", ex);
            }
        }
    }
}
