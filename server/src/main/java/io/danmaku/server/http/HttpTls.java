package io.danmaku.server.http;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.danmaku.protocol.tls.CertificateKeyManager;
import io.danmaku.protocol.tls.KeyMaterial;
import io.danmaku.protocol.tls.ReloadingCertificate;
import io.danmaku.protocol.tls.TlsFiles;
import io.danmaku.server.config.Config;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;

/**
 * TLS on one of the JDK HTTP servers (logic's server API, storage's history API, the admin port): the certificate
 * and key files watched by a {@link ReloadingCertificate}, as the gateway's are, and one {@link SSLContext} whose
 * {@link CertificateKeyManager} hands each new handshake the current pair. A rotation therefore needs no new
 * server: connections accepted from then on get the new certificate, open ones keep their session. The JDK's TLS
 * (TLS 1.2 and 1.3), no client certificate asked.
 *
 * <p>Meter {@code danmaku.http.tls.reloads} (counter, tags {@code listener} and {@code result}: {@code ok},
 * {@code failed}).
 */
public final class HttpTls implements AutoCloseable {
    private final ReloadingCertificate<KeyMaterial> certificate;
    private final SSLContext context;

    private HttpTls(ReloadingCertificate<KeyMaterial> certificate, SSLContext context) {
        this.certificate = certificate;
        this.context = context;
    }

    /**
     * The files of a listener from {@code certKey} and {@code keyKey} with {@code reloadKey}'s interval, or null when
     * the certificate is not set (plain HTTP). Both set or neither is the configuration's constraint.
     */
    public static TlsFiles files(Config config, String certKey, String keyKey, String reloadKey) {
        Optional<Path> cert = config.getPath(certKey);
        if (cert.isEmpty()) {
            return null;
        }
        Duration interval = config.getDuration(reloadKey);
        return new TlsFiles(cert.get(), config.getPath(keyKey).orElseThrow(), interval, certKey, keyKey);
    }

    /**
     * Loads the pair and starts watching it.
     *
     * @param listener the listener's name, in logs and the meter's {@code listener} tag ({@code admin},
     *     {@code server-api}, {@code history-api})
     * @throws IllegalArgumentException naming the setting whose file cannot be read or used
     */
    public static HttpTls open(TlsFiles files, String listener, MeterRegistry meters) {
        requireNonNull(files, "files");
        requireNonNull(listener, "listener");
        requireNonNull(meters, "meters");
        Counter ok = reloadCounter(meters, listener, "ok");
        Counter failed = reloadCounter(meters, listener, "failed");
        ReloadingCertificate<KeyMaterial> certificate = ReloadingCertificate.open(files, listener + " HTTP TLS",
                material -> material, ok::increment, failed::increment);
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[] {new CertificateKeyManager(certificate)}, null, null);
            return new HttpTls(certificate, context);
        } catch (GeneralSecurityException e) {
            certificate.close();
            throw new IllegalStateException("the JDK has no TLS: " + e, e);
        }
    }

    /**
     * Reads and checks the files once, binding nothing: the check a role makes before it starts.
     *
     * @throws IllegalArgumentException naming the setting whose file cannot be read or used
     */
    public static void check(TlsFiles files) {
        ReloadingCertificate.load(files);
    }

    /** An HTTPS server on {@code address} when {@code tls} is set, else a plain HTTP one; not started. */
    public static HttpServer create(InetSocketAddress address, int backlog, HttpTls tls) throws IOException {
        if (tls == null) {
            return HttpServer.create(address, backlog);
        }
        HttpsServer server = HttpsServer.create(address, backlog);
        server.setHttpsConfigurator(new HttpsConfigurator(tls.context));
        return server;
    }

    /** Reads the files now (the watcher does so every interval); for tests. */
    public boolean reloadIfChanged() {
        return certificate.reloadIfChanged();
    }

    @Override
    public void close() {
        certificate.close();
    }

    private static Counter reloadCounter(MeterRegistry meters, String listener, String result) {
        return Counter.builder("danmaku.http.tls.reloads")
                .description("Changes of an HTTP listener's certificate or key files, loaded (ok) or refused (failed)")
                .tag("listener", listener)
                .tag("result", result)
                .register(meters);
    }
}
