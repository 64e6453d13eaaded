package io.danmaku.gateway;

import static java.util.Objects.requireNonNull;

import io.danmaku.gateway.auth.PrivateRooms;
import io.danmaku.gateway.backend.BackendConfig;
import io.danmaku.gateway.pipeline.ProxyConfig;
import io.danmaku.gateway.compression.CompressionSettings;
import io.danmaku.gateway.room.BatchPolicy;
import io.danmaku.gateway.room.SamplingRules;
import io.danmaku.gateway.room.JoinLeaveRooms;
import io.danmaku.gateway.tls.GatewayTlsConfig;
import java.time.Duration;
import java.util.List;

/**
 * Settings of the access tier. Validated once here, then frozen.
 *
 * @param host address to bind ({@code 0.0.0.0} for all)
 * @param port WebSocket, demo page and (in standalone) server API port; 0 = ephemeral
 * @param ioThreads event loops; 0 = number of available processors
 * @param maxFramePayloadBytes largest client frame (and reassembled message); bigger closes with 1009
 * @param batchWindow the minimum spacing of a room's frames to a member: messages arriving within it go out
 *        together in one frame; the first message after a quiet spell goes out at once; 0 = no batching
 * @param batchMaxWindow how far the spacing may stretch for rooms whose flushes are expensive (many local
 *        members); at or below {@code batchWindow}: never stretch
 * @param batchFlushShare the share of an event loop's time one room's flushes may take before its window
 *        stretches
 * @param batchMaxMessages a batch is flushed early when it holds this many messages
 * @param ringSize recent messages kept per room for recovery
 * @param writeBufferLowBytes a stalled connection becomes writable again below this
 * @param writeBufferHighBytes a connection with more than this queued stops receiving batches (counted drops)
 * @param slowClientTimeout a connection unwritable for longer than this is closed
 * @param pingInterval server ping period; the client must answer within {@code pongTimeout}
 * @param pongTimeout time allowed for the pong after a ping
 * @param connectTimeout time allowed between the WebSocket opening and the connect command
 * @param onlineReportInterval how often local online counts are published to the hot store
 * @param maxSubscriptionsPerConnection rooms one connection may join at once
 * @param postLinger how long the posts of an event loop's connections are gathered before they go to logic as
 *        one batch; 0 = until the loop has read what is ready (no added wait)
 * @param postMaxBatch a batch of posts goes to logic at once when it holds this many
 * @param handshakeTimeout time allowed from accepting a TCP connection to its whole first HTTP request (and
 *        between requests of a kept-alive HTTP connection); a connection that has not sent one is closed. The
 *        WebSocket's own {@code connectTimeout} starts after the upgrade.
 * @param maxConnections open TCP connections this gateway accepts at once; 0 = no cap
 * @param maxConnectionsPerIp open TCP connections from one client address at once; 0 = no cap
 * @param acceptRatePerSecond new connections accepted per second, sustained; 0 = no limit
 * @param acceptBurst new connections accepted at once above the sustained rate
 * @param allowedOrigins browser origins ({@code scheme://host[:port]}) allowed to open a WebSocket besides the
 *        gateway's own host; {@code *} allows any
 * @param tls TLS on the port (certificate and key files, reloaded when they change); null = plain HTTP and
 *        {@code ws://} (the default)
 * @param closeOnTokenExpiry close a connection once its token's {@code exp} (plus the token leeway) has passed,
 *        checked at the connection's ping tick ({@code gateway.token.expiry=close}); false keeps it open
 * @param privateRooms rooms that need a subscription token to subscribe ({@code gateway.private-rooms})
 * @param presenceMaxMembers a room with more members than this on this gateway is counted in the hot store's
 *        presence, not listed ({@code presence.max-members}; the server API refuses presence above it)
 * @param proxy how the client's address is learnt behind proxies (PROXY protocol, trusted proxies' forwarding
 *        header); {@link ProxyConfig#NONE} = the TCP peer is the client
 * @param compression WebSocket {@code permessage-deflate} ({@code gateway.ws.compression.*})
 * @param sampling rooms whose fan-out is sampled down to a visible chat rate ({@code gateway.sampling.rooms});
 *        {@link SamplingRules#NONE} = every message reaches every member
 * @param backend the application backend's proxies: {@code rpc}, {@code send}, a {@code connect} without a token and
 *        {@code publish} ({@code gateway.backend.*}); {@link BackendConfig#NONE} = none
 * @param joinLeave the rooms whose members get join and leave pushes ({@code gateway.join-leave.*})
 */
