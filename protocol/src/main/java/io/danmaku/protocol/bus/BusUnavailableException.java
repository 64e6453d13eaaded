package io.danmaku.protocol.bus;

import io.danmaku.protocol.DanmakuException;

/**
 * The bus could not accept a publish now (broker down, buffer full, deadline passed). Retriable. Unless made by
 * {@link #notPublished}, the publish may still have been written (a deadline passed while it was in flight):
 * {@link #mayHaveBeenPublished()} tells callers that must not publish twice.
 */
public final class BusUnavailableException extends DanmakuException {
    private final boolean mayHaveBeenPublished;

    /** A failure after which the messages may still have been written. */
    public BusUnavailableException(String message) {
        this(message, null, true);
    }

    /** A failure after which the messages may still have been written. */
    public BusUnavailableException(String message, Throwable cause) {
        this(message, cause, true);
    }

    private BusUnavailableException(String message, Throwable cause, boolean mayHaveBeenPublished) {
        super(message, cause, true);
        this.mayHaveBeenPublished = mayHaveBeenPublished;
    }

    /** A publish refused before any of its messages left (bus closed, queue full): certainly not written. */
    public static BusUnavailableException notPublished(String message) {
        return new BusUnavailableException(message, null, false);
    }

    /** False only when none of the publish's messages was written. */
    public boolean mayHaveBeenPublished() {
        return mayHaveBeenPublished;
    }
}
