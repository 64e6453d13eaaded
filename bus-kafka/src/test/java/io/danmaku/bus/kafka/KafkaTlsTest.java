package io.danmaku.bus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.bus.BusMessage;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.bus.BusSubscription;
import io.danmaku.testkit.kafka.KafkaBroker;
import io.danmaku.testkit.tls.TestCa;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bus over TLS to a real broker (testkit's, with an SSL listener that requires a client certificate of the
 * test authority): {@code bus.kafka.tls.*} as Kafka client settings get the admin client, the producer and the
 * consumer through; a client without a certificate, or trusting another authority, gets nothing.
 */
class KafkaTlsTest {
    @TempDir
    static Path dir;
    static TestCa ca;
    static Path caFile;
    static KafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        ca = TestCa.create("kafka-test-ca");
        caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        TestCa.PemFiles server = ca.issueServer("kafka").writeTo(dir, "kafka");
        broker = KafkaBroker.launchWithTls(server.certFile(), server.keyFile(), caFile, true);
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private static KafkaBusConfig config(KafkaTls tls) {
        KafkaBusConfig plain = KafkaBusConfig.defaults(broker.tlsBootstrapServers())
                .withTopic("tls-" + UUID.randomUUID()).withPartitions(1)
                .withStartTimeout(Duration.ofSeconds(10)).withPublishTimeout(Duration.ofSeconds(10));
        return tls.applyTo(plain);
    }

    @Test
    void withTheAuthorityAndAClientCertificateEveryClientGetsThrough() throws Exception {
        TestCa.PemFiles client = ca.issueClient("danmaku").writeTo(dir, "client");
        KafkaTls tls = new KafkaTls(caFile, client.certFile(), client.keyFile());
        assertThat(config(tls).producer()).containsEntry("security.protocol", "SSL")
                .containsEntry("ssl.truststore.type", "PEM").containsEntry("ssl.keystore.type", "PEM");
        assertThat(config(tls).toString()).doesNotContain("PRIVATE KEY").contains("ssl.keystore.key=******");

        try (KafkaMessageBus bus = new KafkaMessageBus(config(tls), new SimpleMeterRegistry())) {
            List<RoomRecord> received = new CopyOnWriteArrayList<>();
            try (BusSubscription ignored = bus.subscribeAll(received::addAll)) {
                BusPosition p = bus.publish(new BusMessage("r1", "over tls".getBytes(StandardCharsets.UTF_8)))
                        .get(30, TimeUnit.SECONDS);
                assertThat(p.offset()).isPositive();
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(received)
                        .extracting(r -> new String(r.payload(), StandardCharsets.UTF_8)).containsExactly("over tls"));
            }
        }
    }

    @Test
    void withoutAClientCertificateOrTrustingAnotherAuthorityNothingGetsThrough() {
        assertThatThrownBy(() -> new KafkaMessageBus(config(new KafkaTls(caFile, null, null)),
                new SimpleMeterRegistry()).close()).as("no client certificate").isInstanceOf(RuntimeException.class);
        Path otherCa = TestCa.create("other-ca").writeCertificate(dir.resolve("other.crt"));
        TestCa.PemFiles client = ca.issueClient("danmaku").writeTo(dir, "client2");
        assertThatThrownBy(() -> new KafkaMessageBus(config(new KafkaTls(otherCa, client.certFile(), client.keyFile())),
                new SimpleMeterRegistry()).close()).as("another authority").isInstanceOf(RuntimeException.class);
    }

    @Test
    void settingsPassedThroughWinAndUnreadableFilesAreNamed() {
        KafkaBusConfig explicit = KafkaBusConfig.defaults("127.0.0.1:1")
                .withProducer(java.util.Map.of("security.protocol", "SASL_SSL"));
        KafkaBusConfig applied = new KafkaTls(caFile, null, null).applyTo(explicit);
        assertThat(applied.producer()).containsEntry("security.protocol", "SASL_SSL")
                .containsKey("ssl.truststore.certificates");
        assertThat(applied.consumer()).containsEntry("security.protocol", "SSL");
        assertThat(applied.admin()).containsEntry("security.protocol", "SSL");
        assertThatThrownBy(() -> new KafkaTls(dir.resolve("absent.crt"), null, null).clientProperties())
                .hasMessageStartingWith("bus.kafka.tls.ca-file: " + dir.resolve("absent.crt"));
        assertThatThrownBy(() -> new KafkaTls(null, caFile, null))
                .hasMessageStartingWith("bus.kafka.tls.cert-file, bus.kafka.tls.key-file");
    }
}