public record GatewayConfig(
        String host,
        int port,
        int ioThreads,
        int maxFramePayloadBytes,
        Duration batchWindow,
        Duration batchMaxWindow,
        double batchFlushShare,
        int batchMaxMessages,
        int ringSize,
        int writeBufferLowBytes,
        int writeBufferHighBytes,
        Duration slowClientTimeout,
        Duration pingInterval,
        Duration pongTimeout,
        Duration connectTimeout,
        Duration onlineReportInterval,
        int maxSubscriptionsPerConnection,
        Duration postLinger,
        int postMaxBatch,
        Duration handshakeTimeout,
        int maxConnections,
        int maxConnectionsPerIp,
        int acceptRatePerSecond,
        int acceptBurst,
        List<String> allowedOrigins,
        GatewayTlsConfig tls,
        boolean closeOnTokenExpiry,
        PrivateRooms privateRooms,
        int presenceMaxMembers,
        ProxyConfig proxy,
        CompressionSettings compression,
        SamplingRules sampling,
        BackendConfig backend,
        JoinLeaveRooms joinLeave) {

    public static final int DEFAULT_PRESENCE_MAX_MEMBERS = 1000;
    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_IO_THREADS = 0;
    public static final int DEFAULT_MAX_FRAME_PAYLOAD_BYTES = 65536;
    public static final Duration DEFAULT_BATCH_WINDOW = Duration.ofMillis(50);
    public static final Duration DEFAULT_BATCH_MAX_WINDOW = Duration.ofMillis(150);
    public static final double DEFAULT_BATCH_FLUSH_SHARE = 0.3;
    public static final int DEFAULT_BATCH_MAX_MESSAGES = 256;
    public static final int DEFAULT_RING_SIZE = 256;
    public static final int DEFAULT_WRITE_BUFFER_LOW_BYTES = 64 * 1024;
    public static final int DEFAULT_WRITE_BUFFER_HIGH_BYTES = 256 * 1024;
    public static final Duration DEFAULT_SLOW_CLIENT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(25);
    public static final Duration DEFAULT_PONG_TIMEOUT = Duration.ofSeconds(8);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_ONLINE_REPORT_INTERVAL = Duration.ofSeconds(2);
    public static final int DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION = 32;
    public static final Duration DEFAULT_POST_LINGER = Duration.ofMillis(1);
    public static final int DEFAULT_POST_MAX_BATCH = 512;
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);
    public static final int DEFAULT_MAX_CONNECTIONS = 1_000_000;
    public static final int DEFAULT_MAX_CONNECTIONS_PER_IP = 0;
    public static final int DEFAULT_ACCEPT_RATE_PER_SECOND = 10_000;
    public static final int DEFAULT_ACCEPT_BURST = 20_000;
    public static final List<String> DEFAULT_ALLOWED_ORIGINS = List.of();

    public GatewayConfig {
        requireNonNull(host, "host");
        check(port >= 0 && port <= 65535, "gateway.port", port, "0..65535");
        check(ioThreads >= 0 && ioThreads <= 256, "gateway.io-threads", ioThreads, "0..256");
        check(maxFramePayloadBytes >= 1 && maxFramePayloadBytes <= 1 << 20, "gateway.ws.max-frame-bytes",
                maxFramePayloadBytes, "1..1048576");
        checkDuration(batchWindow, "gateway.batch.window", Duration.ZERO, Duration.ofSeconds(10));
        checkDuration(batchMaxWindow, "gateway.batch.max-window", Duration.ZERO, Duration.ofSeconds(10));
        check(batchFlushShare > 0 && batchFlushShare <= 1, "gateway.batch.flush-share", batchFlushShare,
                "more than 0 and at most 1");
        check(batchMaxMessages >= 1 && batchMaxMessages <= 10_000, "gateway.batch.max-messages", batchMaxMessages,
                "1..10000");
        check(ringSize >= 0 && ringSize <= 100_000, "gateway.ring.size", ringSize, "0..100000");
        check(writeBufferLowBytes >= 1, "gateway.write-buffer.low-bytes", writeBufferLowBytes, ">= 1");
        check(writeBufferHighBytes > writeBufferLowBytes, "gateway.write-buffer.high-bytes", writeBufferHighBytes,
                "> gateway.write-buffer.low-bytes (" + writeBufferLowBytes + ")");
        checkDuration(slowClientTimeout, "gateway.slow-client.timeout", Duration.ofMillis(100), Duration.ofMinutes(10));
        checkDuration(pingInterval, "gateway.ping.interval", Duration.ofMillis(100), Duration.ofMinutes(10));
        checkDuration(pongTimeout, "gateway.pong.timeout", Duration.ofMillis(100), Duration.ofMinutes(10));
        checkDuration(connectTimeout, "gateway.connect.timeout", Duration.ofMillis(100), Duration.ofMinutes(10));
        checkDuration(onlineReportInterval, "gateway.online.report-interval", Duration.ofMillis(10),
                Duration.ofMinutes(1));
        check(maxSubscriptionsPerConnection >= 1 && maxSubscriptionsPerConnection <= 1024,
                "gateway.max-subscriptions", maxSubscriptionsPerConnection, "1..1024");
        checkDuration(postLinger, "gateway.post.linger", Duration.ZERO, Duration.ofSeconds(1));
        check(postMaxBatch >= 1 && postMaxBatch <= 10_000, "gateway.post.max-batch", postMaxBatch, "1..10000");
        checkDuration(handshakeTimeout, "gateway.handshake.timeout", Duration.ofMillis(100), Duration.ofMinutes(5));
        check(maxConnections >= 0 && maxConnections <= 10_000_000, "gateway.connections.max", maxConnections,
                "0..10000000");
        check(maxConnectionsPerIp >= 0 && maxConnectionsPerIp <= 10_000_000, "gateway.connections.per-ip",
                maxConnectionsPerIp, "0..10000000");
        check(acceptRatePerSecond >= 0 && acceptRatePerSecond <= 1_000_000, "gateway.connections.accept-rate",
                acceptRatePerSecond, "0..1000000");
        check(acceptBurst >= 1 && acceptBurst <= 10_000_000, "gateway.connections.accept-burst", acceptBurst,
                "1..10000000");
        requireNonNull(allowedOrigins, "gateway.allowed-origins");
        allowedOrigins = List.copyOf(allowedOrigins);
        requireNonNull(privateRooms, "gateway.private-rooms");
        check(presenceMaxMembers >= 0 && presenceMaxMembers <= 100_000, "presence.max-members", presenceMaxMembers,
                "0..100000");
        requireNonNull(proxy, "proxy");
        requireNonNull(compression, "gateway.ws.compression.*");
        requireNonNull(sampling, "gateway.sampling.rooms");
        requireNonNull(backend, "gateway.backend.*");
        requireNonNull(joinLeave, "gateway.join-leave.*");
    }

    /** The fan-out engine's batching, as configured. */
    public BatchPolicy batchPolicy() {
        long window = batchWindow.toNanos();
        return new BatchPolicy(window, Math.max(window, batchMaxWindow.toNanos()),
                batchMaxMessages, batchFlushShare);
    }

    public static GatewayConfig defaults() {
        return new GatewayConfig(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_IO_THREADS, DEFAULT_MAX_FRAME_PAYLOAD_BYTES,
                DEFAULT_BATCH_WINDOW, DEFAULT_BATCH_MAX_WINDOW, DEFAULT_BATCH_FLUSH_SHARE, DEFAULT_BATCH_MAX_MESSAGES, DEFAULT_RING_SIZE, DEFAULT_WRITE_BUFFER_LOW_BYTES,
                DEFAULT_WRITE_BUFFER_HIGH_BYTES, DEFAULT_SLOW_CLIENT_TIMEOUT, DEFAULT_PING_INTERVAL,
                DEFAULT_PONG_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_ONLINE_REPORT_INTERVAL,
                DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION, DEFAULT_POST_LINGER, DEFAULT_POST_MAX_BATCH,
                DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_IP,
                DEFAULT_ACCEPT_RATE_PER_SECOND, DEFAULT_ACCEPT_BURST, DEFAULT_ALLOWED_ORIGINS, null, false,
                PrivateRooms.NONE, DEFAULT_PRESENCE_MAX_MEMBERS, ProxyConfig.NONE, CompressionSettings.DEFAULTS,
                SamplingRules.NONE, BackendConfig.NONE, JoinLeaveRooms.NONE);
    }

    /** Effective event loop count. */
    public int effectiveIoThreads() {
        return ioThreads == 0 ? Runtime.getRuntime().availableProcessors() : ioThreads;
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.host = host;
        b.port = port;
        b.ioThreads = ioThreads;
        b.maxFramePayloadBytes = maxFramePayloadBytes;
        b.batchWindow = batchWindow;
        b.batchMaxWindow = batchMaxWindow;
        b.batchFlushShare = batchFlushShare;
        b.batchMaxMessages = batchMaxMessages;
        b.ringSize = ringSize;
        b.writeBufferLowBytes = writeBufferLowBytes;
        b.writeBufferHighBytes = writeBufferHighBytes;
        b.slowClientTimeout = slowClientTimeout;
        b.pingInterval = pingInterval;
        b.pongTimeout = pongTimeout;
        b.connectTimeout = connectTimeout;
        b.onlineReportInterval = onlineReportInterval;
        b.maxSubscriptionsPerConnection = maxSubscriptionsPerConnection;
        b.postLinger = postLinger;
        b.postMaxBatch = postMaxBatch;
        b.handshakeTimeout = handshakeTimeout;
        b.maxConnections = maxConnections;
        b.maxConnectionsPerIp = maxConnectionsPerIp;
        b.acceptRatePerSecond = acceptRatePerSecond;
        b.acceptBurst = acceptBurst;
        b.allowedOrigins = allowedOrigins;
        b.tls = tls;
        b.closeOnTokenExpiry = closeOnTokenExpiry;
        b.privateRooms = privateRooms;
        b.presenceMaxMembers = presenceMaxMembers;
        b.proxy = proxy;
        b.compression = compression;
        b.sampling = sampling;
        b.backend = backend;
        b.joinLeave = joinLeave;
        return b;
    }

    public static Builder builder() {
        return defaults().toBuilder();
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private String host;
        private int port;
        private int ioThreads;
        private int maxFramePayloadBytes;
        private Duration batchWindow;
        private Duration batchMaxWindow;
        private double batchFlushShare;
        private int batchMaxMessages;
        private int ringSize;
        private int writeBufferLowBytes;
        private int writeBufferHighBytes;
        private Duration slowClientTimeout;
        private Duration pingInterval;
        private Duration pongTimeout;
        private Duration connectTimeout;
        private Duration onlineReportInterval;
        private int maxSubscriptionsPerConnection;
        private Duration postLinger;
        private int postMaxBatch;
        private Duration handshakeTimeout;
        private int maxConnections;
        private int maxConnectionsPerIp;
        private int acceptRatePerSecond;
        private int acceptBurst;
        private List<String> allowedOrigins;
        private GatewayTlsConfig tls;
        private boolean closeOnTokenExpiry;
        private PrivateRooms privateRooms;
        private int presenceMaxMembers;
        private ProxyConfig proxy;
        private CompressionSettings compression;
        private SamplingRules sampling;
        private BackendConfig backend;
        private JoinLeaveRooms joinLeave;

        public Builder host(String value) {
            this.host = value;
            return this;
        }

        public Builder port(int value) {
            this.port = value;
            return this;
        }

        public Builder ioThreads(int value) {
            this.ioThreads = value;
            return this;
        }

        public Builder maxFramePayloadBytes(int value) {
            this.maxFramePayloadBytes = value;
            return this;
        }

        public Builder batchWindow(Duration value) {
            this.batchWindow = value;
            return this;
        }

        public Builder batchMaxWindow(Duration value) {
            this.batchMaxWindow = value;
            return this;
        }

        public Builder batchFlushShare(double value) {
            this.batchFlushShare = value;
            return this;
        }

        public Builder batchMaxMessages(int value) {
            this.batchMaxMessages = value;
            return this;
        }

        public Builder ringSize(int value) {
            this.ringSize = value;
            return this;
        }

        public Builder writeBufferLowBytes(int value) {
            this.writeBufferLowBytes = value;
            return this;
        }

        public Builder writeBufferHighBytes(int value) {
            this.writeBufferHighBytes = value;
            return this;
        }

        public Builder slowClientTimeout(Duration value) {
            this.slowClientTimeout = value;
            return this;
        }

        public Builder pingInterval(Duration value) {
            this.pingInterval = value;
            return this;
        }

        public Builder pongTimeout(Duration value) {
            this.pongTimeout = value;
            return this;
        }

        public Builder connectTimeout(Duration value) {
            this.connectTimeout = value;
            return this;
        }

        public Builder onlineReportInterval(Duration value) {
            this.onlineReportInterval = value;
            return this;
        }

        public Builder maxSubscriptionsPerConnection(int value) {
            this.maxSubscriptionsPerConnection = value;
            return this;
        }

        public Builder postLinger(Duration value) {
            this.postLinger = value;
            return this;
        }

        public Builder postMaxBatch(int value) {
            this.postMaxBatch = value;
            return this;
        }

        public Builder handshakeTimeout(Duration value) {
            this.handshakeTimeout = value;
            return this;
        }

        public Builder maxConnections(int value) {
            this.maxConnections = value;
            return this;
        }

        public Builder maxConnectionsPerIp(int value) {
            this.maxConnectionsPerIp = value;
            return this;
        }

        public Builder acceptRatePerSecond(int value) {
            this.acceptRatePerSecond = value;
            return this;
        }

        public Builder acceptBurst(int value) {
            this.acceptBurst = value;
            return this;
        }

        public Builder allowedOrigins(List<String> value) {
            this.allowedOrigins = value;
            return this;
        }

        /** TLS on the port; null = none. */
        public Builder tls(GatewayTlsConfig value) {
            this.tls = value;
            return this;
        }

        /** How the client's address is learnt behind proxies. */
        public Builder proxy(ProxyConfig value) {
            this.proxy = value;
            return this;
        }

        public Builder privateRooms(PrivateRooms value) {
            this.privateRooms = value;
            return this;
        }

        public Builder presenceMaxMembers(int value) {
            this.presenceMaxMembers = value;
            return this;
        }

        public Builder compression(CompressionSettings value) {
            this.compression = value;
            return this;
        }

        public Builder sampling(SamplingRules value) {
            this.sampling = value;
            return this;
        }

        public Builder backend(BackendConfig value) {
            this.backend = value;
            return this;
        }

        public Builder joinLeave(JoinLeaveRooms value) {
            this.joinLeave = value;
            return this;
        }

        public Builder closeOnTokenExpiry(boolean value) {
            this.closeOnTokenExpiry = value;
            return this;
        }

        public GatewayConfig build() {
            return new GatewayConfig(host, port, ioThreads, maxFramePayloadBytes, batchWindow, batchMaxWindow, batchFlushShare, batchMaxMessages, ringSize, writeBufferLowBytes, writeBufferHighBytes, slowClientTimeout, pingInterval, pongTimeout, connectTimeout, onlineReportInterval, maxSubscriptionsPerConnection, postLinger, postMaxBatch, handshakeTimeout, maxConnections, maxConnectionsPerIp,
                    acceptRatePerSecond, acceptBurst, allowedOrigins, tls, closeOnTokenExpiry, privateRooms,
                    presenceMaxMembers, proxy, compression, sampling, backend, joinLeave);
        }
    }

    private static void check(boolean ok, String key, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(key + ": " + value + " (expected: " + expected + ")");
        }
    }

    private static void checkDuration(Duration d, String key, Duration min, Duration max) {
        requireNonNull(d, key);
        check(d.compareTo(min) >= 0 && d.compareTo(max) <= 0, key, d, min + ".." + max);
    }
}
