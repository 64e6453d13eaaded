package io.danmaku.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.protocol.DanmakuException;
import io.danmaku.testkit.redis.TlsRedis;
import io.danmaku.testkit.tls.TestCa;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hot store over TLS to a real Redis ({@code redis-server} with only a TLS port, certificates of a test
 * authority): {@code rediss://} with the authority's file works, a client trusting another authority does not get
 * in, and with {@code tls-auth-clients yes} only a client with a certificate of the authority does; each refusal
 * names the setting to change.
 */
class RedisTlsTest {
    @TempDir
    Path dir;
    TestCa ca;
    Path caFile;
    TestCa.PemFiles serverFiles;
    TlsRedis redis;
    int port;

    @BeforeEach
    void certificates() {
        ca = TestCa.create("redis-test-ca");
        caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        serverFiles = ca.issueServer("redis").writeTo(dir, "redis");
    }

    @AfterEach
    void stopRedis() {
        if (redis != null) {
            redis.close();
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
                .isInstanceOfSatisfying(DanmakuException.class, e -> assertThat(e.retriable()).isFalse())
                .hasMessageContaining("not issued by an authority in store.redis.tls.ca-file=" + otherCa);
    }

    @Test
    void mutualTlsNeedsAClientCertificateOfTheAuthority() throws Exception {
        startRedis(true);
        assertThatThrownBy(() -> connect(new RedisTls(caFile, null, null)).close())
                .as("no client certificate")
                .isInstanceOfSatisfying(DanmakuException.class, e -> assertThat(e.retriable()).isFalse())
                .hasMessageContaining("set store.redis.tls.cert-file and store.redis.tls.key-file");
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

    private void startRedis(boolean authClients) {
        redis = TlsRedis.start(dir, serverFiles.certFile(), serverFiles.keyFile(), caFile, authClients);
        port = redis.port();
    }
}
