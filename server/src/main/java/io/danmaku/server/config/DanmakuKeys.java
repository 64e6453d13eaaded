package io.danmaku.server.config;

import static io.danmaku.server.config.ConfigType.BOOLEAN;
import static io.danmaku.server.config.ConfigType.DOUBLE;
import static io.danmaku.server.config.ConfigType.DURATION;
import static io.danmaku.server.config.ConfigType.INT;
import static io.danmaku.server.config.ConfigType.LONG;
import static io.danmaku.server.config.ConfigType.LIST;
import static io.danmaku.server.config.ConfigType.PASSWORD;
import static io.danmaku.server.config.ConfigType.PATH;
import static io.danmaku.server.config.ConfigType.STRING;
import static io.danmaku.server.config.Validator.aboveAndAtMost;
import static io.danmaku.server.config.Validator.between;
import static io.danmaku.server.config.Validator.nonEmpty;

import io.danmaku.gateway.pipeline.ProxyConfig;
import io.danmaku.gateway.room.SamplingRules;
import io.danmaku.server.logging.LogSettings;
import java.time.Duration;
import java.util.List;

/**
 * Every configuration key of the {@code danmaku} server, defined once: {@link #DEFINITION}. The constants are the
 * key names, for {@link Config}'s getters. {@code docs/CONFIGURATION.md} is rendered from here
 * ({@code danmaku config-docs}).
 */
public final class DanmakuKeys {
    public static final String NODE_ID = "node.id";

    public static final String LOG_FORMAT = "log.format";
    public static final String LOG_LEVEL = "log.level";

    public static final String ADMIN_HOST = "admin.host";
    public static final String ADMIN_PORT = "admin.port";
    public static final String ADMIN_TLS_CERT_FILE = "admin.tls.cert-file";
    public static final String ADMIN_TLS_KEY_FILE = "admin.tls.key-file";
    public static final String TLS_RELOAD_INTERVAL = "tls.reload-interval";

    public static final String GATEWAY_HOST = "gateway.host";
    public static final String GATEWAY_PORT = "gateway.port";
    public static final String GATEWAY_IO_THREADS = "gateway.io-threads";
    public static final String GATEWAY_WS_MAX_FRAME_BYTES = "gateway.ws.max-frame-bytes";
    public static final String GATEWAY_WS_COMPRESSION = "gateway.ws.compression.enabled";
    public static final String GATEWAY_WS_COMPRESSION_MIN_BYTES = "gateway.ws.compression.min-bytes";
    public static final String GATEWAY_WS_COMPRESSION_LEVEL = "gateway.ws.compression.level";
    public static final String GATEWAY_WS_COMPRESSION_CPU_SHARE = "gateway.ws.compression.cpu-share";
    public static final String GATEWAY_BATCH_WINDOW = "gateway.batch.window";
    public static final String GATEWAY_BATCH_MAX_WINDOW = "gateway.batch.max-window";
    public static final String GATEWAY_BATCH_FLUSH_SHARE = "gateway.batch.flush-share";
    public static final String GATEWAY_BATCH_MAX_MESSAGES = "gateway.batch.max-messages";
    public static final String GATEWAY_RING_SIZE = "gateway.ring.size";
    public static final String GATEWAY_WRITE_BUFFER_LOW_BYTES = "gateway.write-buffer.low-bytes";
    public static final String GATEWAY_WRITE_BUFFER_HIGH_BYTES = "gateway.write-buffer.high-bytes";
    public static final String GATEWAY_SLOW_CLIENT_TIMEOUT = "gateway.slow-client.timeout";
    public static final String GATEWAY_PING_INTERVAL = "gateway.ping.interval";
    public static final String GATEWAY_PONG_TIMEOUT = "gateway.pong.timeout";
    public static final String GATEWAY_CONNECT_TIMEOUT = "gateway.connect.timeout";
    public static final String GATEWAY_ONLINE_REPORT_INTERVAL = "gateway.online.report-interval";
    public static final String GATEWAY_DRAIN_WINDOW = "gateway.drain.window";
    public static final String GATEWAY_MAX_SUBSCRIPTIONS = "gateway.max-subscriptions";
    public static final String GATEWAY_POST_LINGER = "gateway.post.linger";
    public static final String GATEWAY_POST_MAX_BATCH = "gateway.post.max-batch";
    public static final String GATEWAY_HANDSHAKE_TIMEOUT = "gateway.handshake.timeout";
    public static final String GATEWAY_CONNECTIONS_MAX = "gateway.connections.max";
    public static final String GATEWAY_CONNECTIONS_PER_IP = "gateway.connections.per-ip";
    public static final String GATEWAY_CONNECTIONS_ACCEPT_RATE = "gateway.connections.accept-rate";
    public static final String GATEWAY_CONNECTIONS_ACCEPT_BURST = "gateway.connections.accept-burst";
    public static final String GATEWAY_ALLOWED_ORIGINS = "gateway.allowed-origins";
    public static final String GATEWAY_PROXY_PROTOCOL = "gateway.proxy-protocol";
    public static final String GATEWAY_TRUSTED_PROXIES = "gateway.trusted-proxies";
    public static final String GATEWAY_FORWARDED_HEADER = "gateway.forwarded-header";
    public static final String GATEWAY_TLS_CERT_FILE = "gateway.tls.cert-file";
    public static final String GATEWAY_TLS_KEY_FILE = "gateway.tls.key-file";
    public static final String GATEWAY_TLS_RELOAD_INTERVAL = "gateway.tls.reload-interval";
    public static final String GATEWAY_TOKEN_EXPIRY = "gateway.token.expiry";
    public static final String GATEWAY_PRIVATE_ROOMS = "gateway.private-rooms";
    public static final String GATEWAY_SAMPLING_ROOMS = "gateway.sampling.rooms";
    public static final String GATEWAY_JOIN_LEAVE_ROOMS = "gateway.join-leave.rooms";
    public static final String GATEWAY_JOIN_LEAVE_MAX_MEMBERS = "gateway.join-leave.max-members";
    public static final String GATEWAY_BACKEND_RPC_URL = "gateway.backend.rpc-url";
    public static final String GATEWAY_BACKEND_SEND_URL = "gateway.backend.send-url";
    public static final String GATEWAY_BACKEND_TIMEOUT = "gateway.backend.timeout";
    public static final String GATEWAY_BACKEND_MAX_IN_FLIGHT = "gateway.backend.max-in-flight";
    public static final String GATEWAY_BACKEND_CONNECT_URL = "gateway.backend.connect-url";
    public static final String GATEWAY_BACKEND_CONNECT_HEADERS = "gateway.backend.connect-headers";
    public static final String GATEWAY_BACKEND_PUBLISH_URL = "gateway.backend.publish-url";
    public static final String GATEWAY_BACKEND_MAX_RESPONSE_BYTES = "gateway.backend.max-response-bytes";

