package io.danmaku.gateway.protocol.bilibili;

import io.danmaku.gateway.GatewayException;

/**
 * A client broke the binary protocol: the connection is closed with {@link #closeCode()} and the error counted
 * under {@link #kind()} (a fixed vocabulary, used as a metric tag).
 */
final class BilibiliProtocolException extends GatewayException {
    private final String kind;
    private final int closeCode;

    BilibiliProtocolException(String kind, int closeCode, String message) {
        super(message, false);
        this.kind = kind;
        this.closeCode = closeCode;
    }

    String kind() {
        return kind;
    }

    int closeCode() {
        return closeCode;
    }
}
