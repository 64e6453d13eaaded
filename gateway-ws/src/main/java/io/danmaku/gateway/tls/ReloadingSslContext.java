package io.danmaku.gateway.tls;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's server {@link SslContext}, replaced when its certificate or key file changes. Every new
 * connection asks for {@link #current()} once, when it is accepted; a replacement therefore applies to
 * handshakes from then on, and connections already open keep the session they have.
 *
 * <p>A watcher thread of its own (file reads and key parsing never run on an event loop) reads both files every
 * {@link GatewayTlsConfig#reloadInterval} and compares their bytes with what was loaded (no reliance on
 * modification times). New contents are loaded only when the key belongs to the first certificate; otherwise, or
 * when a file cannot be read or parsed (a rotation caught half-way: the certificate written, the key not yet),
 * the current context stays, a WARN names the setting, and the next check tries again.
 *
 * <p>OpenSSL (BoringSSL through netty-tcnative) where its native library loads, the JDK's TLS otherwise.
 *
 * <p>Meter {@code danmaku.gateway.tls.reloads} (counter, tag {@code result}: {@code ok}, {@code failed}).
 */
public final class ReloadingSslContext implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReloadingSslContext.class);

    private final GatewayTlsConfig config;
    private final SslProvider provider;
    private final AtomicReference<SslContext> current;
    private final ScheduledExecutorService watcher;
    private final Counter reloaded;
    private final Counter failed;
    // what the current context was built from, and the last contents that failed; watcher thread only
    private byte[] loadedCert;
    private byte[] loadedKey;
    private byte[] rejectedCert;
    private byte[] rejectedKey;
    private boolean readFailing;

    private ReloadingSslContext(GatewayTlsConfig config, SslProvider provider, Loaded first, MeterRegistry meters) {
        this.config = config;
        this.provider = provider;
        this.current = new AtomicReference<>(first.context);
        this.loadedCert = first.certBytes;
        this.loadedKey = first.keyBytes;
        this.reloaded = reloadCounter(meters, "ok");
        this.failed = reloadCounter(meters, "failed");
        if (config.reloadInterval().isZero()) {
            watcher = null;
        } else {
            watcher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "gateway-tls-reload");
                t.setDaemon(true);
                return t;
            });
            long every = config.reloadInterval().toNanos();
            watcher.scheduleWithFixedDelay(this::reloadIfChanged, every, every, TimeUnit.NANOSECONDS);
        }
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
        Loaded first = load(config, provider);
        log.info("gateway TLS on ({}): certificate {} ({}, valid until {}), key {}; files checked for changes {}",
                provider == SslProvider.OPENSSL ? "OpenSSL" : "JDK", config.certFile(),
                first.leaf.getSubjectX500Principal().getName(), first.leaf.getNotAfter().toInstant(),
                config.keyFile(), config.reloadInterval().isZero() ? "never"
                        : "every " + config.reloadInterval().toMillis() + " ms");
        return new ReloadingSslContext(config, provider, first, meters);
    }

    /**
     * Loads the certificate and key once and discards them: the check a role makes before it binds anything.
     *
     * @throws IllegalArgumentException naming the setting whose file cannot be read or used
     */
    public static void check(GatewayTlsConfig config) {
        load(requireNonNull(config, "config"), provider());
    }

    /** OpenSSL when netty-tcnative loads on this machine, else the JDK. */
    public static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /** The context new connections use. */
    public SslContext current() {
        return current.get();
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
    synchronized boolean reloadIfChanged() {
        byte[] cert;
        byte[] key;
        try {
            cert = Files.readAllBytes(config.certFile());
            key = Files.readAllBytes(config.keyFile());
        } catch (IOException e) {
            if (!readFailing) {
                readFailing = true;
                failed.increment();
                log.warn("gateway TLS reload failed: cannot read the TLS files ({}); new connections keep the "
                        + "current certificate", e.toString());
            }
            return false;
        }
        readFailing = false;
        if (Arrays.equals(cert, loadedCert) && Arrays.equals(key, loadedKey)) {
            return false;
        }
        Loaded next;
        try {
            next = build(config, provider, cert, key);
        } catch (IllegalArgumentException e) {
            warnOnce(cert, key, e.getMessage() + "; new connections keep the current certificate until the files "
                    + "change again");
            return false;
        }
        current.set(next.context);
        loadedCert = cert;
        loadedKey = key;
        rejectedCert = null;
        rejectedKey = null;
        reloaded.increment();
        log.info("gateway TLS certificate reloaded from {}: {} (serial {}, valid until {}); live connections keep "
                + "theirs", config.certFile(), next.leaf.getSubjectX500Principal().getName(),
                next.leaf.getSerialNumber().toString(16), next.leaf.getNotAfter().toInstant());
        return true;
    }

    private void warnOnce(byte[] cert, byte[] key, String message) {
        if (Arrays.equals(cert, rejectedCert) && Arrays.equals(key, rejectedKey)) {
            return; // the same bad contents as last time: said already
        }
        rejectedCert = cert;
        rejectedKey = key;
        failed.increment();
        log.warn("gateway TLS reload failed: {}", message);
    }

    @Override
    public void close() {
        if (watcher != null) {
            watcher.shutdownNow();
        }
    }

    private record Loaded(SslContext context, X509Certificate leaf, byte[] certBytes, byte[] keyBytes) {
    }

    private static Loaded load(GatewayTlsConfig config, SslProvider provider) {
        byte[] cert = read(config.certFile(), GatewayTlsConfig.KEY_CERT_FILE);
        byte[] key = read(config.keyFile(), GatewayTlsConfig.KEY_KEY_FILE);
        return build(config, provider, cert, key);
    }

    private static Loaded build(GatewayTlsConfig config, SslProvider provider, byte[] certBytes, byte[] keyBytes) {
        List<X509Certificate> chain = PemFiles.certificates(certBytes, GatewayTlsConfig.KEY_CERT_FILE,
                config.certFile());
        PrivateKey key = PemFiles.privateKey(keyBytes, GatewayTlsConfig.KEY_KEY_FILE, config.keyFile());
        if (!PemFiles.matches(key, chain.get(0))) {
            throw new IllegalArgumentException(GatewayTlsConfig.KEY_KEY_FILE + ": " + config.keyFile()
                    + " (expected: the private key of the first certificate in " + GatewayTlsConfig.KEY_CERT_FILE
                    + ", " + config.certFile() + ")");
        }
        try {
            SslContext context = SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new))
                    .sslProvider(provider)
                    .build();
            return new Loaded(context, chain.get(0), certBytes, keyBytes);
        } catch (SSLException | RuntimeException e) {
            throw new IllegalArgumentException(GatewayTlsConfig.KEY_CERT_FILE + ", " + GatewayTlsConfig.KEY_KEY_FILE
                    + ": cannot build a TLS context from " + config.certFile() + " and " + config.keyFile() + ": "
                    + e.getMessage());
        }
    }

    private static byte[] read(Path file, String key) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(key + ": " + file + " (expected: an existing readable file; " + e
                    + ")");
        }
    }

    private static Counter reloadCounter(MeterRegistry meters, String result) {
        return Counter.builder("danmaku.gateway.tls.reloads")
                .description("Changes of the gateway's certificate or key files, loaded (ok) or refused (failed)")
                .tag("result", result)
                .register(meters);
    }
}
