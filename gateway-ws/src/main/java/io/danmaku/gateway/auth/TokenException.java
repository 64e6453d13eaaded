package io.danmaku.gateway.auth;

import io.danmaku.gateway.GatewayException;

/**
 * A token was refused. {@link #expired()} tells an expired token from an invalid one; {@link #temporary()} is
 * true as well when the token names a key not fetched yet ({@code token.jwks-url}): a new token and a retry may
 * pass.
 */
public final class TokenException extends GatewayException {
    private final boolean expired;
    private final boolean temporary;

    public TokenException(String message, boolean expired) {
        this(message, expired, expired);
    }

    private TokenException(String message, boolean expired, boolean temporary) {
        super(message, false);
        this.expired = expired;
        this.temporary = temporary;
    }

    /** The token names a key id that the key set does not hold (yet); its fetch has been asked for. */
    public static TokenException unknownKey(String message) {
        return new TokenException(message, false, true);
    }

    public boolean expired() {
        return expired;
    }

    /** Expired, or signed with a key not known yet: the client should get a new token and retry. */
    public boolean temporary() {
        return temporary;
    }
}
