package io.danmaku.bench.load;

import static java.util.Objects.requireNonNull;

import io.danmaku.bench.ws.WsClientHandler;
import io.danmaku.bench.ws.WsSession;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Opens many client WebSocket connections on a few event loops (epoll where available), at a bounded rate and
 * with a bounded number of handshakes in flight, so the server under test is ramped, not stormed.
 */
public final class Connector implements AutoCloseable {
    private final EventLoopGroup group;
    private final Class<? extends SocketChannel> channelClass;
    private final List<Channel> channels = new ArrayList<>();
    private boolean offerDeflate;

    public Connector(int threads) {
        if (Epoll.isAvailable()) {
            group = new MultiThreadIoEventLoopGroup(threads, EpollIoHandler.newFactory());
            channelClass = EpollSocketChannel.class;
        } else {
            group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
            channelClass = NioSocketChannel.class;
        }
    }

    public EventLoopGroup group() {
        return group;
    }

    public Class<? extends SocketChannel> channelClass() {
        return channelClass;
    }

    /**
     * Opens {@code count} connections to {@code uris} (round robin), the session of connection {@code i} from
     * {@code sessions}, at most {@code perSecond} new connections per second and {@code inFlight} TCP connects at
     * once. Returns when every connect attempt finished or {@code timeout} passed; failures are the sessions'.
     */
    /** Offer permessage-deflate in every handshake from now on (and inflate what comes compressed). */
    public Connector offerDeflate(boolean on) {
        this.offerDeflate = on;
        return this;
    }

    public void open(List<URI> uris, int count, IntFunction<WsSession> sessions, int perSecond, int inFlight,
                     Duration timeout) throws InterruptedException {
        requireNonNull(uris, "uris");
        long deadline = System.nanoTime() + timeout.toNanos();
        Semaphore permits = new Semaphore(inFlight);
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long due = start + (long) (i * (1e9 / perSecond));
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || !permits.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                return;
            }
            URI uri = uris.get(i % uris.size());
            WsSession session = sessions.apply(i);
            Bootstrap b = new Bootstrap()
                    .group(group)
                    .channel(channelClass)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new WsClientHandler(uri, session, offerDeflate));
                        }
                    });
            ChannelFuture f = b.connect(uri.getHost(), uri.getPort());
            synchronized (channels) {
                channels.add(f.channel());
            }
            f.addListener(done -> {
                permits.release();
                if (!done.isSuccess()) {
                    session.onUpgradeFailed("connect: " + done.cause());
                }
            });
        }
        long left = deadline - System.nanoTime();
        if (left > 0 && permits.tryAcquire(inFlight, left, TimeUnit.NANOSECONDS)) {
            permits.release(inFlight);
        }
    }

    /** Closes every connection opened so far and waits (bounded) for the closes. */
    public void closeAll() {
        List<Channel> all;
        synchronized (channels) {
            all = new ArrayList<>(channels);
            channels.clear();
        }
        List<ChannelFuture> closes = new ArrayList<>(all.size());
        for (Channel ch : all) {
            closes.add(ch.close());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (ChannelFuture f : closes) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            f.awaitUninterruptibly(left, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void close() {
        closeAll();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
