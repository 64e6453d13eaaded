package io.danmaku.protocol.bus;

import io.danmaku.protocol.DanmakuException;

/** The bus could not accept a publish now (broker down, buffer full, deadline passed). Retriable. */
public final class BusUnavailableException extends DanmakuException {
    public BusUnavailableException(String message) {
        super(message, true);
    }

    public BusUnavailableException(String message, Throwable cause) {
        super(message, cause, true);
    }
}
