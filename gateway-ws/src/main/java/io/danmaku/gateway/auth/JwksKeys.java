package io.danmaku.gateway.auth;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Token keys from a JWKS URL ({@code token.jwks-url}): RSA keys for RS256 and EC P-256 keys for ES256, by
 * {@code kid}. Fetched with the JDK's HTTP client on a thread of its own, never on an event loop: once at
 * {@link #start()}, then every {@code refreshInterval}, and when a token names a {@code kid} not in the set
 * (a key rotated in), at most once per {@code minRefetchInterval}. A document that cannot be fetched or parsed
 * keeps the keys already held. Thread-safe; lookups read one volatile map.
 */
public final class JwksKeys implements AutoCloseable {
    public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofMinutes(5);
    public static final Duration DEFAULT_MIN_REFETCH_INTERVAL = Duration.ofSeconds(10);
    /** A key set larger than this is refused (a JWKS document is a few KB). */
    static final int MAX_DOCUMENT_BYTES = 1 << 20;
    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(10);
    private static final Logger log = LoggerFactory.getLogger(JwksKeys.class);

    private final URI url;
    private final Duration refreshInterval;
    private final long minRefetchNanos;
    private final HttpClient http;
    private final ScheduledExecutorService thread;
    private final AtomicBoolean fetchQueued = new AtomicBoolean();
    private final AtomicLong lastFetchNanos = new AtomicLong(Long.MIN_VALUE / 2);
    private volatile Map<String, PublicKey> byKid = Map.of();

    /**
     * @param url where the key set is served ({@code http} or {@code https})
     * @param refreshInterval how often the set is fetched again; 0 = only at start and on an unknown {@code kid}
     * @param minRefetchInterval the least time between two fetches asked for by unknown {@code kid}s
     */
    public JwksKeys(URI url, Duration refreshInterval, Duration minRefetchInterval) {
        this.url = requireNonNull(url, "url");
        String scheme = url.getScheme();
        if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
            throw new IllegalArgumentException("token.jwks-url: " + url + " (expected: an http:// or https:// URL)");
        }
        this.refreshInterval = requireNonNull(refreshInterval, "refreshInterval");
        this.minRefetchNanos = requireNonNull(minRefetchInterval, "minRefetchInterval").toNanos();
        this.http = HttpClient.newBuilder().connectTimeout(FETCH_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "danmaku-jwks");
            t.setDaemon(true);
            return t;
        });
    }

    /** Fetches the set once (waiting for it) and schedules the refreshes; a failed first fetch is a WARN. */
    public JwksKeys start() {
        refresh();
        if (!refreshInterval.isZero()) {
            long every = refreshInterval.toNanos();
            thread.scheduleWithFixedDelay(this::refresh, every, every, TimeUnit.NANOSECONDS);
        }
        return this;
    }

    /** The RS256 key named {@code kid}, or null (and a fetch is asked for, rate-limited). */
    public RSAPublicKey rsa(String kid) {
        return lookup(kid) instanceof RSAPublicKey k ? k : null;
    }

    /** The ES256 (P-256) key named {@code kid}, or null (and a fetch is asked for, rate-limited). */
    public ECPublicKey ec(String kid) {
        return lookup(kid) instanceof ECPublicKey k ? k : null;
    }

    /** The {@code kid}s held now. */
    public Set<String> kids() {
        return byKid.keySet();
    }

    private PublicKey lookup(String kid) {
        PublicKey key = kid == null ? null : byKid.get(kid);
        if (key == null && kid != null) {
            requestFetch();
        }
        return key;
    }

    /** Queues one fetch unless one is queued or the last started less than the minimum interval ago. */
    private void requestFetch() {
        long now = System.nanoTime();
        if (now - lastFetchNanos.get() < minRefetchNanos || !fetchQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            thread.execute(() -> {
                fetchQueued.set(false);
                refresh();
            });
        } catch (RejectedExecutionException closed) {
            fetchQueued.set(false);
        }
    }

    /** Fetches and parses the set now, on the calling thread; keeps the old set on failure. */
    void refresh() {
        lastFetchNanos.set(System.nanoTime());
        try {
            HttpRequest request = HttpRequest.newBuilder(url).timeout(FETCH_TIMEOUT)
                    .header("Accept", "application/json").GET().build();
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            byte[] body;
            try (InputStream in = response.body()) {
                body = in.readNBytes(MAX_DOCUMENT_BYTES + 1);
            }
            if (response.statusCode() != 200) {
                throw new IOException("HTTP " + response.statusCode());
            }
            if (body.length > MAX_DOCUMENT_BYTES) {
                throw new IOException("document over " + MAX_DOCUMENT_BYTES + " bytes");
            }
            Map<String, PublicKey> keys = parse(body);
            if (!keys.keySet().equals(byKid.keySet())) {
                log.info("token.jwks-url: {} key(s): {}", keys.size(), new TreeSet<>(keys.keySet()));
            }
            byKid = Map.copyOf(keys);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("token.jwks-url: {}: keys not refreshed, keeping {} key(s): {}", url, byKid.size(),
                    e.toString());
        }
    }

    /** The usable keys of a JWKS document: RSA and EC P-256 signature keys with a {@code kid}; others skipped. */
    static Map<String, PublicKey> parse(byte[] document) throws IOException {
        JsonNode keys = Json.MAPPER.readTree(document).path("keys");
        if (!keys.isArray()) {
            throw new IOException("no keys array (expected: a JWK set, {\"keys\":[...]})");
        }
        Map<String, PublicKey> out = new HashMap<>();
        for (JsonNode jwk : keys) {
            String kid = jwk.path("kid").asText("");
            String use = jwk.path("use").asText("sig");
            if (kid.isEmpty() || !use.equals("sig")) {
                continue;
            }
            try {
                PublicKey key = switch (jwk.path("kty").asText("")) {
                    case "RSA" -> rsaKey(jwk);
                    case "EC" -> "P-256".equals(jwk.path("crv").asText("")) ? ecKey(jwk) : null;
                    default -> null;
                };
                if (key != null) {
                    out.put(kid, key);
                }
            } catch (Exception e) {
                log.warn("token.jwks-url: key {} skipped: {}", kid, e.toString());
            }
        }
        return out;
    }

    private static PublicKey rsaKey(JsonNode jwk) throws Exception {
        return KeyFactory.getInstance("RSA").generatePublic(
                new RSAPublicKeySpec(number(jwk, "n"), number(jwk, "e")));
    }

    private static PublicKey ecKey(JsonNode jwk) throws Exception {
        AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
        p.init(new ECGenParameterSpec("secp256r1"));
        ECParameterSpec spec = p.getParameterSpec(ECParameterSpec.class);
        return KeyFactory.getInstance("EC").generatePublic(
                new ECPublicKeySpec(new ECPoint(number(jwk, "x"), number(jwk, "y")), spec));
    }

    private static BigInteger number(JsonNode jwk, String field) {
        String text = jwk.path(field).asText("");
        if (text.isEmpty()) {
            throw new IllegalArgumentException(field + " missing");
        }
        return new BigInteger(1, Base64.getUrlDecoder().decode(text));
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }

    @Override
    public String toString() {
        return url.toString();
    }
}
