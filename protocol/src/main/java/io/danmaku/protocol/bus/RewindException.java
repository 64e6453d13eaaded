package io.danmaku.protocol.bus;

import io.danmaku.protocol.DanmakuException;
import java.util.Map;

/**
 * A {@link GroupListener}'s stage fails with this when it needs records of some streams from before the batch
 * it was handed: a storage process that took a partition over finds that the archive it shares with the other
 * processes ends before the group's committed position (the previous owner died with records it had not yet
 * sealed into the archive). The bus starts each named stream again at the given offset (the first record
 * at or after it), instead of at the batch's first record, at once and without a backoff; streams not named
 * restart at the batch as after any failure. Records before the batch come again, so writes stay idempotent.
 */
public final class RewindException extends DanmakuException {
    private final Map<String, Long> from;

    /** @param from per stream ({@link MessageBus#streamOf}), the offset to deliver again from */
    public RewindException(Map<String, Long> from) {
        super("rewind " + from, null, true);
        this.from = Map.copyOf(from);
    }

    public Map<String, Long> from() {
        return from;
    }
}
