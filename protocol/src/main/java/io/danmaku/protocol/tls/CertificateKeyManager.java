package io.danmaku.protocol.tls;

import static java.util.Objects.requireNonNull;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A server key manager that offers the current pair of a {@link ReloadingCertificate} to each new handshake: the
 * JDK's TLS and gRPC's (OpenSSL or JDK) ask it per handshake, so a reloaded certificate serves new connections
 * from then on and open ones keep theirs, with no new server or context. A handshake that chose an alias just
 * before a reload still gets that pair's key (the alias names the pair). Offers the pair only for the key type it
 * has (an RSA key for {@code RSA}, an EC one for {@code EC}, an Ed25519 one for {@code EdDSA}); never a client
 * certificate.
 */
public final class CertificateKeyManager extends X509ExtendedKeyManager {
    private final Supplier<KeyMaterial> current;
    private final Function<String, KeyMaterial> byAlias;

    /** Offers the current pair of {@code certificate}. */
    public CertificateKeyManager(ReloadingCertificate<?> certificate) {
        requireNonNull(certificate, "certificate");
        this.current = certificate::currentMaterial;
        this.byAlias = certificate::material;
    }

    /** Offers {@code material}, always (a check of the files, a server that never reloads). */
    public CertificateKeyManager(KeyMaterial material) {
        requireNonNull(material, "material");
        this.current = () -> material;
        this.byAlias = alias -> material.alias().equals(alias) ? material : null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return alias(keyType);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return alias(keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        String alias = alias(keyType);
        return alias == null ? null : new String[] {alias};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        KeyMaterial m = byAlias.apply(alias);
        return m == null ? null : m.chainArray();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        KeyMaterial m = byAlias.apply(alias);
        return m == null ? null : m.key();
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return null;
    }

    private String alias(String keyType) {
        KeyMaterial m = current.get();
        if (keyType == null) {
            return m.alias();
        }
        String wanted = keyType.toUpperCase(Locale.ROOT);
        int underscore = wanted.indexOf('_');
        if (underscore > 0) {
            wanted = wanted.substring(0, underscore); // EC_EC, EC_RSA: the key's own type first
        }
        String has = m.key().getAlgorithm().toUpperCase(Locale.ROOT);
        boolean fits = wanted.equals(has)
                || wanted.equals("EDDSA") && (has.equals("ED25519") || has.equals("ED448") || has.equals("EDDSA"));
        return fits ? m.alias() : null;
    }
}
