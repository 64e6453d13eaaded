package io.danmaku.logic.rule;

import io.danmaku.protocol.store.Restriction;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded cache of ban/mute answers per user and room, each entry valid for a fixed time and forgotten at once
 * when the store reports a change of that user ({@link #invalidateUser}, {@link #invalidate}) or may have missed
 * one ({@link #clear}). Kept per user, so forgetting a user is one removal whatever the cache's size. When more
 * than {@code maxUsers} users are cached, the expired entries are dropped, and everything if that is not enough:
 * a miss only costs a place in the next batched store lookup.
 *
 * <p>Every invalidation bumps a generation; a lookup that started before an invalidation does not store its
 * (possibly stale) answer, so a change applies to the next batch.
 */
final class RestrictionCache {
    private record Entry(Restriction value, long expiresAtMillis) {
    }

    /** One user's answers, room → entry; guarded by its own monitor. */
    private static final class UserEntries {
        final Map<String, Entry> rooms = new HashMap<>(4);
    }

    private final ConcurrentHashMap<String, UserEntries> users = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    private final Clock clock;
    private final long ttlMillis;
    private final int maxUsers;

    RestrictionCache(Clock clock, long ttlMillis, int maxUsers) {
        this.clock = clock;
        this.ttlMillis = ttlMillis;
        this.maxUsers = maxUsers;
    }

    /** The cached value, or {@code null} when absent or expired. */
    Restriction get(String room, String user, long nowMillis) {
        UserEntries u = users.get(user);
        if (u == null) {
            return null;
        }
        synchronized (u) {
            Entry e = u.rooms.get(room);
            if (e == null) {
                return null;
            }
            if (nowMillis >= e.expiresAtMillis) {
                u.rooms.remove(room);
                return null;
            }
            return e.value;
        }
    }

    /** The generation to pass to {@link #put} for a lookup starting now. */
    long generation() {
        return generation.get();
    }

    void put(String room, String user, Restriction value, long generationAtLookup) {
        if (generation.get() != generationAtLookup) {
            return;
        }
        long now = clock.millis();
        if (users.size() >= maxUsers && !users.containsKey(user)) {
            prune(now);
        }
        UserEntries u = users.computeIfAbsent(user, k -> new UserEntries());
        synchronized (u) {
            u.rooms.put(room, new Entry(value, now + ttlMillis));
        }
        if (generation.get() != generationAtLookup) {
            // an invalidation raced with this put: it may have run before the entry was in
            invalidate(room, user);
        }
    }

    private void prune(long now) {
        users.values().removeIf(u -> {
            synchronized (u) {
                u.rooms.values().removeIf(e -> now >= e.expiresAtMillis);
                return u.rooms.isEmpty();
            }
        });
        if (users.size() >= maxUsers) {
            clear();
        }
    }

    void invalidate(String room, String user) {
        generation.incrementAndGet();
        UserEntries u = users.get(user);
        if (u != null) {
            synchronized (u) {
                u.rooms.remove(room);
            }
        }
    }

    void invalidateUser(String user) {
        generation.incrementAndGet();
        users.remove(user);
    }

    void clear() {
        generation.incrementAndGet();
        users.clear();
    }

    /** Users with cached answers. */
    int size() {
        return users.size();
    }
}
