package io.danmaku.gateway.tls;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;

/**
 * TLS on the gateway's port (config section {@code gateway.tls}). Validated once here, then frozen; the files'
 * contents are checked when the context is loaded ({@link ReloadingSslContext#open}).
 *
 * @param certFile PEM file with the server certificate, then any intermediate certificates
 * @param keyFile PEM file with the certificate's private key, unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY})
 * @param reloadInterval how often both files are read again; when their contents changed and form a valid
 *     pair, new connections get the new certificate (live ones keep theirs). {@link Duration#ZERO} = never
 */
public record GatewayTlsConfig(Path certFile, Path keyFile, Duration reloadInterval) {
    public static final String KEY_CERT_FILE = "gateway.tls.cert-file";
    public static final String KEY_KEY_FILE = "gateway.tls.key-file";
    public static final String KEY_RELOAD_INTERVAL = "gateway.tls.reload-interval";

    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(10);
    static final Duration MAX_RELOAD_INTERVAL = Duration.ofHours(1);

    public GatewayTlsConfig {
        requireNonNull(certFile, KEY_CERT_FILE);
        requireNonNull(keyFile, KEY_KEY_FILE);
        requireNonNull(reloadInterval, KEY_RELOAD_INTERVAL);
        if (reloadInterval.isNegative() || reloadInterval.compareTo(MAX_RELOAD_INTERVAL) > 0) {
            throw new IllegalArgumentException(KEY_RELOAD_INTERVAL + ": " + reloadInterval + " (expected: PT0S.."
                    + MAX_RELOAD_INTERVAL + ")");
        }
    }

    public GatewayTlsConfig(Path certFile, Path keyFile) {
        this(certFile, keyFile, DEFAULT_RELOAD_INTERVAL);
    }
}
