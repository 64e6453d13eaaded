package io.danmaku.rpc;

import io.danmaku.protocol.DanmakuException;

/** The rpc module's failures: a server that cannot bind its port. Calls never throw it (they are rejected). */
public class RpcException extends DanmakuException {
    public RpcException(String message, Throwable cause, boolean retriable) {
        super(message, cause, retriable);
    }
}
