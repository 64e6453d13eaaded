package io.danmaku.protocol.store;

import static java.util.Objects.requireNonNull;

/**
 * What part of a room's history to read.
 *
 * @param sinceOffset {@code -1} for no lower bound; otherwise only records with an offset greater than this
 *     (forward) or lower than this (reverse)
 * @param limit at most this many records; {@code 0} returns only the stream position (epoch, top, floor)
 * @param reverse newest first
 */
public record HistoryQuery(String room, long sinceOffset, int limit, boolean reverse) {
    public static final int MAX_LIMIT = 1000;

    public HistoryQuery {
        requireNonNull(room, "room");
        if (limit < 0 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: 0.." + MAX_LIMIT + ")");
        }
        if (sinceOffset < -1) {
            throw new IllegalArgumentException("sinceOffset: " + sinceOffset + " (expected: -1 or >= 0)");
        }
    }

    /** Records after {@code offset}, oldest first. */
    public static HistoryQuery after(String room, long offset, int limit) {
        return new HistoryQuery(room, offset, limit, false);
    }

    /** The newest {@code limit} records, newest first. */
    public static HistoryQuery latest(String room, int limit) {
        return new HistoryQuery(room, -1, limit, true);
    }

    /** Only the stream position. */
    public static HistoryQuery position(String room) {
        return new HistoryQuery(room, -1, 0, false);
    }
}
