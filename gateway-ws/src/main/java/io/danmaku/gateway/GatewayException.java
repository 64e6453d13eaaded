package io.danmaku.gateway;

import io.danmaku.protocol.DanmakuException;

/** Root of the gateway's unchecked exceptions. */
public class GatewayException extends DanmakuException {
    public GatewayException(String message, boolean retriable) {
        super(message, retriable);
    }

    public GatewayException(String message, Throwable cause, boolean retriable) {
        super(message, cause, retriable);
    }
}
