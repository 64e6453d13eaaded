package io.danmaku.rpc;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.tls.CertificateKeyManager;
import io.danmaku.protocol.tls.ReloadingCertificate;
import io.danmaku.protocol.tls.TlsFiles;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * TLS on logic's gRPC port (config section {@code logic.grpc.tls}), optionally mutual.
 *
 * @param certFile PEM file with logic's certificate (then any intermediates)
 * @param keyFile PEM file with its private key (PKCS#8)
 * @param clientCaFile PEM file with the certificate authorities that sign gateways' client certificates; when
 *     set, a gateway without a certificate from one of them is refused at the handshake (mutual TLS). Null =
 *     clients are not asked for a certificate
 * @param reloadInterval how often the certificate and key files are read again (a changed, matching pair serves
 *     new connections; open ones and their calls keep theirs); {@link Duration#ZERO} = never. The client CA file
 *     is read at start only
 */
public record RpcServerTls(Path certFile, Path keyFile, Path clientCaFile, Duration reloadInterval) {
    public static final String KEY_CERT_FILE = "logic.grpc.tls.cert-file";
    public static final String KEY_KEY_FILE = "logic.grpc.tls.key-file";
    public static final String KEY_CLIENT_CA_FILE = "logic.grpc.tls.client-ca-file";

    public RpcServerTls {
        requireNonNull(certFile, KEY_CERT_FILE);
        requireNonNull(keyFile, KEY_KEY_FILE);
        requireNonNull(reloadInterval, "reloadInterval");
        files(certFile, keyFile, reloadInterval); // checks the interval
    }

    /** Files checked for changes every {@link TlsFiles#DEFAULT_RELOAD_INTERVAL}. */
    public RpcServerTls(Path certFile, Path keyFile, Path clientCaFile) {
        this(certFile, keyFile, clientCaFile, TlsFiles.DEFAULT_RELOAD_INTERVAL);
    }

    /** Whether gateways must present a client certificate. */
    public boolean mutual() {
        return clientCaFile != null;
    }

    /** The certificate and key files, as the watcher reads them. */
    public TlsFiles files() {
        return files(certFile, keyFile, reloadInterval);
    }

    private static TlsFiles files(Path certFile, Path keyFile, Duration reloadInterval) {
        return new TlsFiles(certFile, keyFile, reloadInterval, KEY_CERT_FILE, KEY_KEY_FILE);
    }

    /**
     * gRPC server credentials whose key manager ({@link CertificateKeyManager} of a {@link ReloadingCertificate})
     * hands each new handshake its current pair, so a reloaded certificate needs no new server; the client
     * authorities are read now.
     *
     * @throws IllegalArgumentException naming the setting whose file cannot be read
     */
    ServerCredentials credentials(CertificateKeyManager keys) {
        TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(keys);
        if (clientCaFile != null) {
            try {
                b.trustManager(clientCaFile.toFile());
            } catch (IOException e) {
                throw new IllegalArgumentException(KEY_CLIENT_CA_FILE + ": cannot read " + clientCaFile + " (" + e
                        + ")");
            }
            b.clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
        }
        return b.build();
    }

    /**
     * Reads and parses the files as the server will, without binding anything: the check a role makes before it
     * starts.
     *
     * @throws IllegalArgumentException naming the settings whose files cannot be read or used
     */
    public void check() {
        ServerCredentials credentials = credentials(new CertificateKeyManager(ReloadingCertificate.load(files())));
        try {
            NettyServerBuilder.forPort(0, credentials); // builds the TLS context at once; nothing is bound
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(KEY_CERT_FILE + ", " + KEY_KEY_FILE
                    + (clientCaFile == null ? "" : ", " + KEY_CLIENT_CA_FILE) + ": cannot build a TLS context "
                    + "from " + certFile + " and " + keyFile + (clientCaFile == null ? "" : " and " + clientCaFile)
                    + " (" + rootMessage(e) + ")");
        }
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? e.toString() : e.getMessage() + ": " + root;
    }
}
