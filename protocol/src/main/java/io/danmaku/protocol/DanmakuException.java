package io.danmaku.protocol;

/**
 * Root of the unchecked exceptions thrown by the protocol module and its seams. {@link #retriable()} tells
 * callers whether the same operation may succeed later (a broker or store that is down) or never will
 * (bad input, a closed component).
 */
public class DanmakuException extends RuntimeException {
    private final boolean retriable;

    public DanmakuException(String message, boolean retriable) {
        super(message);
        this.retriable = retriable;
    }

    public DanmakuException(String message, Throwable cause, boolean retriable) {
        super(message, cause);
        this.retriable = retriable;
    }

    public boolean retriable() {
        return retriable;
    }
}
