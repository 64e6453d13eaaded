package io.danmaku.store.redis;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.DanmakuException;
import io.danmaku.protocol.RoomPattern;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.store.ControlListener;
import io.danmaku.protocol.store.ControlMessage;
import io.danmaku.protocol.store.HistoryPage;
import io.danmaku.protocol.store.HistoryQuery;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.store.NodeInfo;
import io.danmaku.protocol.store.OnceClaim;
import io.danmaku.protocol.store.PresenceMember;
import io.danmaku.protocol.store.PresenceSnapshot;
import io.danmaku.protocol.store.RateDecision;
import io.danmaku.protocol.store.RateLimit;
import io.danmaku.protocol.store.Restriction;
import io.danmaku.protocol.store.RestrictionChange;
import io.danmaku.protocol.store.RestrictionKey;
import io.danmaku.protocol.store.RestrictionListener;
import io.danmaku.protocol.store.RoomPresence;
import io.danmaku.protocol.store.StoreSubscription;
import io.danmaku.protocol.store.TokenLease;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link HotStore} of distributed mode: Redis Cluster (or one plain node) through Lettuce's asynchronous
 * API. Nothing blocks the caller; futures complete on Lettuce's I/O threads. Key layout: {@link RedisKeys}.
 *
 * <ul>
 *   <li>History: a stream per room whose entry ids are {@code <offset>-1}; one Lua script per append batch
 *       checks the epoch, skips records at or below the top offset (a replay is a no-op), adds the rest, trims
 *       exactly to the capacity and records epoch, top and floor in the room's meta hash. Reads run as one
 *       script too, so records and position are consistent.</li>
 *   <li>Online counts, mutes: hashes whose entries carry their own expiry (server time; Redis 7.0 has no
 *       per-field TTL), cleaned on access; the whole hash expires with its longest-lived entry.</li>
 *   <li>Bans, dedupe marks and once-claims: keys with a TTL; a claim is one script (get, or set if absent).
 *       Rate limits: GCRA in one script on server time; a lease takes many tokens of the same bucket in one
 *       script.</li>
 *   <li>Ban and mute lookups of a batch: all commands in flight together (one round trip per node).</li>
 *   <li>Ban and mute changes: published on {@link RedisKeys#RESTRICTIONS_CHANNEL} after the write; subscribers
 *       share one pub/sub connection per store ({@link StoreFeed}).</li>
 *   <li>Control messages (disconnect, subscribe, unsubscribe, refresh a user's connections): published on
 *       {@link RedisKeys#CONTROL_CHANNEL}, heard on the same connection.</li>
 *   <li>Presence: a hash per room, gateway → its members, next to the online hash (same slot): one script reads
 *       both, so only gateways with a live online count are listed. Channels: {@code SCAN} of the online keys
 *       (every master of a cluster), then their sums. Node reports: one hash {@code dm:nodes}.</li>
 * </ul>
 *
 * <p>The cluster client refreshes its topology periodically and on adaptive triggers, and every command
 * times out after {@link RedisStoreConfig#commandTimeout()}, so a failing-over master costs a few failed calls,
 * not a stall. Every Redis failure completes the future with a retriable {@link DanmakuException}; invalid
 * arguments with {@link IllegalArgumentException} or {@link NullPointerException}; calls after
 * {@link #close()} with a non-retriable {@link DanmakuException}.
 *
 * <p>Metrics: {@code danmaku.store.redis.latency} (timer) and {@code danmaku.store.redis.errors} (counter),
 * both tagged {@code op}.
 */
public final class RedisHotStore implements HotStore {
    private static final Logger log = LoggerFactory.getLogger(RedisHotStore.class);
    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
    private static final byte[] ONE = {'1'};
    private static final byte ONCE_PENDING = 'P';
    private static final byte ONCE_DONE = 'D';
    private static final long WARN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration FAILED_CONNECT_QUIET_PERIOD = Duration.ofMillis(100);
    /** Users per mute script call: Lua's {@code unpack} of the arguments is limited to a few thousand. */
    private static final int MAX_SCRIPT_ARGS = 1000;

    /** What the meters are tagged with: one per operation. */
    enum Op {
        APPEND_HISTORY, HISTORY, REPORT_ONLINE, ONLINE, BAN, UNBAN, MUTE, UNMUTE, RESTRICTION, RESTRICTIONS,
        PUBLISH_RESTRICTION, PUBLISH_CONTROL, SUBSCRIBE, REPORT_PRESENCE, PRESENCE, CHANNELS, REMOVE_HISTORY, RETRACT_HISTORY,
        REPORT_NODE, NODES, ACQUIRE, LEASE, MARK_ONCE, UNMARK,
        CLAIM_ONCE, COMPLETE_ONCE, RELEASE_ONCE, SET_STREAM_START, STREAM_START;

        final String tag = name().toLowerCase(Locale.ROOT);
    }

    private final RedisStoreConfig config;
    private final AbstractRedisClient client;
    private final StatefulConnection<String, byte[]> connection;
    private final RedisClusterAsyncCommands<String, byte[]> commands;
    private final Map<Op, Timer> latency = new EnumMap<>(Op.class);
    private final Map<Op, Counter> errors = new EnumMap<>(Op.class);
    private final Map<Op, AtomicLong> lastWarnNanos = new EnumMap<>(Op.class);
    private final StoreFeed feed;
    private volatile boolean closed;

    private RedisHotStore(RedisStoreConfig config, AbstractRedisClient client,
            StatefulConnection<String, byte[]> connection, RedisClusterAsyncCommands<String, byte[]> commands,
            Supplier<CompletableFuture<StatefulRedisPubSubConnection<String, byte[]>>> pubSubConnector,
            MeterRegistry registry) {
        this.config = config;
        this.client = client;
        this.connection = connection;
        this.commands = commands;
        this.feed = new StoreFeed(pubSubConnector, client.getResources().eventExecutorGroup(),
                error -> failure(Op.SUBSCRIBE, error));
        for (Op op : Op.values()) {
            latency.put(op, Timer.builder("danmaku.store.redis.latency")
                    .description("Hot store calls to Redis, from call to reply")
                    .tag("op", op.tag).register(registry));
            errors.put(op, Counter.builder("danmaku.store.redis.errors")
                    .description("Hot store calls to Redis that failed (timeouts, connection loss, failover)")
                    .tag("op", op.tag).register(registry));
            lastWarnNanos.put(op, new AtomicLong(System.nanoTime() - WARN_INTERVAL_NANOS));
        }
    }

    /** Connects with its own Lettuce resources (threads), which {@link #close()} shuts down. Blocks. */
    public static RedisHotStore connect(RedisStoreConfig config, MeterRegistry registry) {
        return connect(config, registry, null);
    }

    /**
     * Connects, blocking until the connection (and, for a cluster, the topology) is there. Over TLS every node of a
     * cluster is reached once, at the address it announces ({@link RedisTlsCheck#reachEveryNode}).
     *
     * @param resources Lettuce resources shared with other clients (left running by {@link #close()}), or null
     *     for the store's own
     * @throws DanmakuException retriable when no node can be reached; not retriable when TLS fails, with a
     *     message naming the {@code store.redis.tls.*} setting (or the certificate) to change
     */
    public static RedisHotStore connect(RedisStoreConfig config, MeterRegistry registry, ClientResources resources) {
        requireNonNull(config, "config");
        requireNonNull(registry, "registry");
        ClientOptions options = ClientOptions.builder()
                .timeoutOptions(TimeoutOptions.enabled(config.commandTimeout()))
                .socketOptions(SocketOptions.builder().connectTimeout(config.connectTimeout()).build())
                .sslOptions(sslOptions(config))
                .autoReconnect(true)
                .build();
        AbstractRedisClient client = null;
        try {
            if (config.mode() == RedisStoreConfig.Mode.CLUSTER) {
                RedisClusterClient cluster = resources == null ? RedisClusterClient.create(config.redisUris())
                        : RedisClusterClient.create(resources, config.redisUris());
                client = cluster;
                cluster.setOptions(ClusterClientOptions.builder(options)
                        // Every adaptive trigger (MOVED, ASK, reconnects, uncovered slot, unknown node) is on by
                        // default in Lettuce 7; refresh sooner after one, and periodically as well.
                        .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                                .adaptiveRefreshTriggersTimeout(Duration.ofMillis(500))
                                .refreshTriggersReconnectAttempts(1)
                                .enablePeriodicRefresh(config.topologyRefreshPeriod())
                                .build())
                        .build());
                StatefulRedisClusterConnection<String, byte[]> c = cluster.connect(CODEC);
                if (config.tlsOn()) {
                    // The seeds answered over TLS; the other nodes are reached at the addresses they announce.
                    RedisTlsCheck.reachEveryNode(cluster, options, config);
                }
                log.info("Redis hot store connected to cluster {}: {} nodes{}", config.urisForLog(),
                        cluster.getPartitions().size(), config.tlsOn() ? ", each over TLS" : "");
                return new RedisHotStore(config, cluster, c, c.async(),
                        () -> cluster.connectPubSubAsync(CODEC).thenApply(p -> p), registry);
            }
            RedisClient single = resources == null ? RedisClient.create() : RedisClient.create(resources);
            client = single;
            single.setOptions(options);
            StatefulRedisConnection<String, byte[]> c = single.connect(CODEC, config.redisUris().get(0));
            log.info("Redis hot store connected to single node {}", config.urisForLog());
            RedisURI uri = config.redisUris().get(0);
            return new RedisHotStore(config, single, c, c.async(),
                    () -> single.connectPubSubAsync(CODEC, uri).toCompletableFuture(), registry);
        } catch (RedisException | DanmakuException e) {
            if (client != null) {
                // A failed connect leaves attempts in flight (other seeds, the topology's recovery): a quiet period
                // lets them end on live threads before the client's threads stop.
                client.shutdown(FAILED_CONNECT_QUIET_PERIOD, SHUTDOWN_TIMEOUT);
            }
            if (e instanceof DanmakuException d) {
                throw d;
            }
            DanmakuException tls = config.tlsOn() ? RedisTlsCheck.failure(config, e, null) : null;
            if (tls != null) {
                throw tls;
            }
            throw new DanmakuException("cannot connect to Redis " + config.urisForLog() + ": " + e.getMessage(), e, true);
        }
    }

    private static SslOptions sslOptions(RedisStoreConfig config) {
        return config.tls() == null ? SslOptions.create() : config.tls().sslOptions();
    }

    public RedisStoreConfig config() {
        return config;
    }

    // ------------------------------------------------------------------------------------------ history

    @Override
    public CompletableFuture<Void> appendHistory(String room, List<RoomRecord> records) {
        return call(Op.APPEND_HISTORY, () -> {
            requireNonNull(room, "room");
            requireNonNull(records, "records");
            String[] keys = {RedisKeys.history(room), RedisKeys.historyMeta(room)};
            for (RoomRecord r : records) {
                requireNonNull(r, "records element");
                if (!r.room().equals(room)) {
                    throw new IllegalArgumentException("records: a record of room \"" + r.room()
                            + "\" (expected: only records of room \"" + room + "\")");
                }
            }
            if (records.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            byte[][] args = new byte[2 + 4 * records.size()][];
            args[0] = ascii(config.historyCapacity());
            args[1] = ascii(config.historyRetention().toMillis());
            int i = 2;
            for (RoomRecord r : records) {
                args[i++] = r.epoch().getBytes(StandardCharsets.UTF_8);
                args[i++] = ascii(r.offset());
                args[i++] = ascii(r.timeMillis());
                args[i++] = r.payload();
            }
            return LuaScript.APPEND_HISTORY.<Long>run(commands, ScriptOutputType.INTEGER, keys, args)
                    .thenApply(added -> null);
        });
    }

    @Override
    public CompletableFuture<HistoryPage> history(HistoryQuery query) {
        return call(Op.HISTORY, () -> {
            requireNonNull(query, "query");
            String room = query.room();
            String[] keys = {RedisKeys.history(room), RedisKeys.historyMeta(room)};
            // Entry ids are <offset>-1, so "after n" starts at (n+1)-0 and "before n" ends at (n-1)-1, inclusive.
            String low = "-";
            String high = "+";
            int count = query.limit();
            long since = query.sinceOffset();
            if (since >= 0) {
                if (!query.reverse()) {
                    if (since == Long.MAX_VALUE) {
                        count = 0;
                    } else {
                        low = (since + 1) + "-0";
                    }
                } else if (since == 0) {
                    count = 0;
                } else {
                    high = (since - 1) + "-1";
                }
            }
            byte[][] args = {ascii(low), ascii(high), ascii(count), ascii(query.reverse() ? "1" : "0")};
            return LuaScript.READ_HISTORY.<List<Object>>run(commands, ScriptOutputType.MULTI, keys, args)
                    .thenApply(reply -> page(room, reply));
        });
    }

    private static HistoryPage page(String room, List<Object> reply) {
        if (reply == null || reply.isEmpty()) {
            return HistoryPage.empty();
        }
        String epoch = utf8(reply.get(0));
        long top = number(reply.get(1));
        long floor = number(reply.get(2));
        List<RoomRecord> records = new ArrayList<>((reply.size() - 3) / 3);
        for (int i = 3; i + 2 < reply.size(); i += 3) {
            records.add(new RoomRecord(room, number(reply.get(i)), epoch, number(reply.get(i + 1)),
                    (byte[]) reply.get(i + 2)));
        }
        return new HistoryPage(epoch, top, floor, records);
    }

    // ------------------------------------------------------------------------------------------ online counts

    @Override
    public CompletableFuture<Void> reportOnline(String gatewayId, Map<String, Integer> counts, Duration ttl) {
        return call(Op.REPORT_ONLINE, () -> {
            requireNonNull(gatewayId, "gatewayId");
            requireNonNull(counts, "counts");
            byte[] ttlMillis = ascii(millis(ttl, "ttl"));
            List<String> keys = new ArrayList<>(counts.size());
            List<Integer> values = new ArrayList<>(counts.size());
            for (Map.Entry<String, Integer> e : counts.entrySet()) {
                requireNonNull(e.getKey(), "counts room");
                requireNonNull(e.getValue(), "counts value");
                if (e.getValue() < 0) {
                    throw new IllegalArgumentException("counts[" + e.getKey() + "]: " + e.getValue()
                            + " (expected: >= 0)");
                }
                keys.add(RedisKeys.online(e.getKey()));
                values.add(e.getValue());
            }
            // One script per room (rooms live on different slots); Lettuce pipelines them on the connection.
            byte[] gateway = gatewayId.getBytes(StandardCharsets.UTF_8);
            CompletableFuture<?>[] each = new CompletableFuture<?>[keys.size()];
            for (int i = 0; i < each.length; i++) {
                each[i] = LuaScript.REPORT_ONLINE.run(commands, ScriptOutputType.INTEGER,
                        new String[] {keys.get(i)}, gateway, ascii(values.get(i)), ttlMillis);
            }
            return CompletableFuture.allOf(each);
        });
    }

    @Override
    public CompletableFuture<Long> online(String room) {
        return call(Op.ONLINE, () -> {
            requireNonNull(room, "room");
            return LuaScript.ONLINE.run(commands, ScriptOutputType.INTEGER, new String[] {RedisKeys.online(room)});
        });
    }

    // ------------------------------------------------------------------------------------------ bans and mutes

    @Override
    public CompletableFuture<Void> ban(String userId, Duration duration) {
        return call(Op.BAN, () -> {
            requireNonNull(userId, "userId");
            long ms = millis(duration, "duration");
            return commands.set(RedisKeys.ban(userId), ONE, SetArgs.Builder.px(ms))
                    .thenCompose(ok -> publish(RestrictionChange.ofUser(userId)));
        });
    }

    @Override
    public CompletableFuture<Void> unban(String userId) {
        return call(Op.UNBAN, () -> commands.del(RedisKeys.ban(requireNonNull(userId, "userId")))
                .thenCompose(n -> publish(RestrictionChange.ofUser(userId))));
    }

    @Override
    public CompletableFuture<Void> mute(String room, String userId, Duration duration) {
        return call(Op.MUTE, () -> {
            requireNonNull(room, "room");
            requireNonNull(userId, "userId");
            byte[] ms = ascii(millis(duration, "duration"));
            return LuaScript.MUTE.run(commands, ScriptOutputType.INTEGER, new String[] {RedisKeys.mutes(room)},
                    userId.getBytes(StandardCharsets.UTF_8), ms)
                    .thenCompose(r -> publish(RestrictionChange.ofRoom(room, userId)));
        });
    }

    @Override
    public CompletableFuture<Void> unmute(String room, String userId) {
        return call(Op.UNMUTE, () -> {
            requireNonNull(room, "room");
            requireNonNull(userId, "userId");
            return commands.hdel(RedisKeys.mutes(room), userId)
                    .thenCompose(n -> publish(RestrictionChange.ofRoom(room, userId)));
        });
    }

    @Override
    public CompletableFuture<Restriction> restriction(String room, String userId) {
        return call(Op.RESTRICTION, () -> {
            requireNonNull(room, "room");
            requireNonNull(userId, "userId");
            String mutesKey = RedisKeys.mutes(room);
            // The ban and the mute live on different slots: two commands in flight at once.
            CompletableFuture<Long> banned = commands.exists(RedisKeys.ban(userId)).toCompletableFuture();
            CompletableFuture<Long> muted = LuaScript.MUTED.run(commands, ScriptOutputType.INTEGER,
                    new String[] {mutesKey}, userId.getBytes(StandardCharsets.UTF_8));
            return banned.thenCombine(muted, (b, m) -> b > 0 ? Restriction.BANNED
                    : m == 1 ? Restriction.MUTED : Restriction.NONE);
        });
    }

    /**
     * Looks the whole batch up at once: one {@code MGET} of the distinct users' ban keys (split by slot in a
     * cluster, the parts sent together) and one script per distinct room for its mutes, all in flight together,
     * so the batch costs one round trip per node however many posts it holds.
     */
    @Override
    public CompletableFuture<List<Restriction>> restrictions(List<RestrictionKey> keys) {
        return call(Op.RESTRICTIONS, () -> {
            requireNonNull(keys, "keys");
            Map<String, Integer> userIndex = new LinkedHashMap<>();
            Map<String, Map<String, Integer>> usersByRoom = new LinkedHashMap<>();
            for (RestrictionKey key : keys) {
                requireNonNull(key, "keys element");
                RedisKeys.mutes(key.room()); // validates the room before anything is sent
                userIndex.putIfAbsent(key.userId(), userIndex.size());
                Map<String, Integer> users = usersByRoom.computeIfAbsent(key.room(), r -> new LinkedHashMap<>());
                users.putIfAbsent(key.userId(), users.size());
            }
            if (keys.isEmpty()) {
                return CompletableFuture.completedFuture(List.<Restriction>of());
            }
            String[] banKeys = userIndex.keySet().stream().map(RedisKeys::ban).toArray(String[]::new);
            CompletableFuture<List<KeyValue<String, byte[]>>> bans = commands.mget(banKeys).toCompletableFuture();
            Map<String, CompletableFuture<boolean[]>> mutes = new LinkedHashMap<>();
            usersByRoom.forEach((room, users) -> mutes.put(room, muted(room, List.copyOf(users.keySet()))));
            CompletableFuture<?>[] all = new CompletableFuture<?>[mutes.size() + 1];
            all[0] = bans;
            int i = 1;
            for (CompletableFuture<boolean[]> m : mutes.values()) {
                all[i++] = m;
            }
            return CompletableFuture.allOf(all).thenApply(done -> {
                List<KeyValue<String, byte[]>> banned = bans.join();
                List<Restriction> answers = new ArrayList<>(keys.size());
                for (RestrictionKey key : keys) {
                    if (banned.get(userIndex.get(key.userId())).hasValue()) {
                        answers.add(Restriction.BANNED);
                    } else {
                        boolean[] roomMutes = mutes.get(key.room()).join();
                        answers.add(roomMutes[usersByRoom.get(key.room()).get(key.userId())] ? Restriction.MUTED
                                : Restriction.NONE);
                    }
                }
                return answers;
            });
        });
    }

    /** Whether each of {@code users} is muted in {@code room}, in order; scripts of at most a few thousand users. */
    private CompletableFuture<boolean[]> muted(String room, List<String> users) {
        String[] mutesKey = {RedisKeys.mutes(room)};
        List<CompletableFuture<List<Object>>> parts = new ArrayList<>();
        for (int from = 0; from < users.size(); from += MAX_SCRIPT_ARGS) {
            List<String> part = users.subList(from, Math.min(users.size(), from + MAX_SCRIPT_ARGS));
            byte[][] args = part.stream().map(u -> u.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
            parts.add(LuaScript.MUTED_USERS.run(commands, ScriptOutputType.MULTI, mutesKey, args));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(done -> {
            boolean[] muted = new boolean[users.size()];
            int i = 0;
            for (CompletableFuture<List<Object>> part : parts) {
                for (Object flag : part.join()) {
                    muted[i++] = number(flag) == 1;
                }
            }
            return muted;
        });
    }

    /**
     * Subscribes to {@link RedisKeys#RESTRICTIONS_CHANNEL} (the store opens its pub/sub connection with the first
     * subscriber); see {@link StoreFeed} for the message format and when listeners are reset. Listeners are
     * called on Lettuce's I/O thread.
     *
     * @throws IllegalStateException when the store is closed
     */
    @Override
    public StoreSubscription subscribeRestrictions(RestrictionListener listener) {
        return feed.subscribe(listener);
    }

    /** {@code PUBLISH} on {@link RedisKeys#CONTROL_CHANNEL}; fails when Redis does not take it. */
    @Override
    public CompletableFuture<Void> publishControl(ControlMessage message) {
        return call(Op.PUBLISH_CONTROL, () -> commands.publish(RedisKeys.CONTROL_CHANNEL,
                StoreFeed.encodeControl(requireNonNull(message, "message"))).thenApply(n -> null));
    }

    /**
     * Subscribes to {@link RedisKeys#CONTROL_CHANNEL} on the store's pub/sub connection ({@link StoreFeed});
     * listeners are called on Lettuce's I/O thread.
     *
     * @throws IllegalStateException when the store is closed
     */
    @Override
    public StoreSubscription subscribeControl(ControlListener listener) {
        return feed.subscribeControl(listener);
    }

    // ------------------------------------------------------------------------------------------ presence

    @Override
    public CompletableFuture<Void> reportPresence(String gatewayId, Map<String, RoomPresence> rooms, Duration ttl) {
        return call(Op.REPORT_PRESENCE, () -> {
            requireNonNull(gatewayId, "gatewayId");
            requireNonNull(rooms, "rooms");
            byte[] ttlMillis = ascii(millis(ttl, "ttl"));
            byte[] gateway = gatewayId.getBytes(StandardCharsets.UTF_8);
            List<CompletableFuture<Object>> each = new ArrayList<>(rooms.size());
            List<String> keys = new ArrayList<>(rooms.size());
            for (Map.Entry<String, RoomPresence> e : rooms.entrySet()) {
                requireNonNull(e.getKey(), "rooms room");
                requireNonNull(e.getValue(), "rooms value");
                keys.add(RedisKeys.presence(e.getKey()));
            }
            int i = 0;
            for (RoomPresence p : rooms.values()) {
                each.add(LuaScript.REPORT_PRESENCE.run(commands, ScriptOutputType.INTEGER,
                        new String[] {keys.get(i++)}, gateway, ascii(p.clients()), ascii(p.users()),
                        encodeMembers(p.members()), ttlMillis));
            }
            return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new));
        });
    }

    @Override
    public CompletableFuture<PresenceSnapshot> presence(String room) {
        return call(Op.PRESENCE, () -> {
            requireNonNull(room, "room");
            String[] keys = {RedisKeys.online(room), RedisKeys.presence(room)};
            return LuaScript.PRESENCE.<List<Object>>run(commands, ScriptOutputType.MULTI, keys)
                    .thenApply(RedisHotStore::presenceSnapshot);
        });
    }

    private static PresenceSnapshot presenceSnapshot(List<Object> reply) {
        if (reply == null || reply.isEmpty()) {
            return PresenceSnapshot.EMPTY;
        }
        long clients = 0;
        long users = 0;
        boolean complete = true;
        List<PresenceMember> members = new ArrayList<>();
        for (int i = 0; i + 3 < reply.size(); i += 4) {
            long count = number(reply.get(i + 1));
            String u = utf8(reply.get(i + 2));
            String m = utf8(reply.get(i + 3));
            clients += count;
            if (u.isEmpty()) {
                users += count;
                complete = false;
                continue;
            }
            users += Long.parseLong(u);
            if (m.equals("-")) {
                complete = false;
            } else {
                members.addAll(decodeMembers(m));
            }
        }
        return new PresenceSnapshot(clients, users, members, complete);
    }

    /** {@code [[client, user, connInfo or null], …]}, or {@code -} when not listed. */
    private static byte[] encodeMembers(List<PresenceMember> members) {
        if (members == null) {
            return ascii("-");
        }
        ArrayNode array = Json.MAPPER.createArrayNode();
        for (PresenceMember m : members) {
            ArrayNode one = array.addArray().add(m.clientId()).add(m.userId());
            if (m.connInfo() == null) {
                one.addNull();
            } else {
                one.add(m.connInfo());
            }
        }
        try {
            return Json.MAPPER.writeValueAsBytes(array);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode presence members", e);
        }
    }

    private static List<PresenceMember> decodeMembers(String json) {
        try {
            JsonNode array = Json.MAPPER.readTree(json);
            List<PresenceMember> members = new ArrayList<>(array.size());
            for (JsonNode one : array) {
                members.add(new PresenceMember(one.get(0).asText(), one.get(1).asText(),
                        one.get(2).isNull() ? null : one.get(2).asText()));
            }
            return members;
        } catch (IOException | RuntimeException e) {
            throw new DanmakuException("redis presence: unreadable members entry", e, false);
        }
    }

    /**
     * {@code SCAN} for the online keys the pattern matches ({@link RedisKeys#onlineGlob}; on every master of a
     * cluster), until more than {@code limit} rooms are found or the scan ends, then one {@code online} script per
     * room, all in flight together.
     */
    @Override
    public CompletableFuture<Map<String, Long>> channels(RoomPattern pattern, int limit) {
        return call(Op.CHANNELS, () -> {
            requireNonNull(pattern, "pattern");
            if (limit < 0) {
                throw new IllegalArgumentException("limit: " + limit + " (expected: >= 0)");
            }
            ScanArgs args = ScanArgs.Builder.matches(RedisKeys.onlineGlob(pattern)).limit(1000);
            LinkedHashSet<String> rooms = new LinkedHashSet<>();
            return scanRooms(ScanCursor.INITIAL, args, pattern, rooms, limit + 1).thenCompose(done -> {
                Map<String, CompletableFuture<Long>> sums = new LinkedHashMap<>();
                for (String room : rooms) {
                    sums.put(room, LuaScript.ONLINE.<Long>run(commands, ScriptOutputType.INTEGER,
                            new String[] {RedisKeys.online(room)}));
                }
                return CompletableFuture.allOf(sums.values().toArray(CompletableFuture[]::new)).thenApply(v -> {
                    Map<String, Long> found = new HashMap<>();
                    sums.forEach((room, sum) -> {
                        if (sum.join() > 0) {
                            found.put(room, sum.join());
                        }
                    });
                    return found;
                });
            });
        });
    }

    private CompletableFuture<Void> scanRooms(ScanCursor cursor, ScanArgs args, RoomPattern pattern,
                                              Set<String> rooms, int wanted) {
        return commands.scan(cursor, args).toCompletableFuture().thenCompose((KeyScanCursor<String> page) -> {
            for (String key : page.getKeys()) {
                String room = RedisKeys.roomOfOnlineKey(key);
                if (room != null && pattern.matches(room) && rooms.size() < wanted) {
                    rooms.add(room);
                }
            }
            if (page.isFinished() || rooms.size() >= wanted) {
                return CompletableFuture.completedFuture(null);
            }
            return scanRooms(page, args, pattern, rooms, wanted);
        });
    }

    @Override
    public CompletableFuture<Void> removeHistory(String room) {
        return call(Op.REMOVE_HISTORY, () -> {
            requireNonNull(room, "room");
            String[] keys = {RedisKeys.history(room), RedisKeys.historyMeta(room)};
            return LuaScript.REMOVE_HISTORY.run(commands, ScriptOutputType.INTEGER, keys).thenApply(n -> null);
        });
    }

    /** One script over the room's stream (at most {@code store.redis.history-per-room} entries): XDEL by id. */
    @Override
    public CompletableFuture<Integer> retract(String room, java.util.Collection<String> messageIds) {
        return call(Op.RETRACT_HISTORY, () -> {
            requireNonNull(room, "room");
            requireNonNull(messageIds, "messageIds");
            if (messageIds.isEmpty()) {
                return CompletableFuture.completedFuture(0);
            }
            String[] keys = {RedisKeys.history(room), RedisKeys.historyMeta(room)};
            byte[][] args = new byte[messageIds.size()][];
            int i = 0;
            for (String id : messageIds) {
                args[i++] = requireNonNull(id, "messageIds element").getBytes(StandardCharsets.UTF_8);
            }
            return LuaScript.RETRACT_HISTORY.<Long>run(commands, ScriptOutputType.INTEGER, keys, args)
                    .thenApply(Long::intValue);
        });
    }

    // ------------------------------------------------------------------------------------------ nodes

    @Override
    public CompletableFuture<Void> reportNode(NodeInfo node, Duration ttl) {
        return call(Op.REPORT_NODE, () -> {
            requireNonNull(node, "node");
            byte[] ttlMillis = ascii(millis(ttl, "ttl"));
            ObjectNode o = Json.MAPPER.createObjectNode()
                    .put("id", node.id()).put("role", node.role()).put("version", node.version())
                    .put("started", node.startedAtMillis()).put("clients", node.clients())
                    .put("users", node.users()).put("rooms", node.rooms());
            byte[] json;
            try {
                json = Json.MAPPER.writeValueAsBytes(o);
            } catch (IOException e) {
                throw new IllegalStateException("cannot encode a node report", e);
            }
            return LuaScript.REPORT_NODE.run(commands, ScriptOutputType.INTEGER, new String[] {RedisKeys.NODES},
                    node.id().getBytes(StandardCharsets.UTF_8), json, ttlMillis).thenApply(n -> null);
        });
    }

    @Override
    public CompletableFuture<List<NodeInfo>> nodes() {
        return call(Op.NODES, () -> LuaScript.NODES.<List<Object>>run(commands, ScriptOutputType.MULTI,
                new String[] {RedisKeys.NODES}).thenApply(reply -> {
                    List<NodeInfo> nodes = new ArrayList<>();
                    for (Object r : reply) {
                        try {
                            JsonNode o = Json.MAPPER.readTree(utf8(r));
                            nodes.add(new NodeInfo(o.path("id").asText(), o.path("role").asText(),
                                    o.path("version").asText(), o.path("started").asLong(),
                                    o.path("clients").asLong(), o.path("users").asLong(), o.path("rooms").asLong()));
                        } catch (IOException | RuntimeException e) {
                            log.warn("unreadable node report in {} skipped: {}", RedisKeys.NODES, e.toString());
                        }
                    }
                    nodes.sort(Comparator.comparing(NodeInfo::id));
                    return nodes;
                }));
    }

    /**
     * Tells subscribers of a change that was written. A failed {@code PUBLISH} is counted (op
     * {@code publish_restriction}) and logged, and the write still succeeds: subscribers that missed it keep a
     * stale answer until their cache expires or resets.
     */
    private CompletableFuture<Void> publish(RestrictionChange change) {
        CompletableFuture<Void> published = new CompletableFuture<>();
        long startNanos = System.nanoTime();
        CompletableFuture<Long> sent;
        try {
            sent = commands.publish(RedisKeys.RESTRICTIONS_CHANNEL, StoreFeed.encode(change))
                    .toCompletableFuture();
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((receivers, error) -> {
            latency.get(Op.PUBLISH_RESTRICTION).record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
            if (error != null) {
                failure(Op.PUBLISH_RESTRICTION, error);
            }
            published.complete(null);
        });
        return published;
    }

    // ------------------------------------------------------------------------------------------ rate limits

    @Override
    public CompletableFuture<RateDecision> acquire(String key, RateLimit limit) {
        return call(Op.ACQUIRE, () -> {
            requireNonNull(key, "key");
            requireNonNull(limit, "limit");
            double microsPerToken = 1_000_000.0 / limit.perSecond();
            return LuaScript.ACQUIRE.<List<Object>>run(commands, ScriptOutputType.MULTI,
                    new String[] {RedisKeys.rateLimit(key)}, ascii(limit.burst()),
                    ascii(Double.toString(microsPerToken)))
                    .thenApply(reply -> number(reply.get(0)) == 1 ? RateDecision.ALLOWED
                            : RateDecision.refused(Duration.ofMillis(number(reply.get(1)))));
        });
    }

    @Override
    public CompletableFuture<TokenLease> lease(String key, RateLimit limit, int wanted) {
        return call(Op.LEASE, () -> {
            requireNonNull(key, "key");
            requireNonNull(limit, "limit");
            if (wanted < 1) {
                throw new IllegalArgumentException("wanted: " + wanted + " (expected: >= 1)");
            }
            double microsPerToken = 1_000_000.0 / limit.perSecond();
            return LuaScript.LEASE.<List<Object>>run(commands, ScriptOutputType.MULTI,
                    new String[] {RedisKeys.rateLimit(key)}, ascii(limit.burst()),
                    ascii(Double.toString(microsPerToken)), ascii(wanted))
                    .thenApply(reply -> {
                        long granted = number(reply.get(0));
                        return granted > 0 ? new TokenLease((int) granted, Duration.ZERO)
                                : new TokenLease(0, Duration.ofMillis(number(reply.get(1))));
                    });
        });
    }

    // ------------------------------------------------------------------------------------------ stream start

    @Override
    public CompletableFuture<Void> setStreamStart(String room, long startMillis) {
        return call(Op.SET_STREAM_START, () -> {
            String key = RedisKeys.streamStart(room);
            HotStore.requireStreamStart(startMillis);
            return commands.set(key, ascii(startMillis)).thenApply(ok -> null);
        });
    }

    @Override
    public CompletableFuture<OptionalLong> streamStart(String room) {
        return call(Op.STREAM_START, () -> commands.get(RedisKeys.streamStart(room))
                .thenApply(v -> v == null ? OptionalLong.empty() : OptionalLong.of(number(v))));
    }

    // ------------------------------------------------------------------------------------------ dedupe

    @Override
    public CompletableFuture<Boolean> markOnce(String key, Duration ttl) {
        return call(Op.MARK_ONCE, () -> {
            requireNonNull(key, "key");
            long ms = millis(ttl, "ttl");
            return commands.set(RedisKeys.dedupe(key), ONE, SetArgs.Builder.nx().px(ms)).thenApply("OK"::equals);
        });
    }

    @Override
    public CompletableFuture<Void> unmark(String key) {
        return call(Op.UNMARK, () -> commands.del(RedisKeys.dedupe(requireNonNull(key, "key"))).thenApply(n -> null));
    }

    // ------------------------------------------------------------------------------------------ once-claims

    /** One script: the key's value if it has one, else the pending marker is set (see {@link RedisKeys#once}). */
    @Override
    public CompletableFuture<OnceClaim> claimOnce(String key, Duration ttl) {
        return call(Op.CLAIM_ONCE, () -> {
            requireNonNull(key, "key");
            long ms = millis(ttl, "ttl");
            return LuaScript.CLAIM_ONCE.<byte[]>run(commands, ScriptOutputType.VALUE,
                    new String[] {RedisKeys.once(key)}, ascii(ms)).thenApply(RedisHotStore::onceClaim);
        });
    }

    private static OnceClaim onceClaim(byte[] value) {
        if (value == null) {
            return OnceClaim.claimed();
        }
        if (value.length >= 1 && value[0] == ONCE_DONE) {
            return OnceClaim.done(Arrays.copyOfRange(value, 1, value.length));
        }
        if (value.length == 1 && value[0] == ONCE_PENDING) {
            return OnceClaim.pending();
        }
        throw new DanmakuException("redis claim_once: unreadable value of " + value.length + " bytes", false);
    }

    @Override
    public CompletableFuture<Void> completeOnce(String key, byte[] result, Duration ttl) {
        return call(Op.COMPLETE_ONCE, () -> {
            requireNonNull(key, "key");
            requireNonNull(result, "result");
            long ms = millis(ttl, "ttl");
            byte[] value = new byte[result.length + 1];
            value[0] = ONCE_DONE;
            System.arraycopy(result, 0, value, 1, result.length);
            return commands.set(RedisKeys.once(key), value, SetArgs.Builder.px(ms)).thenApply(ok -> null);
        });
    }

    @Override
    public CompletableFuture<Void> releaseOnce(String key) {
        return call(Op.RELEASE_ONCE, () -> commands.del(RedisKeys.once(requireNonNull(key, "key"))).thenApply(n -> null));
    }

    // ------------------------------------------------------------------------------------------ lifecycle

    /** Closes the connection and the client (and its resources unless they were passed in). Blocks briefly. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            feed.close();
            connection.close();
        } finally {
            client.shutdown(Duration.ZERO, SHUTDOWN_TIMEOUT);
        }
        log.info("Redis hot store disconnected from {}", config.urisForLog());
    }

    @Override
    public String toString() {
        return "RedisHotStore[" + config.mode() + " " + config.urisForLog() + ", historyCapacity="
                + config.historyCapacity() + "]";
    }

    // ------------------------------------------------------------------------------------------ helpers

    /**
     * Runs one operation: argument errors fail the future as they are; Redis failures are counted and become
     * retriable {@link DanmakuException}s.
     */
    private <T> CompletableFuture<T> call(Op op, Supplier<? extends CompletionStage<T>> body) {
        if (closed) {
            return CompletableFuture.failedFuture(new DanmakuException("redis hot store closed", false));
        }
        long startNanos = System.nanoTime();
        CompletionStage<T> stage;
        try {
            stage = body.get();
        } catch (IllegalArgumentException | NullPointerException e) {
            return CompletableFuture.failedFuture(e);
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        stage.whenComplete((value, error) -> {
            latency.get(op).record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
            if (error == null) {
                result.complete(value);
            } else {
                result.completeExceptionally(failure(op, error));
            }
        });
        return result;
    }

    private DanmakuException failure(Op op, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        errors.get(op).increment();
        if (cause instanceof DanmakuException d) {
            return d;
        }
        String message = "redis " + op.tag + " failed: " + cause;
        AtomicLong last = lastWarnNanos.get(op);
        long now = System.nanoTime();
        long previous = last.get();
        if (now - previous >= WARN_INTERVAL_NANOS && last.compareAndSet(previous, now)) {
            log.warn("{} (further failures of this operation are counted in danmaku.store.redis.errors, logged"
                    + " at most every 10 s)", message);
        }
        return new DanmakuException(message, cause, !closed);
    }

    private static long millis(Duration d, String name) {
        requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
        }
        // PX needs at least 1 ms; sub-millisecond durations round up.
        return Math.max(1, d.toMillis());
    }

    private static byte[] ascii(long value) {
        return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] ascii(String value) {
        return value.getBytes(StandardCharsets.US_ASCII);
    }

    private static String utf8(Object bulk) {
        return bulk instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(bulk);
    }

    private static long number(Object reply) {
        if (reply instanceof Long l) {
            return l;
        }
        return Long.parseLong(utf8(reply));
    }
}