    public static final String TOKEN_HMAC_SECRET = "token.hmac.secret";
    public static final String TOKEN_RSA_PUBLIC_KEY_FILE = "token.rsa.public-key-file";
    public static final String TOKEN_EC_PUBLIC_KEY_FILE = "token.ec.public-key-file";
    public static final String TOKEN_JWKS_URL = "token.jwks-url";
    public static final String TOKEN_JWKS_REFRESH_INTERVAL = "token.jwks.refresh-interval";
    public static final String TOKEN_JWKS_MIN_REFETCH_INTERVAL = "token.jwks.min-refetch-interval";
    public static final String TOKEN_LEEWAY = "token.leeway";
    public static final String TOKEN_AUDIENCE = "token.audience";
    public static final String TOKEN_ISSUER = "token.issuer";
    public static final String ALLOW_ANONYMOUS = "allow.anonymous";
    public static final String PRESENCE_MAX_MEMBERS = "presence.max-members";
    public static final String DEMO_TOKENS = "demo.tokens";
    public static final String API_KEY = "api.key";

    public static final String LOGIC_TEXT_MAX_CODE_POINTS = "logic.text.max-code-points";
    public static final String LOGIC_RATE_USER_BURST = "logic.rate.user.burst";
    public static final String LOGIC_RATE_USER_PER_SECOND = "logic.rate.user.per-second";
    public static final String LOGIC_RATE_ROOM_BURST = "logic.rate.room.burst";
    public static final String LOGIC_RATE_ROOM_PER_SECOND = "logic.rate.room.per-second";
    public static final String LOGIC_BLOCKED_WORDS = "logic.blocked-words";
    public static final String LOGIC_BLOCKED_WORDS_FILE = "logic.blocked-words.file";
    public static final String LOGIC_BLOCKED_WORDS_RELOAD = "logic.blocked-words.reload";
    public static final String LOGIC_DEDUPE_TTL = "logic.dedupe.ttl";
    public static final String LOGIC_RESTRICTION_CACHE_TTL = "logic.restriction.cache-ttl";
    public static final String LOGIC_PUBLISH_TIMEOUT = "logic.publish.timeout";
    public static final String LOGIC_RATE_ROOM_LEASE_PERIOD = "logic.rate.room.lease-period";
    public static final String LOGIC_MAX_POSTS_IN_FLIGHT = "logic.max-posts-in-flight";
    public static final String LOGIC_IDEMPOTENCY_TTL = "logic.idempotency.ttl";

    public static final String STORAGE_GROUP = "storage.group";
    public static final String STORE_MEMORY_HISTORY_PER_ROOM = "store.memory.history-per-room";
    public static final String BUS_MEMORY_QUEUE_CAPACITY = "bus.memory.queue-capacity";

    public static final String BUS_TYPE = "bus.type";
    public static final String BUS_KAFKA_BOOTSTRAP_SERVERS = "bus.kafka.bootstrap-servers";
    public static final String BUS_KAFKA_TOPIC = "bus.kafka.topic";
    public static final String BUS_KAFKA_PARTITIONS = "bus.kafka.partitions";
    public static final String BUS_KAFKA_REPLICATION_FACTOR = "bus.kafka.replication-factor";
    public static final String BUS_KAFKA_CONNECT_WAIT = "bus.kafka.connect-wait";
    public static final String BUS_KAFKA_PRODUCER = "bus.kafka.producer.";
    public static final String BUS_KAFKA_CONSUMER = "bus.kafka.consumer.";
    public static final String BUS_KAFKA_ADMIN = "bus.kafka.admin.";
    public static final String BUS_KAFKA_TLS_ENABLED = "bus.kafka.tls.enabled";
    public static final String BUS_KAFKA_TLS_CA_FILE = "bus.kafka.tls.ca-file";
    public static final String BUS_KAFKA_TLS_CERT_FILE = "bus.kafka.tls.cert-file";
    public static final String BUS_KAFKA_TLS_KEY_FILE = "bus.kafka.tls.key-file";

    public static final String STORE_TYPE = "store.type";
    public static final String STORE_REDIS_MODE = "store.redis.mode";
    public static final String STORE_REDIS_URIS = "store.redis.uris";
    public static final String STORE_REDIS_COMMAND_TIMEOUT = "store.redis.command-timeout";
    public static final String STORE_REDIS_CONNECT_WAIT = "store.redis.connect-wait";
    public static final String STORE_REDIS_HISTORY_PER_ROOM = "store.redis.history-per-room";
    public static final String STORE_REDIS_HISTORY_RETENTION = "store.redis.history-retention";
    public static final String STORE_REDIS_TLS_CA_FILE = "store.redis.tls.ca-file";
    public static final String STORE_REDIS_TLS_CERT_FILE = "store.redis.tls.cert-file";
    public static final String STORE_REDIS_TLS_KEY_FILE = "store.redis.tls.key-file";

    public static final String GATEWAY_LOGIC_TARGET = "gateway.logic.target";
    public static final String GATEWAY_LOGIC_DEADLINE = "gateway.logic.deadline";
    public static final String GATEWAY_LOGIC_DNS_REFRESH_INTERVAL = "gateway.logic.dns.refresh-interval";
    public static final String LOGIC_GRPC_HOST = "logic.grpc.host";
    public static final String LOGIC_GRPC_PORT = "logic.grpc.port";
    public static final String LOGIC_GRPC_TLS_CERT_FILE = "logic.grpc.tls.cert-file";
    public static final String LOGIC_GRPC_TLS_KEY_FILE = "logic.grpc.tls.key-file";
    public static final String LOGIC_GRPC_TLS_CLIENT_CA_FILE = "logic.grpc.tls.client-ca-file";
    public static final String GATEWAY_LOGIC_TLS_ENABLED = "gateway.logic.tls.enabled";
    public static final String GATEWAY_LOGIC_TLS_CA_FILE = "gateway.logic.tls.ca-file";
    public static final String GATEWAY_LOGIC_TLS_CERT_FILE = "gateway.logic.tls.cert-file";
    public static final String GATEWAY_LOGIC_TLS_KEY_FILE = "gateway.logic.tls.key-file";
    public static final String LOGIC_HTTP_HOST = "logic.http.host";
    public static final String LOGIC_HTTP_PORT = "logic.http.port";
    public static final String LOGIC_HTTP_TLS_CERT_FILE = "logic.http.tls.cert-file";
    public static final String LOGIC_HTTP_TLS_KEY_FILE = "logic.http.tls.key-file";
    public static final String STORAGE_HTTP_HOST = "storage.http.host";
    public static final String STORAGE_HTTP_PORT = "storage.http.port";
    public static final String STORAGE_HTTP_TLS_CERT_FILE = "storage.http.tls.cert-file";
    public static final String STORAGE_HTTP_TLS_KEY_FILE = "storage.http.tls.key-file";
    public static final String STORAGE_ARCHIVE_DIR = "storage.archive.dir";
    public static final String STORAGE_ARCHIVE_SEGMENT_MAX_BYTES = "storage.archive.segment-max-bytes";
    public static final String STORAGE_ARCHIVE_SEGMENT_MAX_AGE = "storage.archive.segment-max-age";
    public static final String STORAGE_ARCHIVE_RETENTION = "storage.archive.retention";
    public static final String STORAGE_ARCHIVE_TYPE = "storage.archive.type";
    public static final String STORAGE_ARCHIVE_S3_ENDPOINT = "storage.archive.s3.endpoint";
    public static final String STORAGE_ARCHIVE_S3_BUCKET = "storage.archive.s3.bucket";
    public static final String STORAGE_ARCHIVE_S3_PREFIX = "storage.archive.s3.prefix";
    public static final String STORAGE_ARCHIVE_S3_REGION = "storage.archive.s3.region";
    public static final String STORAGE_ARCHIVE_S3_ACCESS_KEY = "storage.archive.s3.access-key";
    public static final String STORAGE_ARCHIVE_S3_SECRET_KEY = "storage.archive.s3.secret-key";
    public static final String STORAGE_ARCHIVE_S3_PATH_STYLE = "storage.archive.s3.path-style";
    public static final String STORAGE_ARCHIVE_S3_REFRESH_INTERVAL = "storage.archive.s3.refresh-interval";

