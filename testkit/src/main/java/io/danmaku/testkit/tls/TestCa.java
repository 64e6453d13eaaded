package io.danmaku.testkit.tls;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate authority (EC P-256) for tests: issues server certificates valid for
 * {@code 127.0.0.1} and {@code localhost} (or for the names given), and client certificates, each with its own
 * serial number. Everything is made in memory at test time; {@link Issued#writeTo} writes the PEM files a server
 * reads (certificate, then the private key as unencrypted PKCS#8).
 */
public final class TestCa {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern IP_LITERAL = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    private final String name;
    private final KeyPair keys;
    private final X509Certificate certificate;

    private TestCa(String name, KeyPair keys, X509Certificate certificate) {
        this.name = name;
        this.keys = keys;
        this.certificate = certificate;
    }

    /** A new authority named {@code CN=<name>}. */
    public static TestCa create(String name) {
        requireNonNull(name, "name");
        try {
            KeyPair keys = newKeyPair();
            X500Name subject = new X500Name("CN=" + name);
            X509v3CertificateBuilder b = builder(subject, subject, keys);
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            return new TestCa(name, keys, sign(b, keys.getPrivate()));
        } catch (IOException | GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException("cannot create test CA " + name, e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** Writes the authority's certificate as PEM to {@code file} and returns the file. */
    public Path writeCertificate(Path file) {
        write(file, pem(certificate));
        return file;
    }

    /** A server certificate for {@code 127.0.0.1} and {@code localhost}, named {@code CN=<commonName>}. */
    public Issued issueServer(String commonName) {
        return issueServer(commonName, List.of("127.0.0.1", "localhost"));
    }

    /**
     * A server certificate named {@code CN=<commonName>} for exactly {@code names}: each an IP address (an IP
     * entry of the subject alternative names) or a DNS name.
     */
    public Issued issueServer(String commonName, List<String> names) {
        if (requireNonNull(names, "names").isEmpty()) {
            throw new IllegalArgumentException("names: [] (expected: at least one address or DNS name)");
        }
        return issue(commonName, names);
    }

    /** A client certificate named {@code CN=<commonName>}. */
    public Issued issueClient(String commonName) {
        return issue(commonName, null);
    }

    /** {@code serverNames} null = a client certificate. */
    private Issued issue(String commonName, List<String> serverNames) {
        requireNonNull(commonName, "commonName");
        boolean server = serverNames != null;
        try {
            KeyPair leafKeys = newKeyPair();
            X509v3CertificateBuilder b = builder(new X500Name("CN=" + name), new X500Name("CN=" + commonName),
                    leafKeys);
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    server ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth));
            if (server) {
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(serverNames.stream()
                        .map(n -> new GeneralName(IP_LITERAL.matcher(n).matches() || n.contains(":")
                                ? GeneralName.iPAddress : GeneralName.dNSName, n))
                        .toArray(GeneralName[]::new)));
            }
            return new Issued(sign(b, keys.getPrivate()), leafKeys.getPrivate(), this);
        } catch (IOException | GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException("cannot issue test certificate " + commonName, e);
        }
    }

    /** A client context that trusts only this authority and has no certificate of its own. */
    public RecordingTrust trust() {
        return trust(null);
    }

    /**
     * A client context that trusts only this authority and presents {@code clientCertificate} when asked (null =
     * none).
     */
    public RecordingTrust trust(Issued clientCertificate) {
        try {
            KeyStore anchors = KeyStore.getInstance("PKCS12");
            anchors.load(null, null);
            anchors.setCertificateEntry("ca", certificate);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(anchors);
            X509ExtendedTrustManager delegate = (X509ExtendedTrustManager) tmf.getTrustManagers()[0];
            RecordingTrust recording = new RecordingTrust(delegate);
            KeyManagerFactory kmf = null;
            if (clientCertificate != null) {
                char[] password = "test".toCharArray();
                KeyStore own = KeyStore.getInstance("PKCS12");
                own.load(null, null);
                own.setKeyEntry("client", clientCertificate.key(), password,
                        new X509Certificate[] {clientCertificate.certificate(), certificate});
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(own, password);
            }
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(kmf == null ? null : kmf.getKeyManagers(), new javax.net.ssl.TrustManager[] {recording},
                    RANDOM);
            recording.context = ssl;
            return recording;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot build a client TLS context", e);
        }
    }

    /** A certificate this authority issued, with its private key. */
    public record Issued(X509Certificate certificate, PrivateKey key, TestCa issuer) {
        /** The serial number, which tells two certificates of one name apart. */
        public BigInteger serial() {
            return certificate.getSerialNumber();
        }

        /** Writes {@code <dir>/<prefix>.crt} (the certificate) and {@code <dir>/<prefix>.key} (PKCS#8). */
        public PemFiles writeTo(Path dir, String prefix) {
            Path cert = dir.resolve(prefix + ".crt");
            Path keyFile = dir.resolve(prefix + ".key");
            writeFiles(cert, keyFile);
            return new PemFiles(cert, keyFile);
        }

        /**
         * Writes the certificate and the key over {@code certFile} and {@code keyFile}, each replaced at once
         * (written aside, then moved), as a certificate manager rotating them would.
         */
        public void writeFiles(Path certFile, Path keyFile) {
            write(certFile, pem(certificate));
            write(keyFile, pkcs8(key));
        }
    }

    /** The two files of an {@link Issued} certificate. */
    public record PemFiles(Path certFile, Path keyFile) {
    }

    /**
     * A client {@link SSLContext} trusting one authority that records the certificate each server presented
     * (the leaf, first of the chain), in handshake order.
     */
    public static final class RecordingTrust extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager delegate;
        private final List<X509Certificate> seen = new CopyOnWriteArrayList<>();
        private SSLContext context;

        private RecordingTrust(X509ExtendedTrustManager delegate) {
            this.delegate = delegate;
        }

        public SSLContext context() {
            return context;
        }

        /** The server certificates presented so far, oldest first. */
        public List<X509Certificate> seen() {
            return List.copyOf(seen);
        }

        /** The certificate presented by the latest handshake. */
        public X509Certificate last() {
            if (seen.isEmpty()) {
                throw new AssertionError("no TLS handshake yet");
            }
            return seen.get(seen.size() - 1);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            delegate.checkServerTrusted(chain, authType, socket);
            seen.add(chain[0]);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            delegate.checkServerTrusted(chain, authType, engine);
            seen.add(chain[0]);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
            seen.add(chain[0]);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            delegate.checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            delegate.checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            ((X509TrustManager) delegate).checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair subjectKeys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIALS.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))), subject,
                subjectKeys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey issuerKey)
            throws GeneralSecurityException, org.bouncycastle.operator.OperatorCreationException {
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey);
        return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    }

    private static String pem(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static String pkcs8(PrivateKey key) {
        try {
            return pem(new JcaPKCS8Generator(key, null).generate());
        } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".tmp-", ".pem");
            Files.writeString(tmp, text, StandardCharsets.US_ASCII);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
