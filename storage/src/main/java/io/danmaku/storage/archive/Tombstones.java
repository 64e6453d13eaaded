package io.danmaku.storage.archive;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.Retraction;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The retracted message ids of each room, as the archive's tombstones hold them ({@link ArchiveStore#putTombstone}):
 * what history reads of the archive leave out. A room's set is read from the store on its first read and kept in
 * memory; a tombstone this process writes is added at once, and with a shared store (another process may write
 * the room's tombstones) the set is read again when it is older than the store's refresh interval. At most
 * {@value #MAX_ROOMS} rooms are kept; beyond that the cache starts afresh.
 */
final class Tombstones {
    static final int MAX_ROOMS = 10_000;

    private final ArchiveStore store;
    /** How long a room's set is trusted; null = for good (this process writes every tombstone of its store). */
    private final Duration refresh;
    private final ConcurrentHashMap<String, Entry> rooms = new ConcurrentHashMap<>();

    private record Entry(Set<String> ids, long readAtNanos) {
    }

    Tombstones(ArchiveStore store, Duration refresh) {
        this.store = requireNonNull(store, "store");
        this.refresh = refresh;
    }

    /** Stores the tombstone of one retraction record's payload; idempotent. */
    void write(String room, byte[] retraction) throws IOException {
        List<String> ids = Retraction.ids(retraction);
        String name = Retraction.messageId(retraction);
        if (ids.isEmpty() || name == null) {
            return;
        }
        store.putTombstone(room, name, retraction);
        rooms.computeIfPresent(room, (r, e) -> {
            Set<String> more = new HashSet<>(e.ids());
            more.addAll(ids);
            return new Entry(Set.copyOf(more), e.readAtNanos());
        });
    }

    /** The room's retracted message ids. */
    Set<String> of(String room) throws IOException {
        Entry e = rooms.get(room);
        long now = System.nanoTime();
        if (e != null && (refresh == null || now - e.readAtNanos() < refresh.toNanos())) {
            return e.ids();
        }
        Set<String> ids = new HashSet<>();
        for (byte[] t : store.tombstones(room)) {
            ids.addAll(Retraction.ids(t));
        }
        if (rooms.size() >= MAX_ROOMS) {
            rooms.clear();
        }
        Entry fresh = new Entry(Set.copyOf(ids), now);
        rooms.put(room, fresh);
        return fresh.ids();
    }
}
