package io.danmaku.logic.rule;

import io.danmaku.protocol.store.Restriction;
import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small bounded cache of ban/mute lookups per (room, user), each entry valid for a fixed time. When full it
 * drops the expired entries, and everything if that is not enough: a miss only costs one store lookup.
 *
 * <p>Invalidation bumps a generation; a lookup that started before an invalidation does not store its (possibly
 * stale) result, so a ban made through this process applies to the next post.
 */
final class RestrictionCache {
    private record Key(String room, String user) {
    }

    private record Entry(Restriction value, long expiresAtMillis) {
    }

    private final ConcurrentHashMap<Key, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    private final Clock clock;
    private final long ttlMillis;
    private final int maxEntries;

    RestrictionCache(Clock clock, long ttlMillis, int maxEntries) {
        this.clock = clock;
        this.ttlMillis = ttlMillis;
        this.maxEntries = maxEntries;
    }

    /** The cached value, or {@code null} when absent or expired. */
    Restriction get(String room, String user) {
        Key key = new Key(room, user);
        Entry e = entries.get(key);
        if (e == null) {
            return null;
        }
        if (clock.millis() >= e.expiresAtMillis) {
            entries.remove(key, e);
            return null;
        }
        return e.value;
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
        if (entries.size() >= maxEntries) {
            entries.values().removeIf(e -> now >= e.expiresAtMillis);
            if (entries.size() >= maxEntries) {
                entries.clear();
            }
        }
        entries.put(new Key(room, user), new Entry(value, now + ttlMillis));
    }

    void invalidate(String room, String user) {
        generation.incrementAndGet();
        entries.remove(new Key(room, user));
    }

    void invalidateUser(String user) {
        generation.incrementAndGet();
        entries.keySet().removeIf(k -> k.user.equals(user));
    }

    int size() {
        return entries.size();
    }
}