    private static final Validator PORT = between(0, 65535);
    private static final Validator BUFFER_BYTES = between(1, 64 * 1024 * 1024);

    /** The definition of every key above. */
    public static final ConfigDef DEFINITION = ConfigDef.builder()
            .define(NODE_ID, STRING, null,
                    Validator.pattern("[A-Za-z0-9_.:-]{1,64}", "1..64 of A-Z a-z 0-9 _ . : -"),
                    "This node's name in metrics, logs and online counts; unset = host name and process id.")

            .define(LOG_FORMAT, STRING, "text", Validator.oneOf("text", "json"),
                    "Log lines on standard output: text (one readable line per event) or json (one JSON object per "
                    + "line: timestamp, level, logger, thread, message, trace_id, exception, role), for a log "
                    + "collector; the Helm chart sets json.")
            .define(LOG_LEVEL, STRING, LogSettings.DEFAULT_LEVEL,
                    Validator.of(value -> LogSettings.validLevels((String) value), LogSettings.LEVEL_EXPECTED),
                    "Log levels: a level for everything, then logger=level entries for parts (a package or a class). "
                    + "Refused posts are DEBUG lines of io.danmaku.logic.LogicService and of the gateway's "
                    + "io.danmaku.gateway.protocol.centrifuge.CentrifugeHandler, each post's way through the tiers is "
                    + "TRACE (gateway, storage); every line about a post carries its trace_id.")

