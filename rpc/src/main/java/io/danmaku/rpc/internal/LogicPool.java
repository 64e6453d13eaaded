package io.danmaku.rpc.internal;

import static java.util.Objects.requireNonNull;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The logic instances a gateway talks to: one {@link ManagedChannel} per address, and the rendezvous choice of an
 * instance per user.
 *
 * <p>The addresses come from a resolver ({@code host:port} values, unresolved: a static list's entries as
 * configured, or the IP addresses of a DNS name). {@link #refresh} asks it again: a channel is opened for an
 * address that appeared and gracefully shut down (calls in flight may finish) for one that disappeared; the
 * channels of the others are kept. A resolver that fails or finds nothing leaves the members as they were: a DNS
 * hiccup must not drop every connection. Members are published as an immutable array, so {@link #members} and
 * {@link #pick} take no lock; {@link #refresh} and {@link #close} are serialised.
 *
 * <p>A member is named by its address string ({@link LogicTarget#show}); its rendezvous weight is computed from
 * that name, so gateways that see the same addresses choose the same instance for a user.
 */
public final class LogicPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LogicPool.class);
    private static final Member[] NONE = new Member[0];

    /** One logic instance: its name, the hash of the name, its channel. */
    public record Member(String address, long hash, ManagedChannel channel) {
        /** Not worth sending to: the connection failed (gRPC is retrying with backoff) or is shut down. */
        public boolean failing() {
            // true: a channel gone idle (the server's max-connection-age) starts connecting again
            ConnectivityState state = channel.getState(true);
            return state == ConnectivityState.TRANSIENT_FAILURE || state == ConnectivityState.SHUTDOWN;
        }
    }

    private final String source;
    private final Supplier<List<InetSocketAddress>> resolver;
    private final Function<InetSocketAddress, ManagedChannel> channelFactory;
    private volatile Member[] members = NONE;
    private boolean closed; // guarded by this

    /**
     * Resolves once at once (the caller's thread).
     *
     * @param source what the addresses are of, for the logs (the configured target)
     * @param resolver the current addresses; may throw (a failed lookup), which keeps the current members
     * @param channelFactory opens a channel to one address (called under this pool's lock: it must not block)
     */
    public LogicPool(String source, Supplier<List<InetSocketAddress>> resolver,
            Function<InetSocketAddress, ManagedChannel> channelFactory) {
        this.source = requireNonNull(source, "source");
        this.resolver = requireNonNull(resolver, "resolver");
        this.channelFactory = requireNonNull(channelFactory, "channelFactory");
        refresh();
    }

    /** A resolver for a fixed list: always the same entries. */
    public static Supplier<List<InetSocketAddress>> fixed(List<InetSocketAddress> entries) {
        List<InetSocketAddress> copy = List.copyOf(entries);
        return () -> copy;
    }

    /**
     * A resolver of every address of {@code name} (A and AAAA records through the JVM's resolver, whose cache,
     * {@code networkaddress.cache.ttl}, adds to the refresh interval), as IP literals with {@code name}'s port.
     */
    public static Supplier<List<InetSocketAddress>> dns(InetSocketAddress name) {
        requireNonNull(name, "name");
        return () -> {
            InetAddress[] all;
            try {
                all = InetAddress.getAllByName(name.getHostString());
            } catch (UnknownHostException e) {
                throw new IllegalStateException("cannot resolve " + LogicTarget.show(name) + ": " + e.getMessage(),
                        e);
            }
            List<InetSocketAddress> out = new ArrayList<>(all.length);
            for (InetAddress a : all) {
                out.add(InetSocketAddress.createUnresolved(a.getHostAddress(), name.getPort()));
            }
            return out;
        };
    }

    /**
     * Resolves again and brings the channels in line: opens the new addresses', shuts the vanished ones' down.
     *
     * @return false when the resolver failed or found nothing (the members are left as they were)
     */
    public synchronized boolean refresh() {
        if (closed) {
            return false;
        }
        List<InetSocketAddress> found;
        try {
            found = resolver.get();
        } catch (RuntimeException e) {
            log.warn("logic addresses of {} not refreshed, keeping {}: {}", source, names(members), e.toString());
            return false;
        }
        Set<String> names = new LinkedHashSet<>();
        Map<String, InetSocketAddress> byName = new HashMap<>();
        for (InetSocketAddress a : found) {
            String name = LogicTarget.show(a);
            names.add(name);
            byName.putIfAbsent(name, a);
        }
        if (names.isEmpty()) {
            log.warn("logic addresses of {}: none found, keeping {}", source, names(members));
            return false;
        }
        Member[] old = members;
        Map<String, Member> kept = new HashMap<>();
        for (Member m : old) {
            kept.put(m.address(), m);
        }
        List<Member> next = new ArrayList<>(names.size());
        List<String> added = new ArrayList<>();
        for (String name : names) {
            Member m = kept.remove(name);
            if (m == null) {
                ManagedChannel channel = requireNonNull(channelFactory.apply(byName.get(name)), "channel");
                channel.getState(true); // start connecting now, not on the first post
                m = new Member(name, Rendezvous.hash(name), channel);
                added.add(name);
            }
            next.add(m);
        }
        members = next.toArray(NONE);
        for (Member gone : kept.values()) {
            gone.channel().shutdown(); // calls in flight finish (within their deadlines); new ones go elsewhere
        }
        if (!added.isEmpty() || !kept.isEmpty()) {
            log.info("logic instances of {}: {} (joined {}, left {})", source, names, added, kept.keySet());
        }
        return true;
    }

    /** The current members, in no particular order. Do not modify the array. */
    public Member[] members() {
        return members;
    }

    /**
     * The member a key (a user id's {@link Rendezvous#hash}) goes to: the highest-ranked one that is not
     * {@link Member#failing failing}, or when all are failing the highest-ranked one (a call to it fails fast).
     *
     * @return its index in {@code members}; -1 when {@code members} is empty
     */
    public static int pick(Member[] members, long keyHash) {
        int top = -1;
        long topW = 0;
        int live = -1;
        long liveW = 0;
        for (int i = 0; i < members.length; i++) {
            long h = members[i].hash();
            long w = Rendezvous.weight(keyHash, h);
            if (top < 0 || Rendezvous.above(w, h, topW, members[top].hash())) {
                top = i;
                topW = w;
            }
            if ((live < 0 || Rendezvous.above(w, h, liveW, members[live].hash())) && !members[i].failing()) {
                live = i;
                liveW = w;
            }
        }
        return live >= 0 ? live : top;
    }

    /** True when at least one member is connected. */
    public boolean anyReady() {
        for (Member m : members) {
            if (m.channel().getState(false) == ConnectivityState.READY) {
                return true;
            }
        }
        return false;
    }

    /**
     * Shuts every channel down, lets calls in flight finish for up to {@code grace}, then cancels the rest.
     * Blocks: not on an event loop.
     */
    public void close(Duration grace) {
        Member[] all;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            all = members;
            members = NONE;
        }
        for (Member m : all) {
            m.channel().shutdown();
        }
        long deadline = System.nanoTime() + grace.toNanos();
        try {
            for (Member m : all) {
                long left = Math.max(0, deadline - System.nanoTime());
                if (!m.channel().awaitTermination(left, TimeUnit.NANOSECONDS)) {
                    m.channel().shutdownNow();
                }
            }
        } catch (InterruptedException e) {
            for (Member m : all) {
                m.channel().shutdownNow();
            }
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(Duration.ZERO);
    }

    private static List<String> names(Member[] members) {
        List<String> out = new ArrayList<>(members.length);
        for (Member m : members) {
            out.add(m.address());
        }
        return out;
    }
}
