package io.danmaku.gateway.backend;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;

/**
 * Where the Centrifugo protocol's {@code rpc} and {@code send} commands go ({@code gateway.backend.*}): an HTTP
 * endpoint of the application's backend each, in the shape of Centrifugo's RPC proxy.
 *
 * @param rpcUrl {@code rpc} calls are POSTed here and the answer relayed; null = rpc answers 104 method not found
 * @param sendUrl {@code send} messages are POSTed here, the answer ignored; null = send is dropped (counted)
 * @param timeout an rpc the backend has not answered within this gets error 100; a send is abandoned
 * @param maxInFlight calls (rpc and send together) one connection may have waiting on the backend; beyond it an
 *        rpc gets error 111 and a send is dropped (counted)
 */
public record BackendConfig(URI rpcUrl, URI sendUrl, Duration timeout, int maxInFlight) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
    public static final int DEFAULT_MAX_IN_FLIGHT = 8;
    public static final BackendConfig NONE = new BackendConfig(null, null, DEFAULT_TIMEOUT, DEFAULT_MAX_IN_FLIGHT);

    public BackendConfig {
        checkUrl(rpcUrl, "gateway.backend.rpc-url");
        checkUrl(sendUrl, "gateway.backend.send-url");
        requireNonNull(timeout, "gateway.backend.timeout");
        if (timeout.compareTo(Duration.ofMillis(10)) < 0 || timeout.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("gateway.backend.timeout: " + timeout + " (expected: 10ms..1m)");
        }
        if (maxInFlight < 1 || maxInFlight > 1024) {
            throw new IllegalArgumentException("gateway.backend.max-in-flight: " + maxInFlight
                    + " (expected: 1..1024)");
        }
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
}
