package io.danmaku.store.redis;

import static java.util.Objects.requireNonNull;

import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How {@link RedisHotStore} reaches Redis and sizes what it keeps.
 *
 * @param mode a Redis Cluster (the URIs are seeds; the client discovers the rest) or one plain node
 * @param uris {@code redis://host:port} (or {@code rediss://}, or bare {@code host:port}, which means
 *     {@code redis://}); exactly one for a single node
 * @param commandTimeout a command that has no reply within this time fails (retriable), so callers fall back
 *     instead of waiting while a master fails over
 * @param connectTimeout TCP connect timeout to a node
 * @param topologyRefreshPeriod how often the cluster client re-reads the topology besides the adaptive
 *     triggers (MOVED, ASK, reconnects); unused for a single node
 * @param historyCapacity records kept per room (exactly; older ones are trimmed and the floor moves)
 * @param historyRetention a room's history is deleted after it was not appended to for this long
 * @param tls the authorities and client certificate of TLS to Redis, used with {@code rediss://} URIs (which
 *     must then be all of them); null = the JDK's trust store for {@code rediss://}, no client certificate
 */
public record RedisStoreConfig(
        Mode mode,
        List<String> uris,
        Duration commandTimeout,
        Duration connectTimeout,
        Duration topologyRefreshPeriod,
        int historyCapacity,
        Duration historyRetention,
        RedisTls tls) {

    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofMillis(500);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /**
     * A safety net only: failovers are found by the adaptive triggers (a reconnect attempt, MOVED, ASK), which
     * refresh within {@code 500 ms}. Each periodic refresh opens a connection to every node and rebuilds the
     * 16,384-slot tables, so every second it cost a few per cent of a busy process's CPU and was its largest
     * source of garbage.
     */
    public static final Duration DEFAULT_TOPOLOGY_REFRESH_PERIOD = Duration.ofSeconds(30);
    public static final int DEFAULT_HISTORY_CAPACITY = 1000;
    public static final int MAX_HISTORY_CAPACITY = 1_000_000;
    public static final Duration DEFAULT_HISTORY_RETENTION = Duration.ofDays(7);

    /** Cluster, or a single node. */
    public enum Mode {
        CLUSTER,
        SINGLE
    }

    public RedisStoreConfig {
        requireNonNull(mode, "mode");
        requireNonNull(uris, "uris");
        if (uris.isEmpty() || (mode == Mode.SINGLE && uris.size() != 1)) {
            throw new IllegalArgumentException("redis.uris: " + uris + " (expected: "
                    + (mode == Mode.SINGLE ? "exactly one URI in single mode" : "at least one cluster seed") + ")");
        }
        List<String> normalized = new ArrayList<>(uris.size());
        for (int i = 0; i < uris.size(); i++) {
            normalized.add(normalize(uris.get(i), i));
        }
        uris = List.copyOf(normalized);
        commandTimeout = requireBetween(commandTimeout, "redis.command-timeout", Duration.ofMillis(1),
                Duration.ofMinutes(1));
        connectTimeout = requireBetween(connectTimeout, "redis.connect-timeout", Duration.ofMillis(1),
                Duration.ofMinutes(1));
        topologyRefreshPeriod = requireBetween(topologyRefreshPeriod, "redis.topology-refresh-period",
                Duration.ofMillis(100), Duration.ofHours(1));
        if (historyCapacity < 1 || historyCapacity > MAX_HISTORY_CAPACITY) {
            throw new IllegalArgumentException("redis.history.capacity: " + historyCapacity + " (expected: 1.."
                    + MAX_HISTORY_CAPACITY + ")");
        }
        historyRetention = requireBetween(historyRetention, "redis.history.retention", Duration.ofSeconds(1),
                Duration.ofDays(3650));
        if (tls != null && !uris.stream().allMatch(u -> u.startsWith("rediss://"))) {
            throw new IllegalArgumentException("store.redis.tls: set while store.redis.uris " + urisForLog(uris)
                    + " are not all rediss:// (expected: rediss:// URIs, or no TLS files)");
        }
    }

    public RedisStoreConfig(Mode mode, List<String> uris, Duration commandTimeout, Duration connectTimeout,
                            Duration topologyRefreshPeriod, int historyCapacity, Duration historyRetention) {
        this(mode, uris, commandTimeout, connectTimeout, topologyRefreshPeriod, historyCapacity, historyRetention,
                null);
    }

    /** These settings with TLS files; null = none. */
    public RedisStoreConfig withTls(RedisTls value) {
        return new RedisStoreConfig(mode, uris, commandTimeout, connectTimeout, topologyRefreshPeriod, historyCapacity,
                historyRetention, value);
    }

    /** A cluster reached through {@code seeds}, every other setting at its default. */
    public static RedisStoreConfig cluster(List<String> seeds) {
        return new RedisStoreConfig(Mode.CLUSTER, seeds, DEFAULT_COMMAND_TIMEOUT, DEFAULT_CONNECT_TIMEOUT,
                DEFAULT_TOPOLOGY_REFRESH_PERIOD, DEFAULT_HISTORY_CAPACITY, DEFAULT_HISTORY_RETENTION);
    }

    /** One plain node, every other setting at its default. */
    public static RedisStoreConfig single(String uri) {
        return new RedisStoreConfig(Mode.SINGLE, List.of(requireNonNull(uri, "uri")), DEFAULT_COMMAND_TIMEOUT,
                DEFAULT_CONNECT_TIMEOUT, DEFAULT_TOPOLOGY_REFRESH_PERIOD, DEFAULT_HISTORY_CAPACITY,
                DEFAULT_HISTORY_RETENTION);
    }

    public RedisStoreConfig withHistoryCapacity(int capacity) {
        return new RedisStoreConfig(mode, uris, commandTimeout, connectTimeout, topologyRefreshPeriod, capacity,
                historyRetention, tls);
    }

    public RedisStoreConfig withCommandTimeout(Duration timeout) {
        return new RedisStoreConfig(mode, uris, timeout, connectTimeout, topologyRefreshPeriod, historyCapacity,
                historyRetention, tls);
    }

    /** The URIs as Lettuce URIs, each with {@link #commandTimeout} as its default timeout. */
    List<RedisURI> redisUris() {
        return uris.stream().map(u -> {
            RedisURI uri = RedisURI.create(u);
            uri.setTimeout(commandTimeout);
            return uri;
        }).toList();
    }

    /** Whether the connections are TLS ({@code rediss://} URIs). */
    public boolean tlsOn() {
        return uris.stream().anyMatch(u -> u.startsWith("rediss://"));
    }

    /** The URIs as they may be logged: a password inside one ({@code redis://:secret@host}) is never shown. */
    public List<String> urisForLog() {
        return urisForLog(uris);
    }

    private static List<String> urisForLog(List<String> uris) {
        return uris.stream().map(RedisStoreConfig::maskCredentials).toList();
    }

    private static String maskCredentials(String uri) {
        return uri.replaceFirst("//[^@/]*@", "//[hidden]@");
    }

    @Override
    public String toString() {
        return "RedisStoreConfig[mode=" + mode + ", uris=" + urisForLog() + ", commandTimeout=" + commandTimeout
                + ", connectTimeout=" + connectTimeout + ", topologyRefreshPeriod=" + topologyRefreshPeriod
                + ", historyCapacity=" + historyCapacity + ", historyRetention=" + historyRetention + ", tls=" + tls
                + "]";
    }

    private static String normalize(String uri, int index) {
        String field = "redis.uris[" + index + "]";
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException(field + ": " + (uri == null ? "null" : "\"\"")
                    + " (expected: redis://host:port)");
        }
        String full = uri.contains("://") ? uri.strip() : "redis://" + uri.strip();
        try {
            RedisURI parsed = RedisURI.create(full);
            if (parsed.getHost() == null || parsed.getHost().isEmpty()) {
                throw new IllegalArgumentException("no host");
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": \"" + maskCredentials(uri)
                    + "\" (expected: redis://host:port, rediss://host:port or host:port)", e);
        }
        return full;
    }

    private static Duration requireBetween(Duration value, String key, Duration min, Duration max) {
        requireNonNull(value, key);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(key + ": " + value + " (expected: " + min + ".." + max + ")");
        }
        return value;
    }
}
