package io.danmaku.gateway.backend;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Where the Centrifugo protocol's events go in the application's backend ({@code gateway.backend.*}): an HTTP
 * endpoint each, in the shape of Centrifugo's HTTP proxies. Every URL is optional (null = that proxy is off).
 *
 * @param rpcUrl {@code rpc} calls are POSTed here and the answer relayed; null = rpc answers 104 method not found
 * @param sendUrl {@code send} messages are POSTed here, the answer ignored; null = send is dropped (counted)
 * @param connectUrl a {@code connect} without a token is POSTed here and the answer authenticates the connection;
 *        null = such a connect is anonymous (when allowed), as without a backend
 * @param publishUrl a client's {@code publish} is POSTed here after the gateway's own checks and goes on to logic
 *        only if the backend allows it; null = posts go to logic directly
 * @param timeout a call the backend has not answered within this is a failure (error 100); a send is abandoned
 * @param maxInFlight calls (of every kind) one connection may have waiting on the backend; beyond it an rpc or a
 *        publish gets error 111 and a send is dropped (counted)
 * @param maxResponseBytes the largest answer body read from the backend; a larger one is a failure (error 100),
 *        read no further than this
 * @param connectHeaders headers of the client's HTTP request (the WebSocket upgrade, or the unidirectional
 *        connect request) copied onto the connect proxy's request, lower case; empty = none
 */
public record BackendConfig(URI rpcUrl, URI sendUrl, URI connectUrl, URI publishUrl, Duration timeout,
                            int maxInFlight, int maxResponseBytes, List<String> connectHeaders) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
    public static final int DEFAULT_MAX_IN_FLIGHT = 8;
    public static final int DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
    public static final int MIN_RESPONSE_BYTES = 1024;
    public static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
    public static final BackendConfig NONE = builder().build();
    /**
     * Headers the JDK's HTTP client sets itself and refuses to take from a caller, or that would change the proxy
     * request's meaning: never forwarded.
     */
    private static final Set<String> NOT_FORWARDED = Set.of("connection", "content-length", "content-type", "expect",
            "host", "upgrade", "transfer-encoding", "keep-alive", "te", "trailer", "proxy-connection");

    public BackendConfig {
        checkUrl(rpcUrl, "gateway.backend.rpc-url");
        checkUrl(sendUrl, "gateway.backend.send-url");
        checkUrl(connectUrl, "gateway.backend.connect-url");
        checkUrl(publishUrl, "gateway.backend.publish-url");
        requireNonNull(timeout, "gateway.backend.timeout");
        if (timeout.compareTo(Duration.ofMillis(10)) < 0 || timeout.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("gateway.backend.timeout: " + timeout + " (expected: 10ms..1m)");
        }
        if (maxInFlight < 1 || maxInFlight > 1024) {
            throw new IllegalArgumentException("gateway.backend.max-in-flight: " + maxInFlight
                    + " (expected: 1..1024)");
        }
        if (maxResponseBytes < MIN_RESPONSE_BYTES || maxResponseBytes > MAX_RESPONSE_BYTES) {
            throw new IllegalArgumentException("gateway.backend.max-response-bytes: " + maxResponseBytes
                    + " (expected: " + MIN_RESPONSE_BYTES + ".." + MAX_RESPONSE_BYTES + ")");
        }
        connectHeaders = headerNames(connectHeaders);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Whether any proxy is configured (the HTTP client exists only then). */
    public boolean anyEnabled() {
        return rpcUrl != null || sendUrl != null || connectUrl != null || publishUrl != null;
    }

    /** A URL setting: empty or absent = off. */
    public static URI url(String value, String key) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return URI.create(value.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + value + " (expected: an http:// or https:// URL)", e);
        }
    }

    private static void checkUrl(URI url, String key) {
        if (url != null && (url.getScheme() == null || !(url.getScheme().equals("http")
                || url.getScheme().equals("https")) || url.getHost() == null)) {
            throw new IllegalArgumentException(key + ": " + url + " (expected: an http:// or https:// URL)");
        }
    }

    /** The header names, lower case, checked: an HTTP token each, none the proxy request sets itself. */
    private static List<String> headerNames(List<String> names) {
        if (names == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>(names.size());
        for (String n : names) {
            String name = n == null ? "" : n.strip().toLowerCase(Locale.ROOT);
            if (!name.matches("[a-z0-9!#$%&'*+.^_`|~-]+")) {
                throw new IllegalArgumentException("gateway.backend.connect-headers: " + n
                        + " (expected: HTTP header names)");
            }
            if (NOT_FORWARDED.contains(name)) {
                throw new IllegalArgumentException("gateway.backend.connect-headers: " + n
                        + " (expected: a header the proxy request does not set itself; not one of "
                        + NOT_FORWARDED.stream().sorted().toList() + ")");
            }
            if (!out.contains(name)) {
                out.add(name);
            }
        }
        return List.copyOf(out);
    }

    /** Builds a {@link BackendConfig}: every proxy off, the documented defaults. */
    public static final class Builder {
        private URI rpcUrl;
        private URI sendUrl;
        private URI connectUrl;
        private URI publishUrl;
        private Duration timeout = DEFAULT_TIMEOUT;
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private int maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;
        private List<String> connectHeaders = List.of();

        private Builder() {
        }

        public Builder rpcUrl(URI value) {
            rpcUrl = value;
            return this;
        }

        public Builder sendUrl(URI value) {
            sendUrl = value;
            return this;
        }

        public Builder connectUrl(URI value) {
            connectUrl = value;
            return this;
        }

        public Builder publishUrl(URI value) {
            publishUrl = value;
            return this;
        }

        public Builder timeout(Duration value) {
            timeout = value;
            return this;
        }

        public Builder maxInFlight(int value) {
            maxInFlight = value;
            return this;
        }

        public Builder maxResponseBytes(int value) {
            maxResponseBytes = value;
            return this;
        }

        public Builder connectHeaders(List<String> value) {
            connectHeaders = value;
            return this;
        }

        public BackendConfig build() {
            return new BackendConfig(rpcUrl, sendUrl, connectUrl, publishUrl, timeout, maxInFlight,
                    maxResponseBytes, connectHeaders);
        }
    }
}
