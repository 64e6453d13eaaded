package io.danmaku.server;

import io.danmaku.protocol.DanmakuException;

/**
 * Root of the unchecked exceptions thrown by the server module: starting a role, binding its ports, loading its
 * configuration. Never retriable: the process reports it and exits.
 */
public class ServerException extends DanmakuException {
    public ServerException(String message) {
        super(message, false);
    }

    public ServerException(String message, Throwable cause) {
        super(message, cause, false);
    }
}
