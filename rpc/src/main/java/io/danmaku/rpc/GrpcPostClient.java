package io.danmaku.rpc;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.logging.ThrottledLog;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.PostService;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.rpc.internal.LogicPool;
import io.danmaku.rpc.internal.LogicTarget;
import io.danmaku.rpc.internal.PostMessages;
import io.danmaku.rpc.internal.Rendezvous;
import io.danmaku.rpc.v1.LogicGrpc;
import io.danmaku.rpc.v1.PostBatchReply;
import io.danmaku.rpc.v1.PostBatchRequest;
import io.danmaku.rpc.v1.PostEntry;
import io.danmaku.rpc.v1.PostResultEntry;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Deadline;
import io.grpc.Grpc;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's {@link PostService} in distributed mode: each batch handed to {@link #postBatch} is split by logic
 * instance and sent as one unary {@code PostBatch} call per instance, all with the configured deadline counted
 * from the {@code postBatch} call; the answers are merged back into batch order.
 *
 * <p><b>User affinity.</b> Every post of a user goes to the same logic instance, so that logic decides the user's
 * rate limit and dedupe in its own memory: the instance is chosen by rendezvous hashing of the user id over the
 * logic addresses (see {@link Rendezvous}), the highest-ranked one whose connection is not failing. The addresses
 * are the entries of a static list ({@code host:port,host:port}) or every address of a {@code dns:///name:port}
 * target, resolved again every {@link RpcClientConfig#dnsRefreshInterval}; there is one channel (one HTTP/2
 * connection) per address, kept up by keepalive and never idle. When an instance joins or leaves, only its users
 * move. Anonymous posts (no user; logic rejects them) are spread by room.
 *
 * <p><b>Answers.</b> The future never completes exceptionally and answers every post exactly once. A call that
 * fails as a call (deadline exceeded, the instance unreachable, the connection lost mid-call, this client closed)
 * answers each of its posts {@code unavailable} with the message {@code "logic unreachable: <gRPC status code>"},
 * never some {@code ok} and some failed. A reply is matched to the posts by id: a post logic did not answer is
 * {@code unavailable}, an entry for an id not sent or already answered is ignored (both counted). Results
 * complete on gRPC's transport threads (or, for a batch refused before any call, on the calling thread): a
 * caller on an event loop hands the result back to its loop and does no more work in the callback.
 *
 * <p><b>Shedding.</b> At most {@code maxInFlight} posts ({@value #DEFAULT_MAX_IN_FLIGHT} by default) are in
 * flight at once; a batch that would pass the bound is rejected {@code unavailable} ({@value #OVERLOADED_MESSAGE})
 * as a whole, at once and without a call, so an overloaded logic tier sheds load quickly instead of queueing
 * posts until their deadlines pass. A batch larger than the bound is always refused: keep the gateway's batch cap
 * well below it.
 *
 * <p>Plaintext HTTP/2: gateway and logic are meant to talk on a private network. TLS (and mTLS) is a later
 * addition to the config.
 *
 * <p>Meters: {@code danmaku.rpc.client.calls} (counter, one per {@code PostBatch} call, tag {@code status} = the
 * gRPC status code in lower case, {@code ok} for a call answered by logic whatever the answers, and one
 * {@code resource_exhausted} per batch shed at the in-flight bound), {@code danmaku.rpc.client.latency} (timer,
 * from the {@code postBatch} call to the outcome of each of its calls, every outcome),
 * {@code danmaku.rpc.client.batch.size} (distribution summary, posts per {@code PostBatch} call) and
 * {@code danmaku.rpc.client.reply.mismatched} (counter, tag {@code kind}: {@code missing} = posts a reply did not
 * answer, {@code unexpected} = reply entries with an id not sent or answered twice).
 */
public final class GrpcPostClient implements PostService, AutoCloseable {
    /**
     * Posts in flight to logic at once, by default; beyond it a batch is rejected {@code unavailable} at once
     * instead of queueing (100,000 posts/s at 100 ms per post are 10,000 in flight; twice that leaves room for
     * bursts).
     */
    public static final int DEFAULT_MAX_IN_FLIGHT = 20_000;
    public static final String OVERLOADED_MESSAGE = "logic overloaded: too many posts in flight, retry";
    static final String NO_ANSWER_MESSAGE = "logic sent no answer for the post";

    private static final Logger log = LoggerFactory.getLogger(GrpcPostClient.class);
    private static final Status.Code[] CODES = Status.Code.values();
    /** Keeps the rooms of anonymous posts apart from user ids in the key space (they might be equal strings). */
    private static final long ROOM_KEY_SALT = 0x5bd1e9955bd1e995L;

    private final RpcClientConfig config;
    private final LogicPool pool;
    private final ScheduledExecutorService resolver;
    private final long deadlineNanos;
    private final MeterRegistry meters;
    private final Timer latency;
    private final DistributionSummary batchSize;
    private final Counter missing;
    private final Counter unexpected;
    private final AtomicReferenceArray<Counter> calls = new AtomicReferenceArray<>(CODES.length);
    private final ThrottledLog failures = new ThrottledLog(log, Duration.ofSeconds(10));
    private final ThrottledLog mismatches = new ThrottledLog(log, Duration.ofSeconds(10));
    private final AtomicBoolean closed = new AtomicBoolean();
    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();

    /**
     * Resolves the target and starts connecting to every instance at once (calls made before a connection is up
     * wait for it), with at most {@value #DEFAULT_MAX_IN_FLIGHT} posts in flight. For a DNS target the first
     * lookup happens here: do not call it on an event loop.
     */
    public GrpcPostClient(RpcClientConfig config, MeterRegistry meters) {
        this(config, meters, DEFAULT_MAX_IN_FLIGHT);
    }

    /**
     * @param maxInFlight posts in flight at once; a batch that would pass it is rejected {@code unavailable} at
     *     once (counted as status {@code resource_exhausted}), so that an overloaded logic tier sheds load instead
     *     of queueing it until every deadline has passed
     */
    public GrpcPostClient(RpcClientConfig config, MeterRegistry meters, int maxInFlight) {
        this(config, meters, maxInFlight, null);
    }

    /**
     * @param addresses where the logic addresses come from instead of the target (tests: a DNS name whose
     *     addresses change); re-read every {@link RpcClientConfig#dnsRefreshInterval}. {@code null} = the target
     */
    GrpcPostClient(RpcClientConfig config, MeterRegistry meters, int maxInFlight,
            Supplier<List<InetSocketAddress>> addresses) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight: " + maxInFlight + " (expected: >= 1)");
        }
        this.maxInFlight = maxInFlight;
        this.config = requireNonNull(config, "config");
        this.meters = requireNonNull(meters, "meters");
        this.deadlineNanos = config.deadline().toNanos();
        this.latency = Timer.builder("danmaku.rpc.client.latency")
                .description("Time from a batch handed to the client to the outcome of each of its calls")
                .register(meters);
        this.batchSize = DistributionSummary.builder("danmaku.rpc.client.batch.size")
                .description("Posts per PostBatch call to logic")
                .baseUnit("posts")
                .register(meters);
        this.missing = mismatchCounter(meters, "missing");
        this.unexpected = mismatchCounter(meters, "unexpected");
        LogicTarget target = LogicTarget.parse(config.target(), RpcClientConfig.KEY_TARGET,
                RpcServerConfig.DEFAULT_PORT);
        boolean dynamic = addresses != null || target.dns();
        if (addresses == null) {
            addresses = target.dns() ? LogicPool.dns(target.dnsName()) : LogicPool.fixed(target.addresses());
        }
        ChannelCredentials credentials = config.tls() == null ? InsecureChannelCredentials.create()
                : config.tls().credentials();
        // with TLS, logic's certificate must name what was dialled: for a DNS target that is the name, not the
        // addresses found under it (they come and go with the pods)
        String authority = config.tls() != null && target.dns() ? LogicTarget.show(target.dnsName()) : null;
        this.pool = new LogicPool(config.target(), addresses,
                address -> newChannel(address, config, credentials, authority));
        if (dynamic) {
            resolver = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "danmaku-logic-resolver");
                t.setDaemon(true);
                return t;
            });
            long every = config.dnsRefreshInterval().toNanos();
            resolver.scheduleWithFixedDelay(this::refresh, every, every, TimeUnit.NANOSECONDS);
        } else {
            resolver = null;
        }
        log.info("logic client for {} ({}): instances {}, deadline {} ms, keepalive {} s, {} posts in flight at most{}",
                config.target(), config.tls() == null ? "plaintext"
                        : config.tls().certFile() == null ? "TLS" : "TLS with a client certificate", Arrays.stream(pool.members()).map(LogicPool.Member::address).toList(),
                config.deadline().toMillis(), config.keepAliveTime().toSeconds(), maxInFlight,
                dynamic ? ", resolved again every " + config.dnsRefreshInterval().toMillis() + " ms" : "");
    }

    private static ManagedChannel newChannel(InetSocketAddress address, RpcClientConfig config,
            ChannelCredentials credentials, String authority) {
        // one instance per channel: a host name of a static list is resolved by gRPC (again after a failure); an
        // address found through DNS is an IP literal
        ManagedChannelBuilder<?> builder = Grpc.newChannelBuilderForAddress(address.getHostString(),
                address.getPort(), credentials);
        if (authority != null) {
            builder.overrideAuthority(authority);
        }
        return builder
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

    private static Counter mismatchCounter(MeterRegistry meters, String kind) {
        return Counter.builder("danmaku.rpc.client.reply.mismatched")
                .description("Posts a logic reply left unanswered (missing) or reply entries not matching a post sent")
                .tag("kind", kind)
                .register(meters);
    }

    private void refresh() {
        try {
            pool.refresh();
        } catch (RuntimeException e) {
            // keep the schedule alive whatever happened
            log.warn("logic addresses of {} not refreshed", config.target(), e);
        }
    }

    public RpcClientConfig config() {
        return config;
    }

    /** True when at least one logic instance is connected (for a readiness check). Never blocks. */
    public boolean ready() {
        return !closed.get() && pool.anyReady();
    }

    @Override
    public CompletableFuture<List<PostResult>> postBatch(List<PostRequest> batch) {
        requireNonNull(batch, "batch");
        int n = batch.size();
        if (n == 0) {
            return CompletableFuture.completedFuture(List.of());
        }
        long startNanos = System.nanoTime();
        if (inFlight.addAndGet(n) > maxInFlight) {
            inFlight.addAndGet(-n);
            record(Status.Code.RESOURCE_EXHAUSTED, startNanos);
            failures.warn(batch, PostRequest::traceId, "batch of {} posts to logic at {} shed: at most {} posts in"
                    + " flight", n, config.target(), maxInFlight);
            return CompletableFuture.completedFuture(
                    Collections.nCopies(n, PostResult.rejected(RejectReason.UNAVAILABLE, OVERLOADED_MESSAGE)));
        }
        LogicPool.Member[] members = pool.members();
        if (closed.get() || members.length == 0) {
            inFlight.addAndGet(-n);
            Status status = Status.UNAVAILABLE.withDescription(closed.get() ? "client closed" : "no logic address");
            record(status.getCode(), startNanos);
            warnFailed(batch, "(none)", status);
            return CompletableFuture.completedFuture(Collections.nCopies(n, unreachable(status)));
        }
        Deadline deadline = Deadline.after(deadlineNanos, TimeUnit.NANOSECONDS);
        Answers answers = new Answers(n);
        if (members.length == 1) {
            int[] all = new int[n];
            Arrays.setAll(all, i -> i);
            answers.pendingCalls.set(1);
            send(members[0], batch, all, answers, deadline, startNanos);
            return answers.future;
        }
        // choose each post's instance, then one call per instance with its posts in batch order
        int[] chosen = new int[n];
        int[] counts = new int[members.length];
        for (int i = 0; i < n; i++) {
            PostRequest post = batch.get(i);
            long key = post.user() != null ? Rendezvous.hash(post.user().id())
                    : Rendezvous.hash(post.room()) ^ ROOM_KEY_SALT;
            chosen[i] = LogicPool.pick(members, key);
            counts[chosen[i]]++;
        }
        int[][] positions = new int[members.length][];
        int callCount = 0;
        for (int m = 0; m < members.length; m++) {
            if (counts[m] > 0) {
                positions[m] = new int[counts[m]];
                counts[m] = 0;
                callCount++;
            }
        }
        for (int i = 0; i < n; i++) {
            int m = chosen[i];
            positions[m][counts[m]++] = i;
        }
        answers.pendingCalls.set(callCount);
        for (int m = 0; m < members.length; m++) {
            if (positions[m] != null) {
                send(members[m], batch, positions[m], answers, deadline, startNanos);
            }
        }
        return answers.future;
    }

    /** One PostBatch call with the posts at {@code positions} of {@code batch}; their ids are 0, 1, 2… */
    private void send(LogicPool.Member member, List<PostRequest> batch, int[] positions, Answers answers,
            Deadline deadline, long startNanos) {
        Call call = new Call(member.address(), batch, positions, answers, startNanos);
        try {
            PostBatchRequest.Builder request = PostBatchRequest.newBuilder();
            for (int id = 0; id < positions.length; id++) {
                request.addPosts(PostEntry.newBuilder().setId(id)
                        .setPost(PostMessages.toProto(batch.get(positions[id]))));
            }
            batchSize.record(positions.length);
            ClientCall<PostBatchRequest, PostBatchReply> c = member.channel().newCall(
                    LogicGrpc.getPostBatchMethod(), CallOptions.DEFAULT.withDeadline(deadline));
            ClientCalls.asyncUnaryCall(c, request.build(), call);
        } catch (RuntimeException e) {
            // not expected (a call reports its failures to the observer); every post is still answered once
            call.onError(e);
        }
    }

    /**
     * Stops every channel: new posts are rejected {@code unavailable}, posts in flight may finish within their
     * deadline, then whatever is left is cancelled. Blocks up to the deadline: do not call it on an event loop.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (resolver != null) {
            resolver.shutdownNow();
        }
        pool.close(config.deadline().plusSeconds(1));
        log.info("logic client for {} closed", config.target());
    }

    private static PostResult unreachable(Status status) {
        return PostResult.rejected(RejectReason.UNAVAILABLE, "logic unreachable: " + status.getCode());
    }

    /** A throttled WARN about a failed call, with the trace ids of its posts when it is logged. */
    private void warnFailed(List<PostRequest> posts, String address, Status status) {
        // no stack trace: the cause is the network or logic, not this code; the details go as arguments, never as
        // a bare null (ThrottledLog appends its suppressed count to the arguments)
        failures.warn(posts, PostRequest::traceId, "batch of {} posts to logic at {} failed: {}", posts.size(), address,
                status.getCode()
                + (status.getDescription() == null ? "" : " (" + status.getDescription() + ")")
                + (status.getCause() == null ? "" : ": " + status.getCause()));
    }

    private void record(Status.Code code, long startNanos) {
        latency.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        int i = code.ordinal();
        Counter counter = calls.get(i);
        if (counter == null) {
            counter = Counter.builder("danmaku.rpc.client.calls")
                    .description("PostBatch calls to logic, by gRPC status of the call")
                    .tag("status", CODES[i].name().toLowerCase(Locale.ROOT))
                    .register(meters);
            calls.set(i, counter);
        }
        counter.increment();
    }

    /** The answers of one batch, filled by its calls; complete once the last call has filled its posts. */
    private static final class Answers {
        final PostResult[] results;
        final AtomicInteger pendingCalls = new AtomicInteger();
        final CompletableFuture<List<PostResult>> future = new CompletableFuture<>();

        Answers(int n) {
            results = new PostResult[n];
        }

        /** Called once per call after it wrote its posts' results (the atomic orders those writes first). */
        void callDone() {
            if (pendingCalls.decrementAndGet() == 0) {
                future.complete(Collections.unmodifiableList(Arrays.asList(results)));
            }
        }
    }

    /**
     * The outcome of one PostBatch call. gRPC reports the reply (onNext) then the call's OK status (onCompleted),
     * or a failed status alone (onError); only the status decides, and only the first report counts.
     */
    private final class Call implements StreamObserver<PostBatchReply> {
        private final String address;
        private final List<PostRequest> batch;
        private final int[] positions;
        private final Answers answers;
        private final long startNanos;
        private final AtomicBoolean done = new AtomicBoolean();
        private PostBatchReply reply; // written and read on gRPC's serialized callbacks of this call

        Call(String address, List<PostRequest> batch, int[] positions, Answers answers, long startNanos) {
            this.address = address;
            this.batch = batch;
            this.positions = positions;
            this.answers = answers;
            this.startNanos = startNanos;
        }

        @Override
        public void onNext(PostBatchReply value) {
            reply = value;
        }

        @Override
        public void onCompleted() {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            inFlight.addAndGet(-positions.length);
            record(Status.Code.OK, startNanos);
            int k = positions.length;
            boolean[] answered = new boolean[k];
            int extra = 0;
            if (reply != null) {
                for (PostResultEntry entry : reply.getResultsList()) {
                    int id = entry.getId(); // a uint32 above 2^31 - 1 is negative here, and unknown
                    if (id < 0 || id >= k || answered[id]) {
                        extra++;
                        continue;
                    }
                    answered[id] = true;
                    answers.results[positions[id]] = PostMessages.fromProto(entry.getReply());
                }
            }
            int absent = 0;
            for (int id = 0; id < k; id++) {
                if (!answered[id]) {
                    absent++;
                    answers.results[positions[id]] = PostResult.rejected(RejectReason.UNAVAILABLE, NO_ANSWER_MESSAGE);
                }
            }
            answers.callDone();
            if (absent > 0 || extra > 0) {
                missing.increment(absent);
                unexpected.increment(extra);
                mismatches.warn("reply of logic at {} to {} posts: {} unanswered, {} entries not matching a post",
                        address, k, absent, extra);
            }
        }

        @Override
        public void onError(Throwable t) {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            inFlight.addAndGet(-positions.length);
            Status status = Status.fromThrowable(t);
            record(status.getCode(), startNanos);
            PostResult failed = unreachable(status);
            for (int position : positions) {
                answers.results[position] = failed;
            }
            answers.callDone();
            warnFailed(new AbstractList<PostRequest>() { // this call's posts, for their trace ids if it is logged
                @Override
                public PostRequest get(int index) {
                    return batch.get(positions[index]);
                }

                @Override
                public int size() {
                    return positions.length;
                }
            }, address, status);
        }
    }
}
