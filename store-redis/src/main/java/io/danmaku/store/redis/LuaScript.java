package io.danmaku.store.redis;

import static java.util.Objects.requireNonNull;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One of the store's Lua scripts (a resource next to this class), run by its SHA-1 with {@code EVALSHA}; a
 * node that does not know it yet ({@code NOSCRIPT}: a fresh or newly promoted node) gets the body once with
 * {@code EVAL}, which also caches it there.
 */
final class LuaScript {
    static final LuaScript APPEND_HISTORY = load("append-history.lua");
    static final LuaScript READ_HISTORY = load("read-history.lua");
    static final LuaScript REPORT_ONLINE = load("report-online.lua");
    static final LuaScript ONLINE = load("online.lua");
    static final LuaScript REPORT_PRESENCE = load("report-presence.lua");
    static final LuaScript PRESENCE = load("presence.lua");
    static final LuaScript REMOVE_HISTORY = load("remove-history.lua");
    static final LuaScript RETRACT_HISTORY = load("retract-history.lua");
    static final LuaScript REPORT_NODE = load("report-node.lua");
    static final LuaScript NODES = load("nodes.lua");
    static final LuaScript MUTE = load("mute.lua");
    static final LuaScript MUTED = load("muted.lua");
    static final LuaScript MUTED_USERS = load("muted-users.lua");
    static final LuaScript ACQUIRE = load("acquire.lua");
    static final LuaScript LEASE = load("lease.lua");
    static final LuaScript CLAIM_ONCE = load("claim-once.lua");

    private final String name;
    private final byte[] body;
    private final String sha1;

    private LuaScript(String name, byte[] body) {
        this.name = name;
        this.body = body;
        this.sha1 = sha1(body);
    }

    static LuaScript load(String resource) {
        try (InputStream in = LuaScript.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("Lua script " + resource + " missing from the classpath");
            }
            return new LuaScript(resource, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read Lua script " + resource, e);
        }
    }

    String name() {
        return name;
    }

    String body() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** Runs the script on the node that owns {@code keys} (all in one slot). */
    <T> CompletableFuture<T> run(RedisClusterAsyncCommands<String, byte[]> commands, ScriptOutputType type,
            String[] keys, byte[]... args) {
        requireNonNull(keys, "keys");
        CompletableFuture<T> bySha = commands.<T>evalsha(sha1, type, keys, args).toCompletableFuture();
        return bySha.exceptionallyCompose(e -> {
            if (unwrap(e) instanceof RedisNoScriptException) {
                return commands.<T>eval(body, type, keys, args).toCompletableFuture();
            }
            return CompletableFuture.failedFuture(unwrap(e));
        });
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    private static String sha1(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JVM", e);
        }
    }

    @Override
    public String toString() {
        return "LuaScript[" + name + ", sha1=" + sha1 + "]";
    }
}
