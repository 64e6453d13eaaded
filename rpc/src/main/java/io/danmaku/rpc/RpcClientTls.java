package io.danmaku.rpc;

import io.grpc.ChannelCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Path;

/**
 * TLS from a gateway to logic (config section {@code gateway.logic.tls}), optionally with a client certificate.
 * The server's certificate must name what the gateway dialled: the host of a static target entry, or the name of
 * a {@code dns:///} target (the same name for every instance found under it).
 *
 * @param caFile PEM file with the certificate authorities to trust for logic's certificate; null = the JDK's
 *     default trust store
 * @param certFile PEM file with this gateway's client certificate, for logic's mutual TLS; null = none
 * @param keyFile PEM file with its private key (PKCS#8); set exactly when {@code certFile} is
 */
public record RpcClientTls(Path caFile, Path certFile, Path keyFile) {
    public static final String KEY_ENABLED = "gateway.logic.tls.enabled";
    public static final String KEY_CA_FILE = "gateway.logic.tls.ca-file";
    public static final String KEY_CERT_FILE = "gateway.logic.tls.cert-file";
    public static final String KEY_KEY_FILE = "gateway.logic.tls.key-file";

    public RpcClientTls {
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException(KEY_CERT_FILE + ", " + KEY_KEY_FILE + ": " + certFile + ", " + keyFile
                    + " (expected: both set or both unset)");
        }
    }

    /**
     * Reads the files into gRPC channel credentials.
     *
     * @throws IllegalArgumentException naming the setting whose file cannot be read
     */
    public ChannelCredentials credentials() {
        TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
        if (caFile != null) {
            try {
                b.trustManager(caFile.toFile());
            } catch (IOException e) {
                throw new IllegalArgumentException(KEY_CA_FILE + ": cannot read " + caFile + " (" + e + ")");
            }
        }
        if (certFile != null) {
            try {
                b.keyManager(certFile.toFile(), keyFile.toFile());
            } catch (IOException e) {
                throw new IllegalArgumentException(KEY_CERT_FILE + ", " + KEY_KEY_FILE + ": cannot read " + certFile
                        + " and " + keyFile + " (" + e + ")");
            }
        }
        return b.build();
    }

    /**
     * Reads and parses the files as the client will, without connecting: the check a role makes before it
     * starts.
     *
     * @throws IllegalArgumentException naming the settings whose files cannot be read or used
     */
    public void check() {
        ChannelCredentials credentials = credentials();
        try {
            // builds the TLS context at once; a channel is neither built nor connected
            NettyChannelBuilder.forAddress("localhost", 1, credentials);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(KEY_CA_FILE + ", " + KEY_CERT_FILE + ", " + KEY_KEY_FILE
                    + ": cannot build a TLS context from " + caFile + ", " + certFile + ", " + keyFile + " ("
                    + RpcServerTls.rootMessage(e) + ")");
        }
    }
}
