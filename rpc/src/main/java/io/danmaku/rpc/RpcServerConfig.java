package io.danmaku.rpc;

import static io.danmaku.rpc.RpcClientConfig.checkDuration;
import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Settings of {@link GrpcPostServer}, logic's gRPC endpoint (config section {@code logic.grpc}). Validated once
 * here, then frozen.
 *
 * @param host address to bind ({@code 0.0.0.0} = every interface)
 * @param port port to bind, default {@value #DEFAULT_PORT}; 0 = any free port
 * @param permitKeepAliveTime the shortest interval between client pings the server tolerates; a client pinging
 *     more often is disconnected, so keep it at or below the gateways' {@code gateway.logic.keepalive.time}
 * @param maxConnectionAge a connection is asked to go away (the client reconnects at once, without failing a
 *     call) after about this long, so that gateways resolve the DNS name again and spread onto logic instances
 *     added since. {@link Duration#ZERO} = never
 * @param maxConnectionAgeGrace how long calls in flight on such a connection may still take; keep it above the
 *     gateways' deadline
 * @param shutdownTimeout on close, how long calls in flight may take to finish before they are cancelled
 * @param tls TLS on the port, optionally mutual; null = plaintext (the default: a private network)
 */
public record RpcServerConfig(
        String host,
        int port,
        Duration permitKeepAliveTime,
        Duration maxConnectionAge,
        Duration maxConnectionAgeGrace,
        Duration shutdownTimeout,
        RpcServerTls tls) {

    public static final String KEY_HOST = "logic.grpc.host";
    public static final String KEY_PORT = "logic.grpc.port";
    public static final String KEY_PERMIT_KEEPALIVE_TIME = "logic.grpc.keepalive.permit-time";
    public static final String KEY_MAX_CONNECTION_AGE = "logic.grpc.max-connection-age";
    public static final String KEY_MAX_CONNECTION_AGE_GRACE = "logic.grpc.max-connection-age-grace";
    public static final String KEY_SHUTDOWN_TIMEOUT = "logic.grpc.shutdown-timeout";

    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 9090;
    public static final Duration DEFAULT_PERMIT_KEEPALIVE_TIME = Duration.ofSeconds(20);
    public static final Duration DEFAULT_MAX_CONNECTION_AGE = Duration.ofMinutes(5);
    public static final Duration DEFAULT_MAX_CONNECTION_AGE_GRACE = Duration.ofSeconds(10);
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

    public RpcServerConfig {
        requireNonNull(host, KEY_HOST);
        if (host.isBlank()) {
            throw new IllegalArgumentException(KEY_HOST + ": \"" + host + "\" (expected: a host name or address)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(KEY_PORT + ": " + port + " (expected: 0..65535)");
        }
        checkDuration(permitKeepAliveTime, KEY_PERMIT_KEEPALIVE_TIME, Duration.ZERO, Duration.ofHours(2));
        checkDuration(maxConnectionAge, KEY_MAX_CONNECTION_AGE, Duration.ZERO, Duration.ofDays(1));
        if (!maxConnectionAge.isZero() && maxConnectionAge.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException(KEY_MAX_CONNECTION_AGE + ": " + maxConnectionAge
                    + " (expected: PT0S for never, or PT1S..PT24H)");
        }
        checkDuration(maxConnectionAgeGrace, KEY_MAX_CONNECTION_AGE_GRACE, Duration.ZERO, Duration.ofHours(1));
        checkDuration(shutdownTimeout, KEY_SHUTDOWN_TIMEOUT, Duration.ZERO, Duration.ofMinutes(10));
    }

    public static RpcServerConfig defaults() {
        return new RpcServerConfig(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_PERMIT_KEEPALIVE_TIME,
                DEFAULT_MAX_CONNECTION_AGE, DEFAULT_MAX_CONNECTION_AGE_GRACE, DEFAULT_SHUTDOWN_TIMEOUT, null);
    }

    public RpcServerConfig withAddress(String host, int port) {
        return new RpcServerConfig(host, port, permitKeepAliveTime, maxConnectionAge, maxConnectionAgeGrace,
                shutdownTimeout, tls);
    }

    public RpcServerConfig withMaxConnectionAge(Duration age, Duration grace) {
        return new RpcServerConfig(host, port, permitKeepAliveTime, age, grace, shutdownTimeout, tls);
    }

    /** With TLS on the port ({@code null} = plaintext). */
    public RpcServerConfig withTls(RpcServerTls value) {
        return new RpcServerConfig(host, port, permitKeepAliveTime, maxConnectionAge, maxConnectionAgeGrace,
                shutdownTimeout, value);
    }

    public RpcServerConfig withShutdownTimeout(Duration value) {
        return new RpcServerConfig(host, port, permitKeepAliveTime, maxConnectionAge, maxConnectionAgeGrace,
                value, tls);
    }
}
