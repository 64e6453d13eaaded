package io.danmaku.store.redis;

import io.danmaku.protocol.DanmakuException;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.ConnectionFuture;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.StringCodec;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a failed TLS connection to Redis means for the settings, and the start-up check that every node of a TLS
 * cluster can be reached.
 *
 * <p>A TLS failure is a configuration error that waiting does not cure, so it is reported at start as a
 * non-retriable {@link DanmakuException} whose message names the setting to change: the servers refused the
 * client certificate, or there was none ({@code store.redis.tls.cert-file}); a server's certificate is not issued
 * by a trusted authority ({@code store.redis.tls.ca-file}); it does not name the address it was reached at (the
 * host of {@code store.redis.uris}, or the address a cluster node announces).
 */
final class RedisTlsCheck {
    private static final Logger log = LoggerFactory.getLogger(RedisTlsCheck.class);
    /**
     * TLS alerts a server sends about the client's certificate: OpenSSL's {@code certificate_required} when there
     * is none (TLS 1.3), the others when it does not accept the one it got.
     */
    private static final List<String> CLIENT_CERTIFICATE_ALERTS = List.of("certificate_required",
            "bad_certificate", "unknown_ca", "certificate_unknown", "unsupported_certificate", "certificate_expired",
            "certificate_revoked", "access_denied");
    private static final int MAX_CAUSES = 64;

    private RedisTlsCheck() {
    }

    /**
     * What {@code failure} (with its causes and suppressed exceptions, where Lettuce keeps each node's failure)
     * says about the TLS settings, or empty when it is not a TLS failure.
     *
     * @param tls the configured files, or null (the JDK's trust store, no client certificate)
     */
    static Optional<String> explain(Throwable failure, RedisTls tls) {
        for (Throwable t : causes(failure)) {
            String message = String.valueOf(t.getMessage());
            for (String alert : CLIENT_CERTIFICATE_ALERTS) {
                if (message.contains("Received fatal alert: " + alert)) {
                    return Optional.of(tls == null || tls.certFile() == null
                            ? "Redis requires a client certificate (tls-auth-clients) and this process has none"
                                    + " (TLS alert " + alert + "): set " + RedisTls.KEY_CERT_FILE + " and "
                                    + RedisTls.KEY_KEY_FILE + " to a certificate issued by an authority in the"
                                    + " servers' tls-ca-cert-file"
                            : "Redis refused the client certificate " + RedisTls.KEY_CERT_FILE + "=" + tls.certFile()
                                    + " (TLS alert " + alert + "): it must be valid now and issued by an authority"
                                    + " in the servers' tls-ca-cert-file");
                }
            }
        }
        for (Throwable t : causes(failure)) {
            String message = String.valueOf(t.getMessage());
            if (t instanceof CertPathBuilderException || t instanceof CertPathValidatorException
                    || message.contains("PKIX path")) {
                return Optional.of(tls == null || tls.caFile() == null
                        ? "the certificate of a Redis node is not issued by an authority of the JDK's default trust"
                                + " store (" + message + "): set " + RedisTls.KEY_CA_FILE + " to the PEM file of the"
                                + " authority that issued the Redis servers' certificates"
                        : "the certificate of a Redis node is not issued by an authority in " + RedisTls.KEY_CA_FILE
                                + "=" + tls.caFile() + " (" + message + "): set it to the PEM file of the authority"
                                + " that issued the Redis servers' certificates");
            }
            if (message.startsWith("No subject alternative") || message.startsWith("No name matching")) {
                return Optional.of("the certificate of a Redis node does not name the address it was reached at ("
                        + message + "): each node's certificate must name the host of its store.redis.uris entry"
                        + " and, in a cluster, the address the node announces (CLUSTER NODES: its IP address, or"
                        + " its cluster-announce-hostname)");
            }
        }
        return Optional.empty();
    }

    /**
     * {@link #explain} as the exception to throw at start, or null when {@code failure} is not a TLS failure.
     *
     * @param node the {@code host:port} of the node that failed, as the cluster announces it; null for the seeds
     */
    static DanmakuException failure(RedisStoreConfig config, Throwable failure, String node) {
        return explain(failure, config.tls())
                .map(why -> new DanmakuException("cannot connect to Redis " + config.urisForLog() + " over TLS: "
                        + (node == null ? "" : "node " + node + ", as the cluster announces it: ") + why, failure,
                        false))
                .orElse(null);
    }

    /**
     * Opens (and closes) one connection to every node of {@code cluster}'s topology, masters and replicas, at the
     * address each announces, with the cluster connection's options: a certificate that does not name that
     * address, or any other TLS failure, then fails the start instead of the first command routed there. A node
     * that does not answer is only logged: it may be failing over, and the cluster client finds it later.
     *
     * @throws DanmakuException (not retriable) naming the node and the setting to change
     */
    static void reachEveryNode(RedisClusterClient cluster, ClientOptions options, RedisStoreConfig config) {
        RedisClient probe = RedisClient.create(cluster.getResources());
        try {
            probe.setOptions(options.mutate().autoReconnect(false).build());
            Map<String, ConnectionFuture<StatefulRedisConnection<String, String>>> attempts = new LinkedHashMap<>();
            // The topology's URIs carry only the addresses: the cluster client connects to them with the first
            // seed's settings (TLS, peer verification, credentials), and so does this.
            RedisURI seed = config.redisUris().get(0);
            for (RedisClusterNode node : cluster.getPartitions()) {
                RedisURI at = node.getUri();
                RedisURI uri = RedisURI.builder(seed).withHost(at.getHost()).withPort(at.getPort()).build();
                attempts.put(at.getHost() + ":" + at.getPort(), probe.connectAsync(StringCodec.UTF8, uri));
            }
            long deadline = System.nanoTime() + config.connectTimeout().plus(config.commandTimeout())
                    .plusSeconds(1).toNanos();
            for (Map.Entry<String, ConnectionFuture<StatefulRedisConnection<String, String>>> a : attempts.entrySet()) {
                try {
                    a.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS).close();
                } catch (ExecutionException e) {
                    DanmakuException tls = failure(config, e.getCause(), a.getKey());
                    if (tls != null) {
                        throw tls;
                    }
                    log.warn("Redis node {} (as the cluster announces it) not reachable at start: {}", a.getKey(),
                            e.getCause().toString());
                } catch (TimeoutException e) {
                    log.warn("Redis node {} (as the cluster announces it) did not answer at start", a.getKey());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new DanmakuException("interrupted while reaching the Redis nodes", e, false);
                }
            }
        } finally {
            probe.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    /** {@code failure}, its causes and suppressed exceptions, breadth first, each once. */
    private static List<Throwable> causes(Throwable failure) {
        List<Throwable> all = new ArrayList<>();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Throwable> queue = new ArrayDeque<>();
        if (failure != null) {
            queue.add(failure);
        }
        while (!queue.isEmpty() && all.size() < MAX_CAUSES) {
            Throwable t = queue.poll();
            if (!seen.add(t)) {
                continue;
            }
            all.add(t);
            if (t.getCause() != null) {
                queue.add(t.getCause());
            }
            Collections.addAll(queue, t.getSuppressed());
        }
        return all;
    }
}
