package io.danmaku.gateway.pipeline;

import static java.util.Objects.requireNonNull;

import io.danmaku.gateway.GatewayConfig;
import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Decides at accept whether a new TCP connection may stay: the accept rate (a token bucket of
 * {@code acceptRatePerSecond} refilled continuously, holding at most {@code acceptBurst}), the gateway's cap on
 * open connections and the cap per client address. Every connection counts, upgraded or not, from accept to
 * close. Thread-safe; one per gateway, shared by every event loop.
 *
 * <p>Cost: one atomic per accepted connection for the total, one map entry per client address with open
 * connections when the per-address cap is on (the map is untouched when it is off), a short lock for the bucket
 * when the rate limit is on.
 */
public final class ConnectionAdmission {
    private final int maxConnections;
    private final int maxPerAddress;
    private final int ratePerSecond;
    private final int burst;
    private final LongSupplier nanoTime;
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();
    private double tokens;
    private long refilledAtNanos;

    public ConnectionAdmission(GatewayConfig config) {
        this(config.maxConnections(), config.maxConnectionsPerIp(), config.acceptRatePerSecond(),
                config.acceptBurst(), System::nanoTime);
    }

    /** @param maxConnections 0 = no cap; {@code maxPerAddress} likewise; {@code ratePerSecond} 0 = no limit */
    ConnectionAdmission(int maxConnections, int maxPerAddress, int ratePerSecond, int burst, LongSupplier nanoTime) {
        this.maxConnections = maxConnections;
        this.maxPerAddress = maxPerAddress;
        this.ratePerSecond = ratePerSecond;
        this.burst = burst;
        this.nanoTime = requireNonNull(nanoTime, "nanoTime");
        this.tokens = burst;
        this.refilledAtNanos = nanoTime.getAsLong();
    }

    /**
     * Admits a connection from {@code address} (null when unknown: only the total and the rate apply), or says
     * why not. An admitted connection must be {@link #release released} exactly once, when it closes.
     */
    public Refusal admit(InetAddress address) {
        if (ratePerSecond > 0 && !takeToken()) {
            return Refusal.RATE;
        }
        if (open.incrementAndGet() > maxConnections && maxConnections > 0) {
            open.decrementAndGet();
            return Refusal.MAX;
        }
        if (admitAddress(address) != null) {
            open.decrementAndGet();
            return Refusal.PER_IP;
        }
        return null;
    }

    /**
     * Counts one more connection from {@code address} against the per-address cap, or refuses it. For a
     * connection admitted with a null address whose client address is learnt later (from a PROXY header or a
     * trusted proxy's forwarding header); {@link #release} with that address then forgets both counts.
     *
     * @return null when counted, else {@link Refusal#PER_IP}
     */
    public Refusal admitAddress(InetAddress address) {
        if (maxPerAddress > 0 && address != null) {
            boolean[] refused = new boolean[1];
            perAddress.compute(address, (a, n) -> {
                int count = n == null ? 0 : n;
                if (count >= maxPerAddress) {
                    refused[0] = true;
                    return n;
                }
                return count + 1;
            });
            if (refused[0]) {
                return Refusal.PER_IP;
            }
        }
        return null;
    }

    /** Forgets one connection counted by {@link #admitAddress} (its address changed, or it was refused). */
    public void releaseAddress(InetAddress address) {
        if (maxPerAddress > 0 && address != null) {
            perAddress.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
        }
    }

    /** Forgets an admitted connection that closed. */
    public void release(InetAddress address) {
        open.decrementAndGet();
        releaseAddress(address);
    }

    /** Open admitted connections. */
    public int open() {
        return open.get();
    }

    /** Client addresses with open connections counted (per-address cap on). */
    int addresses() {
        return perAddress.size();
    }

    private synchronized boolean takeToken() {
        long now = nanoTime.getAsLong();
        tokens = Math.min(burst, tokens + (now - refilledAtNanos) * (ratePerSecond / 1e9));
        refilledAtNanos = now;
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }
}
