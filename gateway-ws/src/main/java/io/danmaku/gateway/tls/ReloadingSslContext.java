package io.danmaku.gateway.tls;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.tls.KeyMaterial;
import io.danmaku.protocol.tls.ReloadingCertificate;
import io.danmaku.protocol.tls.TlsFiles;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import javax.net.ssl.SSLException;

/**
 * The gateway's server {@link SslContext}, replaced when its certificate or key file changes. Every new
 * connection asks for {@link #current()} once, when it is accepted; a replacement therefore applies to
 * handshakes from then on, and connections already open keep the session they have.
 *
 * <p>The files are watched by a {@link ReloadingCertificate} (the same watcher as every other TLS listener's): a
 * changed pair becomes a new context only when the key belongs to the first certificate and the context builds;
 * otherwise the current one stays, with a WARN naming the setting.
 *
 * <p>OpenSSL (BoringSSL through netty-tcnative) where its native library loads, the JDK's TLS otherwise.
 *
 * <p>Meter {@code danmaku.gateway.tls.reloads} (counter, tag {@code result}: {@code ok}, {@code failed}).
 */
public final class ReloadingSslContext implements AutoCloseable {
    private final SslProvider provider;
    private final ReloadingCertificate<SslContext> certificate;

    private ReloadingSslContext(SslProvider provider, ReloadingCertificate<SslContext> certificate) {
        this.provider = provider;
        this.certificate = certificate;
    }

    /**
     * Loads the certificate and key and, unless the reload interval is zero, starts watching them.
     *
     * @throws IllegalArgumentException naming the setting whose file cannot be read or used
     */
    public static ReloadingSslContext open(GatewayTlsConfig config, MeterRegistry meters) {
        requireNonNull(config, "config");
        requireNonNull(meters, "meters");
        SslProvider provider = provider();
        Counter reloaded = reloadCounter(meters, "ok");
        Counter failed = reloadCounter(meters, "failed");
        return new ReloadingSslContext(provider, ReloadingCertificate.open(files(config),
                "gateway TLS (" + (provider == SslProvider.OPENSSL ? "OpenSSL" : "JDK") + ")",
                material -> build(material, provider), reloaded::increment, failed::increment));
    }

    /**
     * Loads the certificate and key once and discards them: the check a role makes before it binds anything.
     *
     * @throws IllegalArgumentException naming the setting whose file cannot be read or used
     */
    public static void check(GatewayTlsConfig config) {
        build(ReloadingCertificate.load(files(requireNonNull(config, "config"))), provider());
    }

    /** OpenSSL when netty-tcnative loads on this machine, else the JDK. */
    public static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /** The context new connections use. */
    public SslContext current() {
        return certificate.current();
    }

    public SslProvider sslProvider() {
        return provider;
    }

    /**
     * Reads both files; when their contents differ from what is loaded and form a valid pair, makes them the
     * context of new connections. Runs on the watcher thread (tests may call it directly).
     *
     * @return whether the context was replaced
     */
    boolean reloadIfChanged() {
        return certificate.reloadIfChanged();
    }

    @Override
    public void close() {
        certificate.close();
    }

    private static TlsFiles files(GatewayTlsConfig config) {
        return new TlsFiles(config.certFile(), config.keyFile(), config.reloadInterval(),
                GatewayTlsConfig.KEY_CERT_FILE, GatewayTlsConfig.KEY_KEY_FILE);
    }

    private static SslContext build(KeyMaterial material, SslProvider provider) {
        try {
            return SslContextBuilder.forServer(material.key(), material.chainArray())
                    .sslProvider(provider)
                    .build();
        } catch (SSLException | RuntimeException e) {
            throw new IllegalArgumentException(GatewayTlsConfig.KEY_CERT_FILE + ", " + GatewayTlsConfig.KEY_KEY_FILE
                    + ": cannot build a TLS context: " + e.getMessage());
        }
    }

    private static Counter reloadCounter(MeterRegistry meters, String result) {
        return Counter.builder("danmaku.gateway.tls.reloads")
                .description("Changes of the gateway's certificate or key files, loaded (ok) or refused (failed)")
                .tag("result", result)
                .register(meters);
    }
}