            .define(ADMIN_HOST, STRING, "0.0.0.0", nonEmpty(),
                    "Address the admin HTTP server (/metrics, /healthz, /readyz) binds to.")
            .define(ADMIN_PORT, INT, 9100, PORT,
                    "Port of the admin HTTP server; 0 = any free port.")
            .define(ADMIN_TLS_CERT_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the admin port's TLS certificate, then any intermediates; set (with "
                    + "admin.tls.key-file) = /metrics, /healthz and /readyz over HTTPS only (probes and scrapers "
                    + "must use https); unset = plain HTTP. Reloaded every tls.reload-interval.")
            .define(ADMIN_TLS_KEY_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the private key of admin.tls.cert-file, unencrypted PKCS#8 (BEGIN PRIVATE KEY).")
            .define(TLS_RELOAD_INTERVAL, DURATION, Duration.ofSeconds(10),
                    between(Duration.ZERO, Duration.ofHours(1)),
                    "How often the certificate and key files of the admin port, logic's HTTP and gRPC ports and "
                    + "storage's HTTP port are read again; a changed, matching pair serves new connections from "
                    + "then on, open connections keep theirs; 0 = never (the gateway port has "
                    + "gateway.tls.reload-interval).")

            .define(GATEWAY_HOST, STRING, "0.0.0.0", nonEmpty(),
                    "Address the WebSocket gateway (and demo page) binds to.")
            .define(GATEWAY_PORT, INT, 8080, PORT,
                    "Port of the WebSocket gateway; 0 = any free port.")
            .define(GATEWAY_IO_THREADS, INT, 0, between(0, 256),
                    "Netty event loop threads of the gateway; 0 = one per available core.")
            .define(GATEWAY_WS_MAX_FRAME_BYTES, INT, 65536, between(1, 1_048_576),
                    "Largest WebSocket frame payload accepted from a client, in bytes.")
            .define(GATEWAY_WS_COMPRESSION, BOOLEAN, true,
                    "WebSocket permessage-deflate (RFC 7692) for clients that offer it, with no context takeover"
                            + " either way: each room batch frame is deflated once per event loop and the same bytes"
                            + " go to every such member; compressed client messages are inflated (bounded by"
                            + " gateway.ws.max-frame-bytes). false = the offer is ignored, frames go out plain.")
            .define(GATEWAY_WS_COMPRESSION_MIN_BYTES, INT, 128, between(0, 1_048_576),
                    "Room batch frames with a smaller payload go out plain to permessage-deflate members (deflating"
                            + " a few dozen bytes saves nothing).")
            .define(GATEWAY_WS_COMPRESSION_LEVEL, INT, 1, between(1, 9),
                    "zlib level of the shared batch frames: 1 fastest .. 9 smallest. 1 by default: on danmaku batches level 6"
                            + " saves about 4 % more bytes for about 3 times the time.")
            .define(GATEWAY_WS_COMPRESSION_CPU_SHARE, DOUBLE, 0.25, aboveAndAtMost(0.0, 1.0),
                    "Share of an event loop's time that deflating batch frames may take; beyond it batches go out"
                            + " plain until the budget refills (counted as"
                            + " danmaku.gateway.compression.skipped{reason=budget}).")
            .define(GATEWAY_BATCH_WINDOW, DURATION, Duration.ofMillis(50), between(Duration.ZERO, Duration.ofSeconds(10)),
                    "Minimum spacing of a room's frames to a member: messages arriving within it go out together in"
                            + " one frame; the first message after a quiet spell goes out at once. 0 = send each at"
                            + " once.")
            .define(GATEWAY_BATCH_MAX_WINDOW, DURATION, Duration.ofMillis(150),
                    between(Duration.ZERO, Duration.ofSeconds(10)),
                    "How far a room's frame spacing may stretch when writing a batch to its members takes long (big"
                            + " rooms); at or below gateway.batch.window = never stretch.")
            .define(GATEWAY_BATCH_FLUSH_SHARE, DOUBLE, 0.3, aboveAndAtMost(0.0, 1.0),
                    "Share of an event loop's time one room's batch writes may take before the room's spacing"
                            + " stretches (towards gateway.batch.max-window).")
            .define(GATEWAY_BATCH_MAX_MESSAGES, INT, 256, between(1, 10_000),
                    "A room's batch is sent early once it holds this many messages.")
            .define(GATEWAY_RING_SIZE, INT, 256, between(0, 100_000),
                    "Recent messages kept per room in gateway memory, for reconnect recovery and for catching up a"
                            + " connection that skipped batches while not writable (one that missed more is told:"
                            + " Centrifugo 2500, Bilibili close 4005); 0 = none.")
            .define(GATEWAY_WRITE_BUFFER_LOW_BYTES, INT, 65536, BUFFER_BYTES,
                    "A connection becomes writable again when its outbound buffer drops below this many bytes.")
            .define(GATEWAY_WRITE_BUFFER_HIGH_BYTES, INT, 262_144, BUFFER_BYTES,
                    "A connection stops receiving batches while its outbound buffer is above this many bytes.")
            .define(GATEWAY_SLOW_CLIENT_TIMEOUT, DURATION, Duration.ofSeconds(10),
                    between(Duration.ofMillis(100), Duration.ofMinutes(10)),
                    "A connection that stays unwritable this long is closed.")
            .define(GATEWAY_PING_INTERVAL, DURATION, Duration.ofSeconds(25),
                    between(Duration.ofSeconds(1), Duration.ofMinutes(10)),
                    "How often the server pings each connection.")
            .define(GATEWAY_PONG_TIMEOUT, DURATION, Duration.ofSeconds(8),
                    between(Duration.ofSeconds(1), Duration.ofMinutes(10)),
                    "A connection that does not answer a ping within this time is closed.")
            .define(GATEWAY_CONNECT_TIMEOUT, DURATION, Duration.ofSeconds(10),
                    between(Duration.ofMillis(100), Duration.ofMinutes(5)),
                    "Time allowed between opening the WebSocket and the connect (or auth) command.")
            .define(GATEWAY_ONLINE_REPORT_INTERVAL, DURATION, Duration.ofSeconds(2),
                    between(Duration.ofMillis(100), Duration.ofMinutes(1)),
                    "How often the gateway publishes its per-room online counts (and, when they changed, its "
                    + "presence); every node reports itself to the hot store (the server API's info) at this interval.")
            .define(GATEWAY_DRAIN_WINDOW, DURATION, Duration.ofSeconds(10),
                    between(Duration.ZERO, Duration.ofMinutes(5)),
                    "On shutdown, connections are closed spread over this window so clients reconnect gradually.")

            .define(GATEWAY_MAX_SUBSCRIPTIONS, INT, 32, between(1, 1024),
                    "Rooms one connection may be subscribed to at the same time.")
            .define(GATEWAY_POST_LINGER, DURATION, Duration.ofMillis(1),
                    between(Duration.ZERO, Duration.ofSeconds(1)),
                    "How long the posts of an event loop's connections are gathered before they go to logic as one "
                    + "batch; 0 = only what the loop read at once.")
            .define(GATEWAY_POST_MAX_BATCH, INT, 512, between(1, 10_000),
                    "A batch of posts goes to logic at once when it holds this many.")
            .define(GATEWAY_HANDSHAKE_TIMEOUT, DURATION, Duration.ofSeconds(5),
                    between(Duration.ofMillis(100), Duration.ofMinutes(5)),
                    "Time a new TCP connection has to send its whole first HTTP request (request line, headers, "
                    + "body), and a kept-alive HTTP connection its next one; then it is closed (slowloris, idle "
                    + "sockets). gateway.connect.timeout starts after the WebSocket upgrade.")
            .define(GATEWAY_CONNECTIONS_MAX, INT, 1_000_000, between(0, 10_000_000),
                    "Open TCP connections the gateway accepts at once; more are answered HTTP 503 and closed; "
                    + "0 = no cap.")
            .define(GATEWAY_CONNECTIONS_PER_IP, INT, 0, between(0, 10_000_000),
                    "Open TCP connections from one client address at once; more are answered HTTP 429 and closed; "
                    + "0 = no cap (the default: many viewers may share one address behind a NAT or a proxy).")
            .define(GATEWAY_CONNECTIONS_ACCEPT_RATE, INT, 10_000, between(0, 1_000_000),
                    "New connections accepted per second, sustained, above the burst; more are answered HTTP 503 "
                    + "and closed; 0 = no limit.")
            .define(GATEWAY_CONNECTIONS_ACCEPT_BURST, INT, 20_000, between(1, 10_000_000),
                    "New connections accepted at once before gateway.connections.accept-rate applies.")
            .define(GATEWAY_ALLOWED_ORIGINS, LIST, List.of(),
                    "Browser origins (scheme://host[:port]) allowed to open a WebSocket besides pages of the "
                    + "gateway's own host name; * = any. A handshake without Origin (not a browser) always passes; "
                    + "any other origin is answered HTTP 403.")
            .define(GATEWAY_PROXY_PROTOCOL, BOOLEAN, false,
                    "Every connection on the gateway port starts with a PROXY protocol header (v1 or v2, as HAProxy, "
                    + "AWS NLB or Envoy send it) whose source address is the client's, used by the per-address cap "
                    + "and logs; a connection without a valid header is closed. With gateway.trusted-proxies set, "
                    + "only connections from those addresses are accepted. Turn on only behind such a proxy.")
            .define(GATEWAY_TRUSTED_PROXIES, LIST, List.of(),
                    Validator.of(value -> ((List<?>) value).stream().allMatch(DanmakuKeys::cidr),
                            "IP addresses or CIDR ranges (10.0.0.0/8, 2001:db8::/32)"),
                    "Proxies (IP addresses or CIDR ranges) whose forwarding header (gateway.forwarded-header) names "
                    + "the client: the right-most address in it that is not a trusted proxy is the client's. The "
                    + "header is ignored from anyone else. Empty = the peer (or the PROXY header's source) is the "
                    + "client.")
            .define(GATEWAY_FORWARDED_HEADER, STRING, "x-forwarded-for",
                    Validator.oneOf("x-forwarded-for", "forwarded"),
                    "The header trusted proxies put the client's address in: x-forwarded-for, or forwarded "
                    + "(RFC 7239, its for= parameters); the other one is never read.")
            .define(GATEWAY_TLS_CERT_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the gateway's TLS certificate, then any intermediates; set (with "
                    + "gateway.tls.key-file) = the port speaks TLS only (wss://, https://); unset = plain ws://.")
            .define(GATEWAY_TLS_KEY_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the private key of gateway.tls.cert-file, unencrypted PKCS#8 (BEGIN PRIVATE KEY).")
            .define(GATEWAY_TLS_RELOAD_INTERVAL, DURATION, Duration.ofSeconds(10),
                    between(Duration.ZERO, Duration.ofHours(1)),
                    "How often the certificate and key files are read again; a changed, matching pair serves new "
                    + "connections from then on, open connections keep theirs; 0 = never.")
            .define(GATEWAY_TOKEN_EXPIRY, STRING, "ignore", Validator.oneOf("ignore", "close"),
                    "What happens to a connection when its token's exp (plus token.leeway) passes: ignore = it stays "
                    + "open (expiry is checked at connect and refresh only); close = it is closed at its next ping "
                    + "tick (within gateway.ping.interval) with 3005 (Centrifugo protocol; the SDK gets a new token "
                    + "and reconnects) or 4004 (Bilibili).")
            .define(GATEWAY_PRIVATE_ROOMS, LIST, List.of(),
                    Validator.of(value -> ((List<?>) value).stream()
                            .allMatch(p -> p.toString().matches("[A-Za-z0-9_.:*-]{1,64}")),
                            "room id patterns: 1..64 of A-Z a-z 0-9 _ . : - and *"),
                    "Private rooms, as room id patterns where * stands for any run of characters (private.*, "
                    + "*.staff). Subscribing needs a Centrifugo subscription token in subscribe.token (JWT with sub = "
                    + "the connection's user, channel = the room, exp; verified like connection tokens), else error "
                    + "103 (109 when it expired); Bilibili auth into one is refused (-101). Posting, history and "
                    + "presence_stats on a connection need a subscription or a token whose rooms claim lists the room; "
                    + "the history API needs the API key or such a token. Read by gateways and storage.")
            .define(GATEWAY_SAMPLING_ROOMS, LIST, List.of(),
                    Validator.of(DanmakuKeys::samplingRules, "entries pattern=rate: a room id pattern (* for any run "
                            + "of characters) and a visible chat rate of 1..100000 messages per second"),
                    "Hot rooms whose fan-out is sampled, as pattern=rate entries (live.*=200, big-show=50): above "
                    + "rate chat messages per second (of message time), the ordinary chat of a matching room reaches "
                    + "members as a sample, fair per author (one author's share of the rate at most), the same sample "
                    + "for every member of the gateway. Priority messages are never sampled out: events (gifts, "
                    + "notices: a cmd), messages without a user (system) and server API publishes with priority: "
                    + "true. A user always gets their own posts. Every message is still stored, in history and "
                    + "recovery. The first matching pattern gives the rate; empty (the default) = no room is "
                    + "sampled.")
            .define(GATEWAY_JOIN_LEAVE_ROOMS, LIST, List.of(),
                    Validator.of(value -> ((List<?>) value).stream()
                            .allMatch(p -> p.toString().matches("[A-Za-z0-9_.:*-]{1,64}")),
                            "room id patterns: 1..64 of A-Z a-z 0-9 _ . : - and *"),
                    "Rooms whose members may get join and leave pushes (Centrifugo protocol, a subscribe with "
                    + "join_leave: true), as room id patterns where * stands for any run of characters (team.*, "
                    + "support-*). Empty = no room has them (the default). A room with more connections than "
                    + "gateway.join-leave.max-members emits none. Every gateway must have the same setting.")
            .define(GATEWAY_JOIN_LEAVE_MAX_MEMBERS, INT, 1000, between(1, 100_000),
                    "A room of gateway.join-leave.rooms with more connections than this (over all gateways: the hot "
                    + "store's online count, read at each join and leave) emits no join or leave pushes until it is "
                    + "this small again, so a big room never floods its members and the gateways with them.")
            .define(GATEWAY_BACKEND_RPC_URL, STRING, null,
                    Validator.pattern("(?i)https?://\\S+", "an http:// or https:// URL"),
                    "The application backend's endpoint for the Centrifugo protocol's rpc command: each rpc is "
                    + "POSTed there as {client, transport, protocol, encoding, user, method, data} and its answer "
                    + "({result: {data}}, {error: {code, message}} or {disconnect: {code, reason}}) relayed, as "
                    + "Centrifugo's RPC proxy does. Unset = rpc answers error 104 (method not found).")
            .define(GATEWAY_BACKEND_SEND_URL, STRING, null,
                    Validator.pattern("(?i)https?://\\S+", "an http:// or https:// URL"),
                    "The application backend's endpoint for the Centrifugo protocol's send command (no reply to the "
                    + "client): each send is POSTed there as {client, transport, protocol, encoding, user, data}, the "
                    + "answer ignored. Unset = sends are dropped (counted).")
            .define(GATEWAY_BACKEND_CONNECT_URL, STRING, null,
                    Validator.pattern("(?i)https?://\\S+", "an http:// or https:// URL"),
                    "The application backend's endpoint for Centrifugo protocol connects without a token (WebSocket "
                    + "and the unidirectional transports), as Centrifugo's connect proxy: each is POSTed there as "
                    + "{client, transport, protocol, encoding, name, version, data} and the answer ({result: {user, "
                    + "expire_at, info, data, channels}}, {error: {code, message}} or {disconnect: {code, reason}}) "
                    + "authenticates the connection, refuses it, or closes it. A connect with a token is still "
                    + "verified as a JWT. Unset = a connect without a token is anonymous (when allow.anonymous).")
            .define(GATEWAY_BACKEND_CONNECT_HEADERS, LIST, List.of(),
                    Validator.of(value -> ((List<?>) value).stream()
                            .allMatch(h -> h.toString().matches("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")),
                            "HTTP header names"),
                    "Headers of the client's HTTP request (the WebSocket upgrade, or the unidirectional connect "
                    + "request) copied onto the connect proxy's request, e.g. Cookie, Authorization, User-Agent, "
                    + "X-Forwarded-For. Empty (the default) = none. Connection, Host, Content-Length, Content-Type and "
                    + "the other headers of the request itself cannot be named.")
            .define(GATEWAY_BACKEND_PUBLISH_URL, STRING, null,
                    Validator.pattern("(?i)https?://\\S+", "an http:// or https:// URL"),
                    "The application backend's endpoint for the Centrifugo protocol's publish command, as "
                    + "Centrifugo's publish proxy: after the gateway's own checks each publish is POSTed there as "
                    + "{client, transport, protocol, encoding, user, channel, data}; {result: {}} lets the post go on "
                    + "to logic ({result: {data}} replaces its data), {error: {code, message}} refuses it, "
                    + "{disconnect: {code, reason}} closes the connection. A connection's posts keep their order. "
                    + "The server API's publish is not proxied. Unset = posts go to logic directly.")
            .define(GATEWAY_BACKEND_TIMEOUT, DURATION, Duration.ofSeconds(1),
                    between(Duration.ofMillis(10), Duration.ofMinutes(1)),
                    "A call (rpc, connect, publish) the backend has not answered within this gets error 100 "
                    + "(internal, temporary); a send is abandoned.")
            .define(GATEWAY_BACKEND_MAX_IN_FLIGHT, INT, 8, between(1, 1024),
                    "Backend calls (rpc, send, connect and publish together) one connection may have waiting at "
                    + "once; beyond it an rpc or a publish gets error 111 (too many requests) and a send is dropped "
                    + "(counted). A publish counts until it is handed on in order.")
            .define(GATEWAY_BACKEND_MAX_RESPONSE_BYTES, INT, 65536, between(1024, 16 * 1024 * 1024),
                    "The largest answer body the gateway reads from the backend (rpc, connect, publish); a larger "
                    + "one is a failure (error 100, counted as too_large) and is read no further.")

            .define(TOKEN_HMAC_SECRET, PASSWORD, null, Validator.minBytes(32),
                    "HMAC secret for HS256, HS384 and HS512 connection tokens; unset = those tokens are refused.")
            .define(TOKEN_RSA_PUBLIC_KEY_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the RSA public key for RS256 connection tokens; unset = RS256 tokens are refused.")
            .define(TOKEN_EC_PUBLIC_KEY_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the EC (P-256) public key for ES256 connection tokens; unset = ES256 tokens are "
                    + "refused.")
            .define(TOKEN_JWKS_URL, STRING, null, Validator.pattern("(?i)https?://\\S+", "an http:// or https:// URL"),
                    "JWKS URL serving the keys of RS256 and ES256 tokens (RSA and EC P-256 JWKs with a kid; the token's "
                    + "kid picks the key); fetched at start, every token.jwks.refresh-interval and when a token names "
                    + "an unknown kid. Unset = no key set. Exclusive with token.rsa.public-key-file and "
                    + "token.ec.public-key-file.")
            .define(TOKEN_JWKS_REFRESH_INTERVAL, DURATION, Duration.ofMinutes(5),
                    between(Duration.ZERO, Duration.ofDays(1)),
                    "How often the key set of token.jwks-url is fetched again (a key withdrawn there is refused "
                    + "after the next fetch); 0 = only at start and on an unknown kid.")
            .define(TOKEN_JWKS_MIN_REFETCH_INTERVAL, DURATION, Duration.ofSeconds(10),
                    between(Duration.ZERO, Duration.ofHours(1)),
                    "Least time between two fetches of token.jwks-url asked for by tokens naming an unknown kid, so "
                    + "forged kids cannot flood the key server; such a token gets error 109 (retry) meanwhile.")
            .define(TOKEN_LEEWAY, DURATION, Duration.ofSeconds(30), between(Duration.ZERO, Duration.ofMinutes(10)),
                    "Clock skew accepted on a token's exp, nbf and iat (whole seconds), so a client clock a little "
                    + "fast or slow does not lock its user out.")
            .define(TOKEN_AUDIENCE, STRING, null, nonEmpty(),
                    "When set, a token's aud must contain this value; unset = aud is not checked.")
            .define(TOKEN_ISSUER, STRING, null, nonEmpty(),
                    "When set, a token's iss must be this value; unset = iss is not checked.")
            .define(ALLOW_ANONYMOUS, BOOLEAN, true,
                    "Whether connections without a token may join rooms read-only.")
            .define(DEMO_TOKENS, BOOLEAN, false,
                    "Serve /demo/token, which signs a token for any user name. Development only.")
            .define(PRESENCE_MAX_MEMBERS, INT, 1000, between(0, 100_000),
                    "Rooms with at most this many connections have a member list (the server API's presence); a "
                    + "gateway lists its members of such rooms in the hot store, and presence answers error 108 for "
                    + "bigger rooms (presence_stats counts any room). Read by gateways and logic: set it the same on "
                    + "both. 0 = no member lists.")
            .define(API_KEY, PASSWORD, null, nonEmpty(),
                    "Key backends send to the server HTTP API; unset = the API is disabled.")

            .define(LOGIC_TEXT_MAX_CODE_POINTS, INT, 100, between(1, 1000),
                    "Longest message text accepted, in Unicode code points.")
            .define(LOGIC_RATE_USER_BURST, INT, 5, between(1, 10_000),
                    "Messages a user may post in a burst.")
            .define(LOGIC_RATE_USER_PER_SECOND, DOUBLE, 1.0, aboveAndAtMost(0.0, 100_000.0),
                    "Sustained messages per second a user may post.")
            .define(LOGIC_RATE_ROOM_BURST, INT, 500, between(1, 1_000_000),
                    "Messages a room accepts in a burst, from all users together.")
            .define(LOGIC_RATE_ROOM_PER_SECOND, DOUBLE, 200.0, aboveAndAtMost(0.0, 1_000_000.0),
                    "Sustained messages per second a room accepts, from all users together.")
            .define(LOGIC_BLOCKED_WORDS, LIST, List.of(),
                    "Words that get a message rejected.")
            .define(LOGIC_BLOCKED_WORDS_FILE, PATH, null, Validator.readableFile(),
                    "File of blocked words, one per line, added to logic.blocked-words.")
            .define(LOGIC_BLOCKED_WORDS_RELOAD, DURATION, Duration.ofSeconds(10),
                    between(Duration.ZERO, Duration.ofHours(1)),
                    "How often the blocked-words file is checked for changes; 0 = never.")
            .define(LOGIC_DEDUPE_TTL, DURATION, Duration.ofMinutes(5),
                    between(Duration.ofSeconds(1), Duration.ofDays(1)),
                    "How long a client message id is remembered to drop a resent message.")
            .define(LOGIC_RESTRICTION_CACHE_TTL, DURATION, Duration.ofSeconds(30),
                    between(Duration.ZERO, Duration.ofMinutes(10)),
                    "How long ban and mute answers are cached at most; changes reach every logic instance at once "
                    + "through the hot store's change feed, this bounds how late a ban or mute that expires by "
                    + "itself is lifted; 0 = not cached.")
            .define(LOGIC_PUBLISH_TIMEOUT, DURATION, Duration.ofSeconds(5),
                    between(Duration.ofMillis(100), Duration.ofMinutes(1)),
                    "A post not acknowledged by the bus within this time is rejected as unavailable.")
            .define(LOGIC_RATE_ROOM_LEASE_PERIOD, DURATION, Duration.ofMillis(100),
                    between(Duration.ofMillis(1), Duration.ofSeconds(10)),
                    "Room rate-limit tokens leased from the hot store are spent in logic for this long (one store "
                    + "call per room per lease, sized by the room's demand in the last period).")
            .define(LOGIC_MAX_POSTS_IN_FLIGHT, INT, 10_000, between(1, 10_000_000),
                    "Posts being validated or published at once; beyond it a batch is refused unavailable at once.")
            .define(LOGIC_IDEMPOTENCY_TTL, DURATION, Duration.ofMinutes(5),
                    between(Duration.ofSeconds(1), Duration.ofDays(1)),
                    "How long the result of a server API publish with an idempotency_key is remembered in the hot "
                    + "store: a repeat with the same key and channels answers it and publishes nothing.")

            .define(STORAGE_GROUP, STRING, "danmaku-storage", nonEmpty(),
                    "Consumer group of the storage tier.")
            .define(STORE_MEMORY_HISTORY_PER_ROOM, INT, 1000, between(1, 1_000_000),
                    "Messages of history kept per room by the in-memory store (standalone).")
            .define(BUS_MEMORY_QUEUE_CAPACITY, INT, 65536, between(1024, 10_000_000),
                    "Capacity of the in-memory bus's queues, in messages (standalone).")

            .define(BUS_TYPE, STRING, "memory", Validator.oneOf("memory", "kafka"),
                    "The message bus: memory (standalone only) or kafka.")
            .define(BUS_KAFKA_BOOTSTRAP_SERVERS, STRING, "127.0.0.1:9092", nonEmpty(),
                    "Kafka bootstrap servers (host:port,...).")
            .define(BUS_KAFKA_TOPIC, STRING, "danmaku.room-messages",
                    Validator.pattern("[A-Za-z0-9._-]{1,249}", "a Kafka topic name"),
                    "Topic of room messages; created at start if absent.")
            .define(BUS_KAFKA_PARTITIONS, INT, 12, between(1, 10_000),
                    "Partitions of the topic when it is created (an existing topic keeps its own).")
            .define(BUS_KAFKA_REPLICATION_FACTOR, INT, 1, between(1, 32),
                    "Replication factor of the topic when it is created; use 3 in production.")
            .define(BUS_KAFKA_CONNECT_WAIT, DURATION, Duration.ofSeconds(60), between(Duration.ZERO, Duration.ofHours(1)),
                    "At start, how long a role keeps trying to reach Kafka (retries with backoff up to 5 s apart) "
                    + "before it gives up with exit status 1; 0 = one attempt.")
            .definePrefix(BUS_KAFKA_PRODUCER, "Kafka producer settings passed through as they are, over the defaults acks=all, "
                    + "enable.idempotence=true, compression.type=lz4, linger.ms=10, batch.size=262144, "
                    + "buffer.memory=67108864; e.g. bus.kafka.producer.compression.type=zstd.")
            .definePrefix(BUS_KAFKA_CONSUMER, "Kafka consumer settings passed through as they are.")
            .definePrefix(BUS_KAFKA_ADMIN, "Kafka admin client settings passed through as they are.")
            .define(BUS_KAFKA_TLS_ENABLED, BOOLEAN, false,
                    "Connect to Kafka over TLS (security.protocol=SSL for the producer, consumer and admin client); "
                    + "the brokers' certificates must name the bootstrap and advertised hosts. false = plaintext. A "
                    + "security.protocol passed through bus.kafka.producer.* and the like wins (SASL_SSL).")
            .define(BUS_KAFKA_TLS_CA_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the certificate authorities of the brokers' certificates; unset = the JDK's "
                    + "default trust store.")
            .define(BUS_KAFKA_TLS_CERT_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the roles' client certificate for brokers that require one (ssl.client.auth="
                    + "required); unset = none. Read at start.")
            .define(BUS_KAFKA_TLS_KEY_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the private key of bus.kafka.tls.cert-file, unencrypted PKCS#8.")

            .define(STORE_TYPE, STRING, "memory", Validator.oneOf("memory", "redis"),
                    "The hot store: memory (standalone only) or redis.")
            .define(STORE_REDIS_MODE, STRING, "cluster", Validator.oneOf("cluster", "single"),
                    "Redis Cluster (seeds in store.redis.uris) or a single Redis node.")
            .define(STORE_REDIS_URIS, LIST, List.of("redis://127.0.0.1:7000"),
                    "Redis URIs: cluster seed nodes, or the one node in single mode.")
            .define(STORE_REDIS_COMMAND_TIMEOUT, DURATION, Duration.ofMillis(500),
                    between(Duration.ofMillis(10), Duration.ofMinutes(1)),
                    "Timeout of each Redis command; a failed-over master is found again by topology refresh.")
            .define(STORE_REDIS_CONNECT_WAIT, DURATION, Duration.ofSeconds(60), between(Duration.ZERO, Duration.ofHours(1)),
                    "At start, how long a role keeps trying to reach Redis (retries with backoff up to 5 s apart) "
                    + "before it gives up with exit status 1; 0 = one attempt.")
            .define(STORE_REDIS_HISTORY_PER_ROOM, INT, 1000, between(1, 1_000_000),
                    "Messages of hot history kept per room in Redis (exact cap).")
            .define(STORE_REDIS_HISTORY_RETENTION, DURATION, Duration.ofDays(7),
                    between(Duration.ofMinutes(1), Duration.ofDays(3650)),
                    "A room's hot history expires this long after its last message.")
            .define(STORE_REDIS_TLS_CA_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the certificate authorities of the Redis servers' certificates, for rediss:// "
                    + "URIs (TLS is on with rediss://); unset = the JDK's default trust store. Each node's certificate "
                    + "must name the address the client reaches it at (in a cluster, the address the node announces).")
            .define(STORE_REDIS_TLS_CERT_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the roles' client certificate for Redis servers with tls-auth-clients yes; "
                    + "unset = none. Read at start.")
            .define(STORE_REDIS_TLS_KEY_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the private key of store.redis.tls.cert-file, unencrypted PKCS#8.")

            .define(GATEWAY_LOGIC_TARGET, STRING, "127.0.0.1:9090", nonEmpty(),
                    "Where gateways find logic over gRPC: host:port[,host:port...] or dns:///name:port "
                    + "(a Kubernetes headless service); each user's posts go to one instance (rendezvous hashing).")
            .define(GATEWAY_LOGIC_DEADLINE, DURATION, Duration.ofSeconds(6),
                    between(Duration.ofMillis(100), Duration.ofMinutes(1)),
                    "Deadline of a post forwarded to logic; past it the client gets unavailable.")
            .define(GATEWAY_LOGIC_DNS_REFRESH_INTERVAL, DURATION, Duration.ofSeconds(5),
                    between(Duration.ofMillis(100), Duration.ofHours(1)),
                    "For a dns:/// target, how often the name is resolved again (the JVM's DNS cache, "
                    + "networkaddress.cache.ttl, comes on top); unused for a static list.")
            .define(GATEWAY_LOGIC_TLS_ENABLED, BOOLEAN, false,
                    "Connect to logic over TLS (logic must set logic.grpc.tls.cert-file); false = plaintext.")
            .define(GATEWAY_LOGIC_TLS_CA_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the certificate authorities trusted for logic's certificate; unset = the JDK's "
                    + "default trust store. Logic's certificate must name the host of each gateway.logic.target "
                    + "entry, or the name of a dns:/// target.")
            .define(GATEWAY_LOGIC_TLS_CERT_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the gateway's client certificate, for logic's mutual TLS "
                    + "(logic.grpc.tls.client-ca-file); unset = none.")
            .define(GATEWAY_LOGIC_TLS_KEY_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the private key of gateway.logic.tls.cert-file (PKCS#8).")
            .define(LOGIC_GRPC_HOST, STRING, "0.0.0.0", nonEmpty(), "Address logic's gRPC server binds to.")
            .define(LOGIC_GRPC_PORT, INT, 9090, PORT, "Port of logic's gRPC server (posts from gateways).")
            .define(LOGIC_GRPC_TLS_CERT_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with logic's gRPC server certificate; set (with logic.grpc.tls.key-file) = gateways "
                    + "must connect over TLS (gateway.logic.tls.enabled); unset = plaintext. Reloaded (with its key) every "
                    + "tls.reload-interval: new connections get a changed, matching pair, open ones and their calls "
                    + "keep theirs.")
            .define(LOGIC_GRPC_TLS_KEY_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the private key of logic.grpc.tls.cert-file (PKCS#8).")
            .define(LOGIC_GRPC_TLS_CLIENT_CA_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the certificate authorities of gateways' client certificates; set = mutual TLS, "
                    + "a gateway without such a certificate is refused; unset = no client certificate asked. Read at "
                    + "start.")
            .define(LOGIC_HTTP_HOST, STRING, "0.0.0.0", nonEmpty(), "Address logic's server API binds to.")
            .define(LOGIC_HTTP_PORT, INT, 8081, PORT, "Port of logic's HTTP server API (distributed mode).")
            .define(LOGIC_HTTP_TLS_CERT_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the TLS certificate of logic's server API port, then any intermediates; set (with "
                    + "logic.http.tls.key-file) = HTTPS only; unset = plain HTTP. Reloaded every tls.reload-interval.")
            .define(LOGIC_HTTP_TLS_KEY_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the private key of logic.http.tls.cert-file (PKCS#8).")
            .define(STORAGE_HTTP_HOST, STRING, "0.0.0.0", nonEmpty(), "Address storage's history API binds to.")
            .define(STORAGE_HTTP_PORT, INT, 8082, PORT, "Port of storage's HTTP history API.")
            .define(STORAGE_HTTP_TLS_CERT_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the TLS certificate of storage's history API port, then any intermediates; set "
                    + "(with storage.http.tls.key-file) = HTTPS only; unset = plain HTTP. Reloaded every "
                    + "tls.reload-interval.")
            .define(STORAGE_HTTP_TLS_KEY_FILE, PATH, null, Validator.readableFile(),
                    "PEM file with the private key of storage.http.tls.cert-file (PKCS#8).")
            .define(STORAGE_ARCHIVE_DIR, STRING, null, nonEmpty(),
                    "Directory of the archive (compressed segments per stream); unset = no archive. With "
                    + "storage.archive.type=s3 it holds only the open segments (required; local to the process, "
                    + "e.g. an emptyDir).")
            .define(STORAGE_ARCHIVE_SEGMENT_MAX_BYTES, LONG, 64L * 1024 * 1024,
                    between(1024L, 1024L * 1024 * 1024),
                    "An archive segment is closed and compressed at this many uncompressed bytes.")
            .define(STORAGE_ARCHIVE_SEGMENT_MAX_AGE, DURATION, Duration.ofMinutes(10),
                    between(Duration.ofSeconds(1), Duration.ofDays(1)),
                    "An archive segment is closed and compressed at this age.")
            .define(STORAGE_ARCHIVE_RETENTION, DURATION, Duration.ZERO,
                    between(Duration.ZERO, Duration.ofDays(36_500)),
                    "Sealed archive segments whose records are all older than this are deleted (in the directory or "
                    + "the bucket), checked every tenth of it (1 s..10 min); the newest segment of each stream is "
                    + "always kept. 0 = kept for good.")
            .define(STORAGE_ARCHIVE_TYPE, STRING, "local", Validator.oneOf("local", "s3"),
                    "Where sealed archive segments go: local = storage.archive.dir (each storage process serves "
                    + "what it consumed); s3 = an S3-compatible bucket every storage process shares, so any of them "
                    + "serves any room and partitions move between them without loss.")
            .define(STORAGE_ARCHIVE_S3_ENDPOINT, STRING, null,
                    Validator.pattern("(?i)https?://\\S+", "an http:// or https:// URL"),
                    "Base URL of the S3 API (MinIO, Ceph, a cloud's S3-compatible service); unset = AWS S3 in "
                    + "storage.archive.s3.region.")
            .define(STORAGE_ARCHIVE_S3_BUCKET, STRING, null, nonEmpty(),
                    "Bucket of the archive (must exist); required with storage.archive.type=s3.")
            .define(STORAGE_ARCHIVE_S3_PREFIX, STRING, "archive",
                    Validator.pattern("([A-Za-z0-9_.=-]+(/[A-Za-z0-9_.=-]+)*)?",
                            "path segments of A-Z a-z 0-9 _ . = - joined by /, no leading or trailing /"),
                    "Key prefix of the archive in the bucket; empty = the bucket's root.")
            .define(STORAGE_ARCHIVE_S3_REGION, STRING, "us-east-1", nonEmpty(),
                    "Signing region of the bucket (most S3-compatible servers accept any).")
            .define(STORAGE_ARCHIVE_S3_ACCESS_KEY, STRING, null, nonEmpty(),
                    "Access key id; unset = the AWS SDK's default credentials (AWS_* environment, a Kubernetes "
                    + "service account's web identity token, an instance profile).")
            .define(STORAGE_ARCHIVE_S3_SECRET_KEY, PASSWORD, null, nonEmpty(),
                    "Secret access key of storage.archive.s3.access-key.")
            .define(STORAGE_ARCHIVE_S3_PATH_STYLE, BOOLEAN, true,
                    "Address the bucket in the path (http://endpoint/bucket/key, what most S3-compatible servers "
                    + "need) rather than in the host name (http://bucket.endpoint/key).")
            .define(STORAGE_ARCHIVE_S3_REFRESH_INTERVAL, DURATION, Duration.ofSeconds(30),
                    between(Duration.ZERO, Duration.ofHours(1)),
                    "A history read lists the bucket again for segments other storage processes sealed when the "
                    + "last listing is older than this; 0 = before every read.")

            .constraint(Constraint.lessThan(GATEWAY_WRITE_BUFFER_LOW_BYTES, GATEWAY_WRITE_BUFFER_HIGH_BYTES))
            .constraint(Constraint.together(STORAGE_ARCHIVE_S3_ACCESS_KEY, STORAGE_ARCHIVE_S3_SECRET_KEY))
            .constraint(Constraint.together(GATEWAY_TLS_CERT_FILE, GATEWAY_TLS_KEY_FILE))
            .constraint(Constraint.together(LOGIC_GRPC_TLS_CERT_FILE, LOGIC_GRPC_TLS_KEY_FILE))
            .constraint(Constraint.together(ADMIN_TLS_CERT_FILE, ADMIN_TLS_KEY_FILE))
            .constraint(Constraint.together(BUS_KAFKA_TLS_CERT_FILE, BUS_KAFKA_TLS_KEY_FILE))
            .constraint(Constraint.onlyWith(BUS_KAFKA_TLS_CA_FILE, BUS_KAFKA_TLS_ENABLED))
            .constraint(Constraint.onlyWith(BUS_KAFKA_TLS_CERT_FILE, BUS_KAFKA_TLS_ENABLED))
            .constraint(Constraint.together(STORE_REDIS_TLS_CERT_FILE, STORE_REDIS_TLS_KEY_FILE))
            .constraint(Constraint.together(LOGIC_HTTP_TLS_CERT_FILE, LOGIC_HTTP_TLS_KEY_FILE))
            .constraint(Constraint.together(STORAGE_HTTP_TLS_CERT_FILE, STORAGE_HTTP_TLS_KEY_FILE))
            .constraint(Constraint.onlyWith(LOGIC_GRPC_TLS_CLIENT_CA_FILE, LOGIC_GRPC_TLS_CERT_FILE))
            .constraint(Constraint.together(GATEWAY_LOGIC_TLS_CERT_FILE, GATEWAY_LOGIC_TLS_KEY_FILE))
            .constraint(Constraint.onlyWith(GATEWAY_LOGIC_TLS_CA_FILE, GATEWAY_LOGIC_TLS_ENABLED))
            .constraint(Constraint.onlyWith(GATEWAY_LOGIC_TLS_CERT_FILE, GATEWAY_LOGIC_TLS_ENABLED))
            .build();

    private DanmakuKeys() {
    }

    private static boolean samplingRules(Object value) {
        try {
            SamplingRules.parse(((List<?>) value).stream().map(String::valueOf).toList());
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean cidr(Object value) {
        try {
            new ProxyConfig(false, List.of(value.toString()), ProxyConfig.ForwardedHeader.X_FORWARDED_FOR);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
