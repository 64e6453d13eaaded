package io.danmaku.rpc;

import static java.util.Objects.requireNonNull;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.nio.file.Path;

/**
 * TLS on logic's gRPC port (config section {@code logic.grpc.tls}), optionally mutual.
 *
 * @param certFile PEM file with logic's certificate (then any intermediates)
 * @param keyFile PEM file with its private key (PKCS#8)
 * @param clientCaFile PEM file with the certificate authorities that sign gateways' client certificates; when
 *     set, a gateway without a certificate from one of them is refused at the handshake (mutual TLS). Null =
 *     clients are not asked for a certificate
 */
public record RpcServerTls(Path certFile, Path keyFile, Path clientCaFile) {
    public static final String KEY_CERT_FILE = "logic.grpc.tls.cert-file";
    public static final String KEY_KEY_FILE = "logic.grpc.tls.key-file";
    public static final String KEY_CLIENT_CA_FILE = "logic.grpc.tls.client-ca-file";

    public RpcServerTls {
        requireNonNull(certFile, KEY_CERT_FILE);
        requireNonNull(keyFile, KEY_KEY_FILE);
    }

    /** Whether gateways must present a client certificate. */
    public boolean mutual() {
        return clientCaFile != null;
    }

    /**
     * Reads the files into gRPC server credentials.
     *
     * @throws IllegalArgumentException naming the setting whose file cannot be read
     */
    public ServerCredentials credentials() {
        TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder();
        try {
            b.keyManager(certFile.toFile(), keyFile.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(KEY_CERT_FILE + ", " + KEY_KEY_FILE + ": cannot read " + certFile
                    + " and " + keyFile + " (" + e + ")");
        }
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
        ServerCredentials credentials = credentials();
        try {
            NettyServerBuilder.forPort(0, credentials); // builds the TLS context at once; nothing is bound
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(KEY_CERT_FILE + ", " + KEY_KEY_FILE
                    + (clientCaFile == null ? "" : ", " + KEY_CLIENT_CA_FILE) + ": cannot build a TLS context from "
                    + certFile + " and " + keyFile + (clientCaFile == null ? "" : " and " + clientCaFile) + " ("
                    + rootMessage(e) + ")");
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
