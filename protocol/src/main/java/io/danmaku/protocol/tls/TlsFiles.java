package io.danmaku.protocol.tls;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A listener's certificate and key files, how often they are read again, and the configuration keys they came
 * from (named in every error and warning).
 *
 * @param certFile PEM file with the server certificate, then any intermediates
 * @param keyFile PEM file with the certificate's private key, unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY})
 * @param reloadInterval how often both files are read again; {@link Duration#ZERO} = never
 * @param certKey the configuration key of {@code certFile}
 * @param keyKey the configuration key of {@code keyFile}
 */
public record TlsFiles(Path certFile, Path keyFile, Duration reloadInterval, String certKey, String keyKey) {
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(10);
    public static final Duration MAX_RELOAD_INTERVAL = Duration.ofHours(1);

    public TlsFiles {
        requireNonNull(certKey, "certKey");
        requireNonNull(keyKey, "keyKey");
        requireNonNull(certFile, certKey);
        requireNonNull(keyFile, keyKey);
        requireNonNull(reloadInterval, "reloadInterval");
        if (reloadInterval.isNegative() || reloadInterval.compareTo(MAX_RELOAD_INTERVAL) > 0) {
            throw new IllegalArgumentException("reload interval of " + certKey + ": " + reloadInterval
                    + " (expected: PT0S.." + MAX_RELOAD_INTERVAL + ")");
        }
    }
}
