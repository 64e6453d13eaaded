package io.danmaku.protocol.tls;

import static java.util.Objects.requireNonNull;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A certificate chain and the private key of its first certificate, checked to belong together.
 *
 * @param alias a name unique to this pair among the pairs one {@link ReloadingCertificate} loaded (the key
 *     manager's alias: a handshake that chose it gets this pair's key even if the files change meanwhile)
 */
public record KeyMaterial(List<X509Certificate> chain, PrivateKey key, String alias) {
    public KeyMaterial {
        chain = List.copyOf(chain);
        requireNonNull(key, "key");
        requireNonNull(alias, "alias");
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("chain: empty (expected: at least the server's certificate)");
        }
    }

    /** The server's own certificate. */
    public X509Certificate leaf() {
        return chain.get(0);
    }

    public X509Certificate[] chainArray() {
        return chain.toArray(X509Certificate[]::new);
    }
}
