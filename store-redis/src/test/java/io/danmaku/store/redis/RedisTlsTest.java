package io.danmaku.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.protocol.DanmakuException;
import io.danmaku.testkit.tls.TestCa;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hot store over TLS to a real Redis ({@code redis-server} with only a TLS port, certificates of a test
 * authority): {@code rediss://} with the authority's file works, a client trusting another authority does not get
 * in, and with {@code tls-auth-clients yes} only a client with a certificate of the authority does.
 */
class RedisTlsTest {
    @TempDir
    Path dir;
    TestCa ca;
    Path caFile;
    TestCa.PemFiles serverFiles;
    Process redis;
    int port;

    @BeforeEach
    void certificates() {
        ca = TestCa.create("redis-test-ca");
        caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        serverFiles = ca.issueServer("redis").writeTo(dir, "redis");
    }

    @AfterEach
    void stopRedis() throws InterruptedException {
        if (redis != null) {
            redis.destroy();
            if (!redis.waitFor(10, TimeUnit.SECONDS)) {
                redis.destroyForcibly();
            }
        }
    }

    @Test
    void aRedissStoreTrustsTheAuthorityFileAndNoOther() throws Exception {
        startRedis(false);
        try (RedisHotStore store = connect(new RedisTls(caFile, null, null))) {
            assertThat(store.markOnce("tls-key", Duration.ofMinutes(1)).get(10, TimeUnit.SECONDS)).isTrue();
            assertThat(store.markOnce("tls-key", Duration.ofMinutes(1)).get(10, TimeUnit.SECONDS)).isFalse();
        }
        Path otherCa = TestCa.create("other-ca").writeCertificate(dir.resolve("other.crt"));
        assertThatThrownBy(() -> connect(new RedisTls(otherCa, null, null)).close())
                .isInstanceOf(DanmakuException.class);
    }

    @Test
    void mutualTlsNeedsAClientCertificateOfTheAuthority() throws Exception {
        startRedis(true);
        assertThatThrownBy(() -> connect(new RedisTls(caFile, null, null)).close())
                .as("no client certificate").isInstanceOf(DanmakuException.class);
        TestCa.PemFiles client = ca.issueClient("danmaku").writeTo(dir, "client");
        try (RedisHotStore store = connect(new RedisTls(caFile, client.certFile(), client.keyFile()))) {
            assertThat(store.markOnce("mtls-key", Duration.ofMinutes(1)).get(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void tlsFilesWithPlainUrisAreRefused() {
        assertThatThrownBy(() -> RedisStoreConfig.single("redis://127.0.0.1:6379")
                .withTls(new RedisTls(caFile, null, null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("store.redis.tls")
                .hasMessageContaining("rediss://");
    }

    private RedisHotStore connect(RedisTls tls) {
        RedisStoreConfig config = RedisStoreConfig.single("rediss://127.0.0.1:" + port)
                .withCommandTimeout(Duration.ofSeconds(5)).withTls(tls);
        return RedisHotStore.connect(config, new SimpleMeterRegistry());
    }

    private void startRedis(boolean authClients) throws IOException, InterruptedException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of("redis-server", "--bind", "127.0.0.1", "--port", "0",
                "--tls-port", String.valueOf(port), "--tls-cert-file", serverFiles.certFile().toString(),
                "--tls-key-file", serverFiles.keyFile().toString(), "--tls-ca-cert-file", caFile.toString(),
                "--tls-auth-clients", authClients ? "yes" : "no", "--save", "", "--appendonly", "no",
                "--dir", dir.toString(), "--daemonize", "no"));
        redis = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(redis.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = out.readLine()) != null; ) {
            seen.append(line).append('\n');
            if (line.contains("Ready to accept connections")) {
                // keep draining its output so it never blocks on a full pipe
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) {
                            // discarded
                        }
                    } catch (IOException ignored) {
                        // the process ended
                    }
                }, "redis-tls-output");
                drain.setDaemon(true);
                drain.start();
                return;
            }
        }
        throw new IllegalStateException("redis-server exited before it was ready:\n" + seen);
    }
}
