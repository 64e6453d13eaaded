package io.danmaku.rpc.internal;

import static java.util.Objects.requireNonNull;

import java.util.Collection;

/**
 * Rendezvous (highest-random-weight) hashing: a key (a user id) goes to the member (a logic address) for which
 * {@link #weight} is highest. The choice depends only on the key and the set of members, not on their order, and
 * every gateway computes the same one. When a member joins, only the keys it now wins move (to it, about
 * 1/(N+1) of them); when one leaves, only its keys move (each to its own runner-up).
 *
 * <p>The hashes are stable across processes and versions of Java (never {@link Object#hashCode} of anything but
 * the characters): a 64-bit FNV-1a over the UTF-16 code units, finished with the SplitMix64 mixer.
 */
public final class Rendezvous {
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private Rendezvous() {
    }

    /** The stable 64-bit hash of {@code s}. */
    public static long hash(String s) {
        long h = FNV_OFFSET;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            h = (h ^ (c & 0xff)) * FNV_PRIME;
            h = (h ^ (c >>> 8)) * FNV_PRIME;
        }
        return mix(h);
    }

    /** The weight of a member for a key, both given by their {@link #hash}: the key goes to the highest. */
    public static long weight(long keyHash, long memberHash) {
        // both hashes are already mixed; mixing their combination again spreads every member's weights
        // independently over the keys
        return mix(keyHash ^ Long.rotateLeft(memberHash, 29));
    }

    /**
     * True when a member of weight {@code w} (name hash {@code h}) ranks above one of weight {@code bestW}
     * ({@code bestH}): the higher weight, and on a tie (one in 2^64) the higher name hash, so that the order is
     * total and the same everywhere.
     */
    public static boolean above(long w, long h, long bestW, long bestH) {
        return w != bestW ? Long.compareUnsigned(w, bestW) > 0 : Long.compareUnsigned(h, bestH) > 0;
    }

    /** The member {@code key} goes to (for tests and tools; the pool uses the hashed form). */
    public static String pick(String key, Collection<String> members) {
        requireNonNull(key, "key");
        if (members.isEmpty()) {
            throw new IllegalArgumentException("members: [] (expected: at least one)");
        }
        long k = hash(key);
        String best = null;
        long bestW = 0;
        long bestH = 0;
        for (String m : members) {
            long h = hash(m);
            long w = weight(k, h);
            if (best == null || above(w, h, bestW, bestH)) {
                best = m;
                bestW = w;
                bestH = h;
            }
        }
        return best;
    }

    /** SplitMix64's finaliser: a bijection of 64-bit values in which every input bit flips about half the output. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
