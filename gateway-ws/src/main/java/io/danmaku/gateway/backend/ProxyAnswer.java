package io.danmaku.gateway.backend;

/**
 * What the backend answered to a proxied call, as Centrifugo's HTTP proxies read it: a result (its meaning depends
 * on the call: {@code T}), an error for the client, or a disconnect. A failure of the call itself (no answer, not
 * 200, unreadable, too large) arrives as {@link Error} 100, temporary.
 *
 * @param <T> what a result carries: the rpc's data, the connect's credentials, the publish's replaced data
 */
public sealed interface ProxyAnswer<T> {
    /** {@code {"result":{…}}}, read for the call: {@code value} (null when the result has nothing to give). */
    record Result<T>(T value) implements ProxyAnswer<T> {
    }

    /** {@code {"error":{"code","message","temporary"}}}, or an error of the call itself (100 internal, 111). */
    record Error<T>(int code, String message, boolean temporary) implements ProxyAnswer<T> {
    }

    /** {@code {"disconnect":{"code","reason"}}}: the connection is closed with this code. */
    record Disconnect<T>(int code, String reason) implements ProxyAnswer<T> {
    }
}
