package io.danmaku.bench.load;

import static java.util.Objects.requireNonNull;

import io.danmaku.bench.measure.Latencies;
import io.danmaku.bench.wire.Marker;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Publishes marked messages over HTTP at a target rate through {@code lanes} keep-alive connections, each with
 * one request in flight (so a lane's messages reach the server in order: the receivers check order per lane).
 * Two body formats: the Danmaku server API ({@code POST /api/publish}, JSON, API key) or a peer's raw
 * endpoint (the message text as the body). Runs on one event loop of its own; a message is stamped with its
 * send time when its request is written.
 */
public final class HttpPublisher implements AutoCloseable {
    /** How a message goes in a request body. */
    public enum Format { DANMAKU_API, RAW }

    private static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final URI url;
    private final Format format;
    private final String room;
    private final String apiKey;
    private final int padTo;
    private final int jsonBytes;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final Lane[] lanes;
    private final ArrayDeque<Lane> free = new ArrayDeque<>();
    private final Latencies ackLatency = new Latencies();
    private long nextSeq;
    private Step step;
    private String firstError;
    private volatile boolean closed;

    /** {@code padTo}: a RAW body is padded with {@code x} up to this many bytes (0 = no padding). */
    public HttpPublisher(URI url, Format format, String room, String apiKey, int laneCount, int padTo) {
        this(url, format, room, apiKey, laneCount, padTo, 0);
    }

    /**
     * {@code jsonBytes} > 0: every message is a JSON object of that many bytes (as far as the marker allows),
     * {@code {"ts":<ms>,"seq":<n>,"room":"<room>","uid":12345,"text":"<marker>x…"}}, the same for every server:
     * our server API publishes it as the publication's data, a peer relays it as its body.
     */
    public HttpPublisher(URI url, Format format, String room, String apiKey, int laneCount, int padTo,
                         int jsonBytes) {
        this.jsonBytes = jsonBytes;
        this.padTo = padTo;
        this.url = requireNonNull(url, "url");
        this.format = requireNonNull(format, "format");
        this.room = requireNonNull(room, "room");
        this.apiKey = apiKey;
        boolean epoll = Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.loop = group.next();
        this.lanes = new Lane[laneCount];
        for (int i = 0; i < laneCount; i++) {
            lanes[i] = new Lane(i);
        }
    }

    /** Connects every lane; fails when one cannot connect within 10 s. */
    public void start() throws InterruptedException {
        for (Lane lane : lanes) {
            lane.connect().syncUninterruptibly();
        }
        CompletableFuture<Void> added = new CompletableFuture<>();
        loop.execute(() -> {
            for (Lane lane : lanes) {
                free.add(lane);
            }
            added.complete(null);
        });
        added.join();
    }

    public int lanes() {
        return lanes.length;
    }

    /** Sequence number the next message will get (= messages sent so far). */
    public long nextSeq() {
        CompletableFuture<Long> f = new CompletableFuture<>();
        loop.execute(() -> f.complete(nextSeq));
        return f.join();
    }

    /**
     * Sends {@code round(rate * duration)} messages spread evenly over {@code duration}. Completes when all
     * were sent and answered, or 10 s after the planned end (the rest is reported unsent).
     */
    public CompletableFuture<StepResult> run(double rate, Duration duration) {
        CompletableFuture<StepResult> done = new CompletableFuture<>();
        loop.execute(() -> {
            ackLatency.interval(); // forget what earlier steps recorded
            step = new Step(rate, duration, done);
            step.firstSeq = nextSeq;
            step.tick = loop.scheduleAtFixedRate(this::tick, 0, 1, TimeUnit.MILLISECONDS);
        });
        return done;
    }

    private void tick() {
        Step s = step;
        if (s == null) {
            return;
        }
        long now = System.nanoTime();
        long due = Math.min(s.total, (long) (s.rate * (now - s.startNanos) / 1e9));
        while (s.sent < due && !free.isEmpty()) {
            send(free.poll(), s);
        }
        boolean allSent = s.sent == s.total;
        if ((allSent && s.inFlight == 0) || now - s.startNanos > s.durationNanos + GRACE_NANOS) {
            s.tick.cancel(false);
            step = null;
            long end = allSent ? s.lastSendNanos : now;
            s.done.complete(new StepResult(s.firstSeq, nextSeq, s.total - s.sent, s.ok, s.errors,
                    Math.max(1, end - s.startNanos) / 1e9, ackLatency.interval(), firstError));
        }
    }

    private void send(Lane lane, Step s) {
        long seq = nextSeq++;
        s.sent++;
        s.inFlight++;
        long now = System.nanoTime();
        s.lastSendNanos = now;
        lane.sentNanos = now;
        lane.step = s;
        String text = Marker.text(seq, lane.index, now / 1000);
        String body;
        if (jsonBytes > 0) {
            String json = jsonMessage(seq, text);
            body = format == Format.DANMAKU_API ? "{\"channel\":\"" + room + "\",\"data\":" + json + "}" : json;
        } else {
            body = format == Format.DANMAKU_API
                    ? "{\"channel\":\"" + room + "\",\"data\":{\"text\":\"" + text + "\"}}"
                    : text.length() >= padTo ? text : text + "x".repeat(padTo - text.length());
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
                Unpooled.wrappedBuffer(bytes));
        req.headers().set(HttpHeaderNames.HOST, url.getHost() + ":" + url.getPort());
        req.headers().set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        req.headers().set(HttpHeaderNames.CONTENT_TYPE,
                format == Format.DANMAKU_API ? "application/json" : "text/plain");
        if (apiKey != null) {
            req.headers().set("X-API-Key", apiKey);
        }
        lane.channel.writeAndFlush(req, lane.channel.voidPromise());
    }

    /** The json message of {@code seq}, {@link #jsonBytes} long unless the marker alone makes it longer. */
    String jsonMessage(long seq, String marker) {
        String head = "{\"ts\":" + System.currentTimeMillis() + ",\"seq\":" + seq + ",\"room\":\"" + room
                + "\",\"uid\":12345,\"text\":\"" + marker;
        int pad = jsonBytes - head.length() - 2;
        return head + (pad > 0 ? "x".repeat(pad) : "") + "\"}";
    }

    private void answered(Lane lane, boolean ok, String error) {
        Step s = lane.step;
        lane.step = null;
        if (s == null) {
            return;
        }
        s.inFlight--;
        if (ok) {
            s.ok++;
            ackLatency.record((System.nanoTime() - lane.sentNanos) / 1000);
        } else {
            s.errors++;
            if (firstError == null) {
                firstError = error;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Lane lane : lanes) {
            if (lane.channel != null) {
                lane.channel.close();
            }
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** What one step published. */
    public record StepResult(long firstSeq, long endSeq, long unsent, long ok, long errors, double sendSeconds,
                             Histogram ackMicros, String firstError) {
        public long sent() {
            return endSeq - firstSeq;
        }
    }

    private static final class Step {
        final double rate;
        final long total;
        final long durationNanos;
        final long startNanos = System.nanoTime();
        final CompletableFuture<StepResult> done;
        long firstSeq;
        long sent;
        long inFlight;
        long ok;
        long errors;
        long lastSendNanos;
        ScheduledFuture<?> tick;

        Step(double rate, Duration duration, CompletableFuture<StepResult> done) {
            this.rate = rate;
            this.total = Math.round(rate * duration.toNanos() / 1e9);
            this.durationNanos = duration.toNanos();
            this.done = done;
        }
    }

    private final class Lane {
        final int index;
        Channel channel;
        Step step;
        long sentNanos;

        Lane(int index) {
            this.index = index;
        }

        io.netty.channel.ChannelFuture connect() {
            Bootstrap b = new Bootstrap()
                    .group(loop)
                    .channel(Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                                    new SimpleChannelInboundHandler<FullHttpResponse>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
                                            int code = r.status().code();
                                            boolean ok = code / 100 == 2;
                                            String error = null;
                                            if (ok && format == Format.DANMAKU_API) {
                                                String body = r.content().toString(StandardCharsets.UTF_8);
                                                ok = !body.contains("\"error\"");
                                                error = ok ? null : body;
                                            } else if (!ok) {
                                                error = "HTTP " + code + ": "
                                                        + r.content().toString(StandardCharsets.UTF_8);
                                            }
                                            answered(Lane.this, ok, error);
                                            free.add(Lane.this);
                                            tick();
                                        }

                                        @Override
                                        public void channelInactive(ChannelHandlerContext ctx) {
                                            // the server closed an idle or failed lane: count what was in flight, reconnect
                                            if (step != null) {
                                                answered(Lane.this, false, "publish connection closed");
                                            }
                                            free.remove(Lane.this);
                                            if (closed) {
                                                return;
                                            }
                                            ctx.channel().eventLoop().schedule(() -> connect().addListener(f -> {
                                                if (f.isSuccess()) {
                                                    free.add(Lane.this);
                                                }
                                            }), 100, TimeUnit.MILLISECONDS);
                                        }
                                    });
                        }
                    });
            io.netty.channel.ChannelFuture f = b.connect(url.getHost(), url.getPort());
            channel = f.channel();
            return f;
        }
    }
}
