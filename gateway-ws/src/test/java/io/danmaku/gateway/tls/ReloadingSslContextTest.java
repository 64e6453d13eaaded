package io.danmaku.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.testkit.tls.TestCa;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading the gateway's certificate and key: each bad file is refused with the setting it came from. */
class ReloadingSslContextTest {
    @TempDir
    Path dir;

    @Test
    void aValidPairLoadsAndChangedFilesReplaceTheContextForNewConnections() {
        TestCa ca = TestCa.create("ca");
        TestCa.PemFiles files = ca.issueServer("one").writeTo(dir, "server");
        GatewayTlsConfig config = new GatewayTlsConfig(files.certFile(), files.keyFile(), Duration.ZERO);
        try (ReloadingSslContext tls = ReloadingSslContext.open(config, new SimpleMeterRegistry())) {
            var before = tls.current();
            assertThat(tls.reloadIfChanged()).isFalse();
            assertThat(tls.current()).isSameAs(before);
            ca.issueServer("two").writeFiles(files.certFile(), files.keyFile());
            assertThat(tls.reloadIfChanged()).isTrue();
            assertThat(tls.current()).isNotSameAs(before);
        }
    }

    @Test
    void aMissingKeyFileIsNamed() {
        TestCa.PemFiles files = TestCa.create("ca").issueServer("one").writeTo(dir, "server");
        GatewayTlsConfig config = new GatewayTlsConfig(files.certFile(), dir.resolve("absent.key"));
        assertThatThrownBy(() -> ReloadingSslContext.check(config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("gateway.tls.key-file: " + dir.resolve("absent.key"))
                .hasMessageContaining("expected: an existing readable file");
    }

    @Test
    void aFileWithoutCertificatesIsNamed() throws Exception {
        TestCa.PemFiles files = TestCa.create("ca").issueServer("one").writeTo(dir, "server");
        Files.writeString(files.certFile(), "not a certificate\n");
        assertThatThrownBy(() -> ReloadingSslContext.check(new GatewayTlsConfig(files.certFile(), files.keyFile())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("gateway.tls.cert-file: " + files.certFile());
    }

    @Test
    void aKeyThatIsNotPkcs8IsRefusedWithTheWayToConvertIt() throws Exception {
        TestCa.PemFiles files = TestCa.create("ca").issueServer("one").writeTo(dir, "server");
        Files.writeString(files.keyFile(), "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
        assertThatThrownBy(() -> ReloadingSslContext.check(new GatewayTlsConfig(files.certFile(), files.keyFile())))
                .hasMessageStartingWith("gateway.tls.key-file: ")
                .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
    }

    @Test
    void aKeyOfAnotherCertificateIsRefused() {
        TestCa ca = TestCa.create("ca");
        TestCa.PemFiles one = ca.issueServer("one").writeTo(dir, "one");
        TestCa.PemFiles two = ca.issueServer("two").writeTo(dir, "two");
        assertThatThrownBy(() -> ReloadingSslContext.check(new GatewayTlsConfig(one.certFile(), two.keyFile())))
                .hasMessageStartingWith("gateway.tls.key-file: " + two.keyFile())
                .hasMessageContaining("the private key of the first certificate in gateway.tls.cert-file");
    }

    @Test
    void theReloadIntervalIsBounded() {
        assertThatThrownBy(() -> new GatewayTlsConfig(dir, dir, Duration.ofHours(2)))
                .hasMessage("gateway.tls.reload-interval: PT2H (expected: PT0S..PT1H)");
    }
}
