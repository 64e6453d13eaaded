package io.danmaku.store.redis;

import io.danmaku.protocol.RoomId;

/**
 * Every Redis key the hot store uses, in one place (docs/OPERATIONS.md lists them for operators). The part in
 * braces is the Redis Cluster hash tag: all keys of a room share a slot, so one Lua script can touch a room's
 * history and its metadata together; a user's ban, a rate-limit bucket and a dedupe mark each hash on their
 * own.
 *
 * <ul>
 *   <li>{@code dm:{<room>}:hist} — stream: the room's newest records, entry id {@code <offset>-1}, fields
 *       {@code t} (time in ms) and {@code p} (the message JSON); capped exactly at the history capacity.</li>
 *   <li>{@code dm:{<room>}:meta} — hash: {@code epoch}, {@code top} (newest offset), {@code floor} (newest
 *       trimmed offset, 0 while none was trimmed).</li>
 *   <li>{@code dm:{<room>}:stream} — string, no TTL: the room's stream start (ms since the epoch, decimal), the
 *       origin of its recording's timeline.</li>
 *   <li>{@code dm:{<room>}:online} — hash: gateway id → {@code <count>:<expiresAtMillis>}.</li>
 *   <li>{@code dm:{<room>}:presence} — hash: gateway id → {@code <expiresAtMillis>|<users>|<members>}, the
 *       members a JSON array of {@code [client, user, connInfo]} or {@code -} when the gateway does not list them
 *       (more than the presence cap).</li>
 *   <li>{@code dm:nodes} — hash: node id → {@code <expiresAtMillis>|<report JSON>} (server API {@code info}).</li>
 *   <li>{@code dm:{<room>}:mutes} — hash: user id → {@code <expiresAtMillis>}.</li>
 *   <li>{@code dm:ban:{<user>}} — string with a TTL: the user is banned while it exists.</li>
 *   <li>{@code dm:rl:{<bucket>}} — string with a TTL: a rate-limit bucket's theoretical arrival time (GCRA,
 *       microseconds of server time); gone once the bucket is full again.</li>
 *   <li>{@code dm:dd:{<mark>}} — string with a TTL: a dedupe mark.</li>
 *   <li>{@code dm:once:{<key>}} — string with a TTL: a once-claim ({@code HotStore#claimOnce}), {@code P} while
 *       pending, {@code D} followed by the stored result once completed.</li>
 * </ul>
 *
 * <p>Two pub/sub channels: {@link #RESTRICTIONS_CHANNEL} ({@code dm:restrictions}) carries ban and mute changes,
 * {@link #CONTROL_CHANNEL} ({@code dm:control}) the server API's requests about a user's connections.
 *
 * <p>Room ids are valid {@link RoomId}s, so they never contain braces; user ids and bucket or mark names may
 * contain anything (a brace only moves their single key to another slot).
 */
public final class RedisKeys {
    public static final String PREFIX = "dm:";
    /**
     * Pub/sub channel (not a key) on which every ban, unban, mute and unmute is published after it was written:
     * {@code <room>\n<userId>} in UTF-8, the room empty for a ban or unban ({@link StoreFeed}).
     */
    public static final String RESTRICTIONS_CHANNEL = PREFIX + "restrictions";
    /**
     * Pub/sub channel (not a key) on which the server API's requests about a user's connections (disconnect,
     * subscribe, unsubscribe, refresh) reach every gateway: a JSON object ({@link StoreFeed}).
     */
    public static final String CONTROL_CHANNEL = PREFIX + "control";
    /** Hash of the nodes' reports: node id → {@code <expiresAtMillis>|<report JSON>}. */
    public static final String NODES = PREFIX + "nodes";

    private RedisKeys() {
    }

    public static String history(String room) {
        return roomKey(room, "hist");
    }

    public static String historyMeta(String room) {
        return roomKey(room, "meta");
    }

    public static String streamStart(String room) {
        return roomKey(room, "stream");
    }

    public static String online(String room) {
        return roomKey(room, "online");
    }

    public static String presence(String room) {
        return roomKey(room, "presence");
    }

    /** The {@code SCAN MATCH} glob of the online keys of the rooms {@code pattern} matches. */
    public static String onlineGlob(io.danmaku.protocol.RoomPattern pattern) {
        return PREFIX + "{" + pattern.text() + "}:online";
    }

    /** The room of an online key ({@link #online}), or null when {@code key} is not one. */
    public static String roomOfOnlineKey(String key) {
        String head = PREFIX + "{";
        String tail = "}:online";
        if (!key.startsWith(head) || !key.endsWith(tail) || key.length() <= head.length() + tail.length()) {
            return null;
        }
        String room = key.substring(head.length(), key.length() - tail.length());
        return RoomId.isValid(room) ? room : null;
    }

    public static String mutes(String room) {
        return roomKey(room, "mutes");
    }

    public static String ban(String userId) {
        return PREFIX + "ban:{" + userId + "}";
    }

    /** Bucket names come from logic ({@code rl:u:<user>}, {@code rl:r:<room>}). */
    public static String rateLimit(String bucket) {
        return PREFIX + "rl:{" + bucket + "}";
    }

    /** Mark names come from logic ({@code dd:<user>:<clientMsgId>}). */
    public static String dedupe(String mark) {
        return PREFIX + "dd:{" + mark + "}";
    }

    /** Once-keys come from logic ({@code idem:<hash>} for an idempotent publish). */
    public static String once(String key) {
        return PREFIX + "once:{" + key + "}";
    }

    private static String roomKey(String room, String what) {
        return PREFIX + "{" + RoomId.requireValid(room, "room") + "}:" + what;
    }
}
