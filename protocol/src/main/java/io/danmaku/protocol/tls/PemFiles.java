package io.danmaku.protocol.tls;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;

/**
 * Reads a certificate chain and a private key from PEM bytes, and checks that they belong together. Each failure
 * is an {@link IllegalArgumentException} naming the setting the bytes came from and what was expected.
 */
public final class PemFiles {
    private static final String KEY_BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String KEY_END = "-----END PRIVATE KEY-----";
    private static final List<String> KEY_ALGORITHMS = List.of("RSA", "EC", "Ed25519", "Ed448");

    private PemFiles() {
    }

    /** Every certificate in {@code pem}, in file order (the server's own first). */
    public static List<X509Certificate> certificates(byte[] pem, String key, Object file) {
        Collection<? extends Certificate> all;
        try {
            all = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(key + ": " + file + " (expected: PEM certificates: " + e.getMessage()
                    + ")");
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (Certificate c : all) {
            chain.add((X509Certificate) c);
        }
        if (chain.isEmpty()) {
            throw new IllegalArgumentException(key + ": " + file + " (expected: a PEM file with at least one "
                    + "certificate)");
        }
        return chain;
    }

    /** The unencrypted PKCS#8 private key in {@code pem}. */
    public static PrivateKey privateKey(byte[] pem, String key, Object file) {
        String text = new String(pem, StandardCharsets.US_ASCII);
        int begin = text.indexOf(KEY_BEGIN);
        int end = begin < 0 ? -1 : text.indexOf(KEY_END, begin);
        if (begin < 0 || end < 0) {
            throw new IllegalArgumentException(key + ": " + file + " (expected: an unencrypted PKCS#8 key, \""
                    + KEY_BEGIN + "\"; convert with openssl pkcs8 -topk8 -nocrypt)");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(begin + KEY_BEGIN.length(), end));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + file + " (expected: a PKCS#8 key in base64)");
        }
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // not this algorithm: try the next
            }
        }
        throw new IllegalArgumentException(key + ": " + file + " (expected: an RSA, EC or EdDSA private key)");
    }

    /** Whether {@code privateKey} is the private half of {@code certificate}'s public key. */
    public static boolean matches(PrivateKey privateKey, X509Certificate certificate) {
        String algorithm = switch (privateKey.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> privateKey.getAlgorithm(); // Ed25519, Ed448
        };
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature sign = Signature.getInstance(algorithm);
            sign.initSign(privateKey);
            sign.update(challenge);
            byte[] signature = sign.sign();
            Signature verify = Signature.getInstance(algorithm);
            verify.initVerify(certificate.getPublicKey());
            verify.update(challenge);
            return verify.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
