package io.danmaku.gateway.pipeline;

/**
 * Why the gateway turned a connection away before the WebSocket upgrade, with the HTTP status it answers
 * (none for a handshake timeout: the connection is simply closed). The {@link #tag()} is the {@code reason} tag
 * of {@code danmaku.gateway.refused}.
 */
public enum Refusal {
    /** {@code gateway.connections.per-ip} open connections from this address already. */
    PER_IP("per-ip", 429, "Too Many Requests", "too many connections from your address"),
    /** {@code gateway.connections.max} open connections on this gateway already. */
    MAX("max", 503, "Service Unavailable", "this server is full, try another or retry later"),
    /** More new connections than {@code gateway.connections.accept-rate} allows (with its burst). */
    RATE("rate", 503, "Service Unavailable", "too many new connections, retry later"),
    /** A browser's {@code Origin} that is not allowed ({@code gateway.allowed-origins}). */
    ORIGIN("origin", 403, "Forbidden", "origin not allowed"),
    /** No whole HTTP request within {@code gateway.handshake.timeout}; closed without an answer. */
    HANDSHAKE_TIMEOUT("handshake-timeout", 0, "", ""),
    /**
     * {@code gateway.proxy-protocol} is on and the connection did not start with a valid PROXY header, or came from
     * outside {@code gateway.trusted-proxies}; closed without an answer.
     */
    PROXY_PROTOCOL("proxy-protocol", 0, "", "");

    private final String tag;
    private final int status;
    private final String statusText;
    private final String message;

    Refusal(String tag, int status, String statusText, String message) {
        this.tag = tag;
        this.status = status;
        this.statusText = statusText;
        this.message = message;
    }

    public String tag() {
        return tag;
    }

    /** The HTTP status answered, 0 for none. */
    public int status() {
        return status;
    }

    String statusText() {
        return statusText;
    }

    /** The plain-text body of the answer. */
    String message() {
        return message;
    }
}
