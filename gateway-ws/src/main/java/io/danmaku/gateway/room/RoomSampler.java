package io.danmaku.gateway.room;

import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.json.MessageClass;
import io.danmaku.protocol.json.RoomMessageCodec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * The fan-out sample of one room whose visible chat rate is capped ({@link SamplingRules}). Decided once per record,
 * on the bus thread, before the records reach the event loops: every member on every loop of this gateway sees the
 * same sample, and each loop still encodes its batch frame once for all its members.
 *
 * <p>Priority messages ({@link io.danmaku.protocol.RoomMessage#isPriority()}: events such as gifts, system messages,
 * flagged messages) are always kept and do not use the budget. Ordinary chat is kept by this rule, which depends
 * only on the records (their server time and author), not on when they arrive:
 * <ul>
 *   <li><b>Windows.</b> Time is cut into windows of {@value #WINDOW_MILLIS} ms of message time (the server stamp
 *       logic gave the message, its {@code time}; the record's time when it has none), aligned to the epoch. Window {@code w} may keep {@code floor(rate·(w+1)·W/1000) − floor(rate·w·W/1000)} chat
 *       messages, so any whole second of message time keeps at most {@code rate} of them.</li>
 *   <li><b>Pacing.</b> Within a window the budget opens evenly: by millisecond {@code k} of it at most
 *       {@code ceil(budget·(k+1)/W)} are kept, so the sample spreads over the window instead of being its first
 *       messages.</li>
 *   <li><b>Fairness.</b> One author may have at most {@code max(1, ceil(budget / n))} messages kept in a window,
 *       where {@code n} is the number of distinct authors of chat in the previous window or so far in this one,
 *       whichever is more. One spammer gets one author's share, however fast they post.</li>
 * </ul>
 * A record older than the current window (stamped late by another logic instance) is judged in the current window
 * with its whole allowance open.
 *
 * <p>Confined to the bus thread that dispatches the room (the lock only makes a second feed safe).
 */
final class RoomSampler {
    static final long WINDOW_MILLIS = 100;

    private final int ratePerSecond;
    private long window = Long.MIN_VALUE;
    private int budget;
    private int kept;
    private int previousAuthors;
    /** Authors of chat offered in the current window → how many of theirs were kept. */
    private final HashMap<String, int[]> authors = new HashMap<>();

    RoomSampler(int ratePerSecond) {
        if (ratePerSecond < 1) {
            throw new IllegalArgumentException("ratePerSecond: " + ratePerSecond + " (expected: >= 1)");
        }
        this.ratePerSecond = ratePerSecond;
    }

    int ratePerSecond() {
        return ratePerSecond;
    }

    /**
     * Splits one poll's records of the room into the sample every member gets and the chat left out of it (each
     * with its author), counting both by class.
     */
    synchronized FanoutBatch sample(List<RoomRecord> records, FanoutMetrics metrics) {
        List<RoomRecord> shared = null; // made at the first record left out; until then, a prefix of records
        List<FanoutBatch.OwnPost> out = null;
        long priority = 0;
        long chatKept = 0;
        for (int i = 0, n = records.size(); i < n; i++) {
            RoomRecord r = records.get(i);
            MessageClass c = RoomMessageCodec.classify(r.payload());
            boolean keep;
            if (c.priority()) {
                priority++;
                keep = true;
            } else {
                keep = keepChat(c.timeMillis() > 0 ? c.timeMillis() : r.timeMillis(), c.author());
                if (keep) {
                    chatKept++;
                }
            }
            if (keep) {
                if (shared != null) {
                    shared.add(r);
                }
            } else {
                if (shared == null) {
                    shared = new ArrayList<>(records.subList(0, i));
                    out = new ArrayList<>();
                }
                out.add(new FanoutBatch.OwnPost(r, c.author()));
            }
        }
        long chatOut = out == null ? 0 : out.size();
        metrics.sampled(priority, chatKept, chatOut);
        return shared == null ? FanoutBatch.all(records) : new FanoutBatch(shared, out);
    }

    /** Whether a chat message of {@code author} stamped at {@code timeMillis} is kept. */
    boolean keepChat(long timeMillis, String author) {
        long w = Math.floorDiv(timeMillis, WINDOW_MILLIS);
        if (w > window) {
            previousAuthors = w == window + 1 ? authors.size() : 0;
            authors.clear();
            kept = 0;
            budget = (int) (allowance(w + 1) - allowance(w));
            window = w;
        }
        long elapsed = w < window ? WINDOW_MILLIS - 1 : timeMillis - w * WINDOW_MILLIS;
        int paced = (int) ((budget * (elapsed + 1) + WINDOW_MILLIS - 1) / WINDOW_MILLIS);
        int[] mine = authors.computeIfAbsent(author, a -> new int[1]);
        int share = Math.max(previousAuthors, authors.size());
        int cap = Math.max(1, (budget + share - 1) / share);
        if (kept < paced && mine[0] < cap) {
            kept++;
            mine[0]++;
            return true;
        }
        return false;
    }

    /** Chat messages windows {@code 0..n-1} may keep together: {@code floor(rate·n·W/1000)}. */
    private long allowance(long n) {
        return Math.floorDiv(ratePerSecond * n * WINDOW_MILLIS, 1000);
    }
}
