package io.danmaku.storage.archive;

import java.util.Collection;
import java.util.Set;

/**
 * Which rooms a segment may hold, kept in memory for every segment so that a history read opens only segments
 * of its room. A segment of few rooms (one, when the stream is a room) keeps the exact set; a segment of many
 * rooms (a Kafka partition) keeps a Bloom filter of about 10 bits per room (about 1% false positives, which
 * only cost reading a segment for nothing). The exact room list is in the segment's index file.
 */
abstract sealed class RoomFilter {
    /** Up to this many rooms a segment keeps the exact set. */
    static final int EXACT_MAX = 64;
    private static final int BITS_PER_ROOM = 10;
    private static final int HASHES = 7;

    abstract boolean mightContain(String room);

    /** A filter of a final segment's rooms. */
    static RoomFilter of(Collection<String> rooms) {
        return rooms.size() <= EXACT_MAX ? new Exact(Set.copyOf(rooms)) : Bloom.of(rooms);
    }

    /** A filter that reads a set the writer keeps adding to (an open segment's; a concurrent set). */
    static RoomFilter live(Set<String> rooms) {
        return new Exact(rooms);
    }

    static final class Exact extends RoomFilter {
        private final Set<String> rooms;

        Exact(Set<String> rooms) {
            this.rooms = rooms;
        }

        @Override
        boolean mightContain(String room) {
            return rooms.contains(room);
        }
    }

    static final class Bloom extends RoomFilter {
        private final long[] words;
        private final int bits;

        private Bloom(int bits) {
            this.bits = bits;
            this.words = new long[(bits + 63) >>> 6];
        }

        static Bloom of(Collection<String> rooms) {
            long wanted = Math.max(64L, (long) rooms.size() * BITS_PER_ROOM);
            Bloom b = new Bloom((int) Math.min(wanted, Integer.MAX_VALUE - 63));
            for (String room : rooms) {
                b.add(room);
            }
            return b;
        }

        private void add(String room) {
            long h = hash(room);
            int h1 = (int) h;
            int h2 = (int) (h >>> 32) | 1;
            for (int i = 0; i < HASHES; i++) {
                int bit = Math.floorMod(h1 + i * h2, bits);
                words[bit >>> 6] |= 1L << bit;
            }
        }

        @Override
        boolean mightContain(String room) {
            long h = hash(room);
            int h1 = (int) h;
            int h2 = (int) (h >>> 32) | 1;
            for (int i = 0; i < HASHES; i++) {
                int bit = Math.floorMod(h1 + i * h2, bits);
                if ((words[bit >>> 6] & (1L << bit)) == 0) {
                    return false;
                }
            }
            return true;
        }

        /** FNV-1a over the chars, then a 64-bit finalizer to spread the bits. */
        private static long hash(String s) {
            long h = 0xcbf29ce484222325L;
            for (int i = 0; i < s.length(); i++) {
                h ^= s.charAt(i);
                h *= 0x100000001b3L;
            }
            h ^= h >>> 33;
            h *= 0xff51afd7ed558ccdL;
            h ^= h >>> 33;
            h *= 0xc4ceb9fe1a85ec53L;
            h ^= h >>> 33;
            return h;
        }
    }
}
