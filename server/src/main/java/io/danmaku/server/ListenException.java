package io.danmaku.server;

import static java.util.Objects.requireNonNull;

import java.util.Locale;

/**
 * A listening port that could not be bound: the message is one line naming the configuration key, the address and
 * the cause, e.g. {@code gateway.port: cannot listen on 0.0.0.0:8080: address already in use}. Exit status 1.
 */
public final class ListenException extends ServerException {
    private ListenException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * @param key the configuration key of the port (e.g. {@code gateway.port})
     * @param host the configured host
     * @param port the configured port
     * @param cause what the bind threw (its chain is searched for the reason)
     */
    public static ListenException of(String key, String host, int port, Throwable cause) {
        requireNonNull(key, "key");
        requireNonNull(host, "host");
        requireNonNull(cause, "cause");
        return new ListenException(key + ": cannot listen on " + host + ":" + port + ": " + reason(cause), cause);
    }

    /** True when {@code e} or one of its causes is a failure to bind (any transport: JDK, Netty epoll, gRPC). */
    public static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.net.BindException) {
                return true;
            }
            String message = t.getMessage();
            if (message != null && (message.startsWith("bind(..) failed") || message.contains("Failed to bind"))) {
                return true;
            }
        }
        return false;
    }

    /** The reason in the JDK's words, lower-cased, without a native error number or stack. */
    static String reason(Throwable e) {
        Throwable root = e;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage();
            if (message != null && message.toLowerCase(Locale.ROOT).contains("address already in use")) {
                return "address already in use";
            }
            root = t;
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        message = message.replaceFirst("^bind\\(\\.\\.\\) failed with error\\(-?\\d+\\): ", "");
        return message.isEmpty() ? message : Character.toLowerCase(message.charAt(0)) + message.substring(1);
    }
}
