package io.danmaku.rpc;

import static java.util.Objects.requireNonNull;

import io.danmaku.rpc.internal.LogicTarget;
import java.time.Duration;

/**
 * Settings of {@link GrpcPostClient}, the gateway's connection to logic (config section {@code gateway.logic}).
 * Validated once here, then frozen.
 *
 * @param target where logic is: {@code dns:///name:port} (every address of the name is a logic instance: a
 *     Kubernetes headless service) or a static list {@code host:port[,host:port…]} (IPv6 in brackets); a missing
 *     port means {@value RpcServerConfig#DEFAULT_PORT}. Each user's posts go to one instance, chosen by
 *     rendezvous hashing of the user id over the addresses (an entry of a static list is one instance, named as
 *     written: give every gateway the same list)
 * @param deadline how long a post may take, the network and logic's publish together; past it the post is
 *     rejected {@code unavailable}. Keep it above logic's {@code logic.publish.timeout} (default 5 s) so that
 *     logic's own, more precise answer arrives first
 * @param keepAliveTime idle time after which the client pings a connection to find out whether it is dead
 *     (logic's {@code logic.grpc.keepalive.permit-time} must not be longer)
 * @param keepAliveTimeout how long a ping may go unanswered before the connection is closed as dead
 * @param dnsRefreshInterval for a {@code dns:///} target, how often the name is resolved again: a logic instance
 *     that appeared gets its users within about this long (plus the JVM's DNS cache,
 *     {@code networkaddress.cache.ttl}), one that disappeared has its connection closed. Unused for a static list
 * @param tls TLS to logic, optionally with a client certificate; null = plaintext (the default)
 */
public record RpcClientConfig(String target, Duration deadline, Duration keepAliveTime, Duration keepAliveTimeout,
        Duration dnsRefreshInterval, RpcClientTls tls) {
    public static final String KEY_TARGET = "gateway.logic.target";
    public static final String KEY_DEADLINE = "gateway.logic.deadline";
    public static final String KEY_KEEPALIVE_TIME = "gateway.logic.keepalive.time";
    public static final String KEY_KEEPALIVE_TIMEOUT = "gateway.logic.keepalive.timeout";
    public static final String KEY_DNS_REFRESH_INTERVAL = "gateway.logic.dns.refresh-interval";

    public static final String DEFAULT_TARGET = "localhost:" + RpcServerConfig.DEFAULT_PORT;
    /** logic's default publish timeout (5 s) plus 1 s for the network and the rules. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(6);
    public static final Duration DEFAULT_KEEPALIVE_TIME = Duration.ofSeconds(30);
    public static final Duration DEFAULT_KEEPALIVE_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_DNS_REFRESH_INTERVAL = Duration.ofSeconds(5);

    /** gRPC does not ping more often than this. */
    public static final Duration MIN_KEEPALIVE_TIME = Duration.ofSeconds(10);

    public RpcClientConfig {
        LogicTarget.parse(target, KEY_TARGET, RpcServerConfig.DEFAULT_PORT);
        target = target.strip();
        checkDuration(deadline, KEY_DEADLINE, Duration.ofMillis(1), Duration.ofMinutes(10));
        checkDuration(keepAliveTime, KEY_KEEPALIVE_TIME, MIN_KEEPALIVE_TIME, Duration.ofHours(2));
        checkDuration(keepAliveTimeout, KEY_KEEPALIVE_TIMEOUT, Duration.ofSeconds(1), Duration.ofMinutes(10));
        checkDuration(dnsRefreshInterval, KEY_DNS_REFRESH_INTERVAL, Duration.ofMillis(100), Duration.ofHours(1));
    }

    /** The defaults, with logic at {@code target}. */
    public static RpcClientConfig defaults(String target) {
        return new RpcClientConfig(target, DEFAULT_DEADLINE, DEFAULT_KEEPALIVE_TIME, DEFAULT_KEEPALIVE_TIMEOUT,
                DEFAULT_DNS_REFRESH_INTERVAL, null);
    }

    public static RpcClientConfig defaults() {
        return defaults(DEFAULT_TARGET);
    }

    public RpcClientConfig withTarget(String value) {
        return new RpcClientConfig(value, deadline, keepAliveTime, keepAliveTimeout, dnsRefreshInterval, tls);
    }

    public RpcClientConfig withDeadline(Duration value) {
        return new RpcClientConfig(target, value, keepAliveTime, keepAliveTimeout, dnsRefreshInterval, tls);
    }

    public RpcClientConfig withKeepAlive(Duration time, Duration timeout) {
        return new RpcClientConfig(target, deadline, time, timeout, dnsRefreshInterval, tls);
    }

    public RpcClientConfig withDnsRefreshInterval(Duration value) {
        return new RpcClientConfig(target, deadline, keepAliveTime, keepAliveTimeout, value, tls);
    }

    /** With TLS to logic ({@code null} = plaintext). */
    public RpcClientConfig withTls(RpcClientTls value) {
        return new RpcClientConfig(target, deadline, keepAliveTime, keepAliveTimeout, dnsRefreshInterval, value);
    }

    static void checkDuration(Duration d, String key, Duration min, Duration max) {
        requireNonNull(d, key);
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new IllegalArgumentException(key + ": " + d + " (expected: " + min + ".." + max + ")");
        }
    }
}
