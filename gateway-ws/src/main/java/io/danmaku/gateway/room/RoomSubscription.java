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
 *
 * <p>While {@link #behind()}, batches were skipped because the connection was not writable: {@code lastOffset}
 * is still the newest record written to it. Once writable again it catches up from the room's recent ring (the
 * records after {@code lastOffset}, in one write) or, when the ring no longer holds all of them, its member is
 * told in its protocol's way ({@link Member#onFellBehind}). Whether it is behind is decided by the batches the
 * gateway skipped for it, never by gaps between offsets: a room's offsets are not contiguous.
 */
public final class RoomSubscription {
    /** Buffered records beyond this are dropped and the recovery reported incomplete. */
    static final int MAX_BUFFERED = 4096;

    final Member member;
    final LoopRoom room;
    /** The member's user when the room is sampled (its own posts left out of the sample still reach it), else null. */
    final String userId;
    int index = -1;
    /** During a flush: this member's own posts the room's sample left out of the batch; null otherwise. */
    List<RoomRecord> own;
    long lastOffset = -1;
    private boolean recovering;
    private List<RoomRecord> buffered;
    private boolean bufferOverflowed;
    private boolean closed;
    /** Batches were skipped (connection unwritable) and not caught up yet; see the class comment. */
    boolean behind;
    /** The epoch of the first batch skipped while behind: a ring of another epoch cannot cover it. */
    String behindEpoch;
    private boolean serverSide;
    /** The member asked for the room's join and leave pushes. */
    boolean joinLeave;

    RoomSubscription(Member member, LoopRoom room, boolean recovering) {
        this.member = member;
        this.room = room;
        this.userId = room.sampled ? member.userId() : null;
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

    /** Batches were skipped for this member, not yet caught up or told. */
    public boolean behind() {
        return behind;
    }

    /**
     * Marks this subscription as made on the server's initiative (the server API's subscribe): the client cannot
     * subscribe to it again by itself, so a protocol may signal a gap on it differently.
     */
    public void markServerSide() {
        serverSide = true;
    }

    public boolean serverSide() {
        return serverSide;
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
