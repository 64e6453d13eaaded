package io.danmaku.logic;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.store.RateLimit;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Settings of the logic tier: validation limits, moderation caches, the bus deadline and the server API key.
 * Validated once here, then frozen. {@link #toString()} masks the API key.
 *
 * @param maxTextCodePoints longest text of a post, in Unicode code points (an emoji counts as one)
 * @param userRate token bucket per user (every room together)
 * @param roomRate token bucket per room (every user together)
 * @param blockedWords words refused anywhere in a text (case-insensitive, after NFKC normalization)
 * @param blockedWordsFile more blocked words, one per line ({@code #} starts a comment line); {@code null} for
 *     none. Reloaded when its modification time changes
 * @param blockedWordsReload the file's modification time is checked at most this often
 * @param dedupeTtl how long a {@code clientMsgId} is remembered per user
 * @param restrictionCacheTtl how long a ban/mute answer is cached in this process at most; {@link Duration#ZERO}
 *     = no cache. Changes reach the cache at once through the hot store's change feed; the TTL is the backstop
 *     for bans and mutes that expire by themselves
 * @param publishTimeout deadline for the bus to acknowledge a publish; a post not acknowledged in time is
 *     rejected {@code unavailable}
 * @param apiKey the key backends send to the server API ({@code X-API-Key}); {@code null} disables the API
 * @param roomLeasePeriod how long room rate-limit tokens leased from the hot store are kept in this process (one
 *     store call per room per lease); also the window over which a room's demand sizes the next lease
 * @param maxPostsInFlight posts being validated or published at once; beyond it a batch is refused
 *     {@code unavailable} at once (shed, instead of queueing into timeouts)
 * @param idempotencyTtl how long the result of a server API publish with an {@code idempotency_key} is
 *     remembered in the hot store (a repeat within it answers the first result without publishing)
 */
public record LogicConfig(
        int maxTextCodePoints,
        RateLimit userRate,
        RateLimit roomRate,
        List<String> blockedWords,
        Path blockedWordsFile,
        Duration blockedWordsReload,
        Duration dedupeTtl,
        Duration restrictionCacheTtl,
        Duration publishTimeout,
        String apiKey,
        Duration roomLeasePeriod,
        int maxPostsInFlight,
        Duration idempotencyTtl) {

    public static final int DEFAULT_MAX_TEXT_CODE_POINTS = 100;
    public static final int MAX_MAX_TEXT_CODE_POINTS = 1000;
    public static final RateLimit DEFAULT_USER_RATE = new RateLimit(5, 1.0);
    public static final RateLimit DEFAULT_ROOM_RATE = new RateLimit(500, 200.0);
    public static final List<String> DEFAULT_BLOCKED_WORDS = List.of();
    public static final Path DEFAULT_BLOCKED_WORDS_FILE = null;
    public static final Duration DEFAULT_BLOCKED_WORDS_RELOAD = Duration.ofSeconds(10);
    public static final Duration DEFAULT_DEDUPE_TTL = Duration.ofMinutes(5);
    public static final Duration DEFAULT_RESTRICTION_CACHE_TTL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_PUBLISH_TIMEOUT = Duration.ofSeconds(5);
    public static final String DEFAULT_API_KEY = null;
    public static final Duration DEFAULT_ROOM_LEASE_PERIOD = Duration.ofMillis(100);
    public static final int DEFAULT_MAX_POSTS_IN_FLIGHT = 10_000;
    public static final Duration DEFAULT_IDEMPOTENCY_TTL = Duration.ofMinutes(5);

    public LogicConfig {
        check(maxTextCodePoints >= 1 && maxTextCodePoints <= MAX_MAX_TEXT_CODE_POINTS, "logic.text.max-code-points",
                maxTextCodePoints, "1.." + MAX_MAX_TEXT_CODE_POINTS);
        requireNonNull(userRate, "logic.rate.user");
        requireNonNull(roomRate, "logic.rate.room");
        requireNonNull(blockedWords, "logic.blocked-words");
        List<String> words = new ArrayList<>(blockedWords.size());
        for (int i = 0; i < blockedWords.size(); i++) {
            String w = blockedWords.get(i);
            check(w != null && !w.isBlank(), "logic.blocked-words[" + i + "]", w == null ? null : '"' + w + '"',
                    "a non-blank word");
            words.add(w.strip());
        }
        blockedWords = List.copyOf(words);
        checkDuration(blockedWordsReload, "logic.blocked-words.reload", Duration.ofMillis(1), Duration.ofDays(1));
        checkDuration(dedupeTtl, "logic.dedupe.ttl", Duration.ofSeconds(1), Duration.ofDays(1));
        checkDuration(restrictionCacheTtl, "logic.restriction.cache-ttl", Duration.ZERO, Duration.ofMinutes(10));
        checkDuration(publishTimeout, "logic.publish.timeout", Duration.ofMillis(1), Duration.ofMinutes(10));
        check(apiKey == null || !apiKey.isBlank(), "api.key", "(blank)", "unset, or a non-blank key");
        checkDuration(roomLeasePeriod, "logic.rate.room.lease-period", Duration.ofMillis(1), Duration.ofSeconds(10));
        check(maxPostsInFlight >= 1, "logic.max-posts-in-flight", maxPostsInFlight, ">= 1");
        checkDuration(idempotencyTtl, "logic.idempotency.ttl", Duration.ofSeconds(1), Duration.ofDays(1));
    }

    public static LogicConfig defaults() {
        return new LogicConfig(DEFAULT_MAX_TEXT_CODE_POINTS, DEFAULT_USER_RATE, DEFAULT_ROOM_RATE,
                DEFAULT_BLOCKED_WORDS, DEFAULT_BLOCKED_WORDS_FILE, DEFAULT_BLOCKED_WORDS_RELOAD, DEFAULT_DEDUPE_TTL,
                DEFAULT_RESTRICTION_CACHE_TTL, DEFAULT_PUBLISH_TIMEOUT, DEFAULT_API_KEY, DEFAULT_ROOM_LEASE_PERIOD,
                DEFAULT_MAX_POSTS_IN_FLIGHT, DEFAULT_IDEMPOTENCY_TTL);
    }

    public LogicConfig withMaxTextCodePoints(int value) {
        return new LogicConfig(value, userRate, roomRate, blockedWords, blockedWordsFile, blockedWordsReload,
                dedupeTtl, restrictionCacheTtl, publishTimeout, apiKey, roomLeasePeriod, maxPostsInFlight, idempotencyTtl);
    }

    public LogicConfig withUserRate(RateLimit value) {
        return new LogicConfig(maxTextCodePoints, value, roomRate, blockedWords, blockedWordsFile,
                blockedWordsReload, dedupeTtl, restrictionCacheTtl, publishTimeout, apiKey, roomLeasePeriod, maxPostsInFlight, idempotencyTtl);
    }

    public LogicConfig withRoomRate(RateLimit value) {
        return new LogicConfig(maxTextCodePoints, userRate, value, blockedWords, blockedWordsFile,
                blockedWordsReload, dedupeTtl, restrictionCacheTtl, publishTimeout, apiKey, roomLeasePeriod, maxPostsInFlight, idempotencyTtl);
    }

    public LogicConfig withBlockedWords(List<String> value) {
        return new LogicConfig(maxTextCodePoints, userRate, roomRate, value, blockedWordsFile, blockedWordsReload,
                dedupeTtl, restrictionCacheTtl, publishTimeout, apiKey, roomLeasePeriod, maxPostsInFlight, idempotencyTtl);
    }

    public LogicConfig withBlockedWordsFile(Path value, Duration reload) {
        return new LogicConfig(maxTextCodePoints, userRate, roomRate, blockedWords, value, reload, dedupeTtl,
                restrictionCacheTtl, publishTimeout, apiKey, roomLeasePeriod, maxPostsInFlight, idempotencyTtl);
    }

    public LogicConfig withDedupeTtl(Duration value) {
        return new LogicConfig(maxTextCodePoints, userRate, roomRate, blockedWords, blockedWordsFile,
                blockedWordsReload, value, restrictionCacheTtl, publishTimeout, apiKey, roomLeasePeriod, maxPostsInFlight, idempotencyTtl);
    }

    public LogicConfig withRestrictionCacheTtl(Duration value) {
        return new LogicConfig(maxTextCodePoints, userRate, roomRate, blockedWords, blockedWordsFile,
                blockedWordsReload, dedupeTtl, value, publishTimeout, apiKey, roomLeasePeriod, maxPostsInFlight, idempotencyTtl);
    }

    public LogicConfig withPublishTimeout(Duration value) {
        return new LogicConfig(maxTextCodePoints, userRate, roomRate, blockedWords, blockedWordsFile,
                blockedWordsReload, dedupeTtl, restrictionCacheTtl, value, apiKey, roomLeasePeriod, maxPostsInFlight, idempotencyTtl);
    }

    public LogicConfig withApiKey(String value) {
        return new LogicConfig(maxTextCodePoints, userRate, roomRate, blockedWords, blockedWordsFile,
                blockedWordsReload, dedupeTtl, restrictionCacheTtl, publishTimeout, value, roomLeasePeriod, maxPostsInFlight, idempotencyTtl);
    }

    public LogicConfig withRoomLeasePeriod(Duration value) {
        return new LogicConfig(maxTextCodePoints, userRate, roomRate, blockedWords, blockedWordsFile,
                blockedWordsReload, dedupeTtl, restrictionCacheTtl, publishTimeout, apiKey, value, maxPostsInFlight, idempotencyTtl);
    }

    public LogicConfig withMaxPostsInFlight(int value) {
        return new LogicConfig(maxTextCodePoints, userRate, roomRate, blockedWords, blockedWordsFile,
                blockedWordsReload, dedupeTtl, restrictionCacheTtl, publishTimeout, apiKey, roomLeasePeriod, value, idempotencyTtl);
    }

    public LogicConfig withIdempotencyTtl(Duration value) {
        return new LogicConfig(maxTextCodePoints, userRate, roomRate, blockedWords, blockedWordsFile,
                blockedWordsReload, dedupeTtl, restrictionCacheTtl, publishTimeout, apiKey, roomLeasePeriod,
                maxPostsInFlight, value);
    }

    /** The settings with the API key masked and the word list summarized (both may be sensitive). */
    @Override
    public String toString() {
        return "LogicConfig[maxTextCodePoints=" + maxTextCodePoints + ", userRate=" + userRate + ", roomRate="
                + roomRate + ", blockedWords=(" + blockedWords.size() + " words), blockedWordsFile="
                + blockedWordsFile + ", blockedWordsReload=" + blockedWordsReload + ", dedupeTtl=" + dedupeTtl
                + ", restrictionCacheTtl=" + restrictionCacheTtl + ", publishTimeout=" + publishTimeout
                + ", apiKey=" + (apiKey == null ? "(unset)" : "****") + ", roomLeasePeriod=" + roomLeasePeriod
                + ", maxPostsInFlight=" + maxPostsInFlight + ", idempotencyTtl=" + idempotencyTtl + "]";
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
