package io.danmaku.protocol.tls;

import static java.util.Objects.requireNonNull;

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
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener's certificate and key, loaded from {@link TlsFiles} and replaced when the files change, turned into
 * what the listener's server needs ({@code T}: a Netty {@code SslContext}, or the {@link KeyMaterial} itself for a
 * {@link CertificateKeyManager}). New handshakes use {@link #current()}; connections already open keep the session
 * they have.
 *
 * <p>A watcher thread of its own (file reads and key parsing never run on an event loop or a request thread)
 * reads both files every {@link TlsFiles#reloadInterval} and compares their bytes with what was loaded (no
 * reliance on modification times). New contents are taken only when the key belongs to the first certificate and
 * {@code build} accepts them; otherwise, or when a file cannot be read or parsed (a rotation caught half-way: the
 * certificate written, the key not yet), the current one stays, a WARN names the setting (once per bad content),
 * and the next check tries again. Each outcome runs {@code onReloaded} or {@code onFailed} (the owner's counter).
 *
 * @param <T> what the server is built from
 */
public final class ReloadingCertificate<T> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReloadingCertificate.class);
    private static final AtomicLong ALIASES = new AtomicLong();

    private final TlsFiles files;
    private final String name;
    private final Function<KeyMaterial, T> build;
    private final Runnable onReloaded;
    private final Runnable onFailed;
    private final ScheduledExecutorService watcher;
    private volatile Loaded<T> current;
    private volatile Loaded<T> previous;
    // the last contents that failed, and whether reading fails; watcher thread only (synchronized)
    private byte[] rejectedCert;
    private byte[] rejectedKey;
    private boolean readFailing;

    private ReloadingCertificate(TlsFiles files, String name, Function<KeyMaterial, T> build, Loaded<T> first,
                                 Runnable onReloaded, Runnable onFailed) {
        this.files = files;
        this.name = name;
        this.build = build;
        this.current = first;
        this.onReloaded = onReloaded;
        this.onFailed = onFailed;
        if (files.reloadInterval().isZero()) {
            watcher = null;
        } else {
            watcher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, name.replace(' ', '-') + "-reload");
                t.setDaemon(true);
                return t;
            });
            long every = files.reloadInterval().toNanos();
            watcher.scheduleWithFixedDelay(this::reloadIfChanged, every, every, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Loads the pair and, unless the reload interval is zero, starts watching the files.
     *
     * @param name the listener, in logs and the watcher's thread name ({@code "logic HTTP TLS"})
     * @param build turns a valid pair into what the server uses; throws {@link IllegalArgumentException} (naming
     *     the settings) for a pair it cannot use
     * @throws IllegalArgumentException naming the setting whose file cannot be read or used
     */
    public static <T> ReloadingCertificate<T> open(TlsFiles files, String name, Function<KeyMaterial, T> build,
                                                   Runnable onReloaded, Runnable onFailed) {
        requireNonNull(files, "files");
        requireNonNull(name, "name");
        requireNonNull(build, "build");
        requireNonNull(onReloaded, "onReloaded");
        requireNonNull(onFailed, "onFailed");
        Loaded<T> first = load(files, build);
        X509Certificate leaf = first.material.leaf();
        log.info("{} on: certificate {} ({}, valid until {}), key {}; files checked for changes {}", name,
                files.certFile(), leaf.getSubjectX500Principal().getName(), leaf.getNotAfter().toInstant(),
                files.keyFile(), files.reloadInterval().isZero() ? "never"
                        : "every " + files.reloadInterval().toMillis() + " ms");
        return new ReloadingCertificate<>(files, name, build, first, onReloaded, onFailed);
    }

    /** Key material that is not watched: for {@link #check} and servers that read their files once. */
    public static KeyMaterial load(TlsFiles files) {
        return load(requireNonNull(files, "files"), Function.identity()).material;
    }

    /** What new handshakes use. */
    public T current() {
        return current.built;
    }

    /** The pair new handshakes use. */
    public KeyMaterial currentMaterial() {
        return current.material;
    }

    /**
     * The pair loaded under {@code alias}: the current one, or the one it replaced (a handshake that chose its
     * alias just before a reload still gets a matching key); null for any other.
     */
    public KeyMaterial material(String alias) {
        Loaded<T> now = current;
        if (now.material.alias().equals(alias)) {
            return now.material;
        }
        Loaded<T> before = previous;
        return before != null && before.material.alias().equals(alias) ? before.material : null;
    }

    public TlsFiles files() {
        return files;
    }

    /**
     * Reads both files; when their contents differ from what is loaded and form a usable pair, makes them current.
     * Runs on the watcher thread (tests may call it directly).
     *
     * @return whether the pair was replaced
     */
    public synchronized boolean reloadIfChanged() {
        byte[] cert;
        byte[] key;
        try {
            cert = Files.readAllBytes(files.certFile());
            key = Files.readAllBytes(files.keyFile());
        } catch (IOException e) {
            if (!readFailing) {
                readFailing = true;
                onFailed.run();
                log.warn("{} reload failed: cannot read the TLS files ({}); new connections keep the current "
                        + "certificate", name, e.toString());
            }
            return false;
        }
        readFailing = false;
        Loaded<T> now = current;
        if (Arrays.equals(cert, now.certBytes) && Arrays.equals(key, now.keyBytes)) {
            return false;
        }
        Loaded<T> next;
        try {
            next = build(files, build, cert, key);
        } catch (IllegalArgumentException e) {
            warnOnce(cert, key, e.getMessage() + "; new connections keep the current certificate until the files "
                    + "change again");
            return false;
        }
        previous = now;
        current = next;
        rejectedCert = null;
        rejectedKey = null;
        onReloaded.run();
        X509Certificate leaf = next.material.leaf();
        log.info("{} certificate reloaded from {}: {} (serial {}, valid until {}); live connections keep theirs",
                name, files.certFile(), leaf.getSubjectX500Principal().getName(), leaf.getSerialNumber().toString(16),
                leaf.getNotAfter().toInstant());
        return true;
    }

    private void warnOnce(byte[] cert, byte[] key, String message) {
        if (Arrays.equals(cert, rejectedCert) && Arrays.equals(key, rejectedKey)) {
            return; // the same bad contents as last time: said already
        }
        rejectedCert = cert;
        rejectedKey = key;
        onFailed.run();
        log.warn("{} reload failed: {}", name, message);
    }

    @Override
    public void close() {
        if (watcher != null) {
            watcher.shutdownNow();
        }
    }

    private record Loaded<T>(KeyMaterial material, T built, byte[] certBytes, byte[] keyBytes) {
    }

    private static <T> Loaded<T> load(TlsFiles files, Function<KeyMaterial, T> build) {
        byte[] cert = read(files.certFile(), files.certKey());
        byte[] key = read(files.keyFile(), files.keyKey());
        return build(files, build, cert, key);
    }

    private static <T> Loaded<T> build(TlsFiles files, Function<KeyMaterial, T> build, byte[] certBytes,
                                       byte[] keyBytes) {
        List<X509Certificate> chain = PemFiles.certificates(certBytes, files.certKey(), files.certFile());
        PrivateKey key = PemFiles.privateKey(keyBytes, files.keyKey(), files.keyFile());
        if (!PemFiles.matches(key, chain.get(0))) {
            throw new IllegalArgumentException(files.keyKey() + ": " + files.keyFile() + " (expected: the private "
                    + "key of the first certificate in " + files.certKey() + ", " + files.certFile() + ")");
        }
        KeyMaterial material = new KeyMaterial(chain, key, "danmaku-" + ALIASES.incrementAndGet());
        return new Loaded<>(material, build.apply(material), certBytes, keyBytes);
    }

    private static byte[] read(Path file, String key) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(key + ": " + file + " (expected: an existing readable file; " + e
                    + ")");
        }
    }
}
