package io.danmaku.bench.wire;

import io.danmaku.bench.measure.Tally;
import io.netty.buffer.ByteBuf;

/**
 * Finds {@link Marker}s in payload bytes as they stream in (a marker may span reads) and reports each to a
 * {@link Tally}. Skips to the next {@code '#'} with {@link ByteBuf#indexOf}, then parses digits byte by byte.
 * With {@link #oncePerUnit}, only the first marker after {@link #rearm()} counts: a Bilibili {@code DANMU_MSG}
 * repeats its text several times in one packet.
 */
public final class MarkerScanner {
    private static final int IDLE = 0;
    private static final int SEQ = 1;
    private static final int LANE = 2;
    private static final int TIME = 3;

    private final Tally tally;
    private final boolean oncePerUnit;
    private boolean armed = true;
    private int state = IDLE;
    private long seq;
    private long lane;
    private long time;

    public MarkerScanner(Tally tally, boolean oncePerUnit) {
        this.tally = tally;
        this.oncePerUnit = oncePerUnit;
    }

    /** A new message unit begins (a packet): its first marker counts. */
    public void rearm() {
        armed = true;
        state = IDLE;
    }

    /** Drops a half-parsed marker (at the end of a frame). */
    public void reset() {
        state = IDLE;
    }

    public void scan(ByteBuf buf, int index, int length) {
        int end = index + length;
        int i = index;
        while (i < end) {
            if (state == IDLE) {
                if (!armed) {
                    return;
                }
                int at = buf.indexOf(i, end, Marker.START);
                if (at < 0) {
                    return;
                }
                state = SEQ;
                seq = 0;
                i = at + 1;
                continue;
            }
            byte b = buf.getByte(i++);
            int d = b - '0';
            boolean digit = d >= 0 && d <= 9;
            switch (state) {
                case SEQ -> {
                    if (digit) {
                        seq = seq * 10 + d;
                    } else if (b == '.') {
                        state = LANE;
                        lane = 0;
                    } else {
                        state = IDLE;
                    }
                }
                case LANE -> {
                    if (digit) {
                        lane = lane * 10 + d;
                    } else if (b == '.') {
                        state = TIME;
                        time = 0;
                    } else {
                        state = IDLE;
                    }
                }
                default -> {
                    if (digit) {
                        time = time * 10 + d;
                    } else {
                        state = IDLE;
                        if (b == ';') {
                            tally.onMessage(seq, lane, time);
                            if (oncePerUnit) {
                                armed = false;
                                return;
                            }
                        }
                    }
                }
            }
        }
    }
}
