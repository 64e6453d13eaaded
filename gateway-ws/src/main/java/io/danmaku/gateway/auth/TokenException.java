package io.danmaku.gateway.auth;

import io.danmaku.gateway.GatewayException;

/** A connection token was refused; {@link #expired()} tells an expired token from an invalid one. */
public final class TokenException extends GatewayException {
    private final boolean expired;

    public TokenException(String message, boolean expired) {
        super(message, false);
        this.expired = expired;
    }

    public boolean expired() {
        return expired;
    }
}
