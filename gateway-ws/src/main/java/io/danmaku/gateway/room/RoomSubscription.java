package io.danmaku.gateway.room;

import io.danmaku.protocol.RoomRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * One member in one room on one event loop. Confined to that loop.
 *
 * <p>While {@link #recovering()}, batches are buffered here instead of written (the subscribe reply with the
 * recovered publications must go out first); {@link #completeRecovery} then returns what is newer than the
 * recovered position. {@code lastOffset} is the newest offset this member has been given, so a batch or part
 * of a batch it already has is never written twice.
 */
public final class RoomSubscription {
    /** Buffered records beyond this are dropped and the recovery reported incomplete. */
    static final int MAX_BUFFERED = 4096;

    final Member member;
    final LoopRoom room;
    int index = -1;
    long lastOffset = -1;
    private boolean recovering;
    private List<RoomRecord> buffered;
    private boolean bufferOverflowed;
    private boolean closed;
    /** The member asked for the room's join and leave pushes. */
    boolean joinLeave;

    RoomSubscription(Member member, LoopRoom room, boolean recovering) {
        this.member = member;
        this.room = room;
        this.recovering = recovering;
    }

    public String room() {
        return room.name;
    }

    public Member member() {
        return member;
    }

    public boolean recovering() {
        return recovering;
    }

    public long lastOffset() {
        return lastOffset;
    }

    public boolean closed() {
        return closed;
    }

    /** Whether the member gets the room's join and leave pushes (when the room has them); false at first. */
    public void joinLeave(boolean on) {
        joinLeave = on;
    }

    void buffer(List<RoomRecord> records) {
        if (buffered == null) {
            buffered = new ArrayList<>();
        }
        for (RoomRecord r : records) {
            if (buffered.size() >= MAX_BUFFERED) {
                bufferOverflowed = true;
                return;
            }
            buffered.add(r);
        }
    }

    /**
     * Ends recovery at {@code position} (the newest offset the reply gives the client) and returns the
     * buffered records newer than it, which the caller must send right after the reply. Later batches go out
     * normally.
     */
    public Recovery completeRecovery(long position) {
        recovering = false;
        lastOffset = Math.max(lastOffset, position);
        List<RoomRecord> newer = new ArrayList<>();
        if (buffered != null) {
            for (RoomRecord r : buffered) {
                if (r.offset() > lastOffset) {
                    newer.add(r);
                }
            }
        }
        if (!newer.isEmpty()) {
            lastOffset = newer.get(newer.size() - 1).offset();
        }
        boolean overflowed = bufferOverflowed;
        buffered = null;
        bufferOverflowed = false;
        return new Recovery(newer, overflowed);
    }

    void markClosed() {
        closed = true;
        buffered = null;
    }

    /** What arrived during recovery, and whether some of it had to be dropped. */
    public record Recovery(List<RoomRecord> newer, boolean overflowed) {
    }
}
