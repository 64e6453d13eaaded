package io.danmaku.gateway.backend;

/** What the backend answered to an {@code rpc}, as Centrifugo's RPC proxy reads it. */
public sealed interface RpcAnswer {
    /** {@code {"result":{"data":…}}}: the data (raw JSON) goes to the client; null when the result has none. */
    record Result(String dataJson) implements RpcAnswer {
    }

    /** {@code {"error":{"code","message","temporary"}}}, or an error of the call itself (100 internal, 111). */
    record Error(int code, String message, boolean temporary) implements RpcAnswer {
    }

    /** {@code {"disconnect":{"code","reason"}}}: the connection is closed with this code. */
    record Disconnect(int code, String reason) implements RpcAnswer {
    }
}
