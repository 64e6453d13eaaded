package io.danmaku.store.redis;

import io.lettuce.core.SslOptions;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The files of TLS to Redis (config section {@code store.redis.tls}); TLS itself is on for {@code rediss://} URIs.
 * Lettuce checks the server's certificate against the authorities and the host name of each node it connects to
 * (in a cluster, the addresses the nodes announce), so the nodes' certificates must name them.
 *
 * @param caFile PEM file with the authorities of the Redis servers' certificates; null = the JDK's trust store
 * @param certFile PEM file with this client's certificate for servers with {@code tls-auth-clients yes}; null =
 *     none
 * @param keyFile PEM file with its private key, unencrypted PKCS#8; set exactly when {@code certFile} is
 */
public record RedisTls(Path caFile, Path certFile, Path keyFile) {
    public static final String KEY_CA_FILE = "store.redis.tls.ca-file";
    public static final String KEY_CERT_FILE = "store.redis.tls.cert-file";
    public static final String KEY_KEY_FILE = "store.redis.tls.key-file";

    public RedisTls {
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException(KEY_CERT_FILE + ", " + KEY_KEY_FILE + ": " + certFile + ", " + keyFile
                    + " (expected: both set or both unset)");
        }
        readable(caFile, KEY_CA_FILE);
        readable(certFile, KEY_CERT_FILE);
        readable(keyFile, KEY_KEY_FILE);
    }

    /**
     * Lettuce's options for these files (the JDK's TLS). Lettuce reads the files for every new connection, into an
     * in-memory key store: a JKS one, since the default PKCS#12 encrypts the key as it is put in (PBKDF2, 10,000
     * rounds of SHA-256), which made every connection of a cluster cost tens of milliseconds of CPU.
     */
    SslOptions sslOptions() {
        SslOptions.Builder b = SslOptions.builder().jdkSslProvider().keyStoreType("JKS");
        if (caFile != null) {
            b.trustManager(caFile.toFile());
        }
        if (certFile != null) {
            b.keyManager(certFile.toFile(), keyFile.toFile(), null);
        }
        return b.build();
    }

    private static void readable(Path file, String key) {
        if (file != null && !Files.isReadable(file)) {
            throw new IllegalArgumentException(key + ": " + file + " (expected: an existing readable file)");
        }
    }
}
