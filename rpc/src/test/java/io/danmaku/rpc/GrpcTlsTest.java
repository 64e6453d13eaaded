package io.danmaku.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.testkit.tls.TestCa;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Gateway to logic over TLS and mutual TLS, with certificates from a test authority, on loopback. */
class GrpcTlsTest {
    private static final PostRequest POST = new PostRequest("r1", new UserRef("u-1", "Alice"), "over tls", null,
            null, "c-1");

    @TempDir
    Path dir;
    TestCa ca;
    Path caFile;
    TestCa.PemFiles logicFiles;
    TestCa.PemFiles gatewayFiles;
    final ScriptedPostService logic = new ScriptedPostService();
    GrpcPostServer server;

    @BeforeEach
    void certificates() {
        ca = TestCa.create("danmaku-internal-ca");
        caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        logicFiles = ca.issueServer("logic").writeTo(dir, "logic");
        gatewayFiles = ca.issueClient("gateway").writeTo(dir, "gateway");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void startServer(Path clientCa) {
        server = new GrpcPostServer(RpcServerConfig.defaults().withAddress("127.0.0.1", 0)
                .withTls(new RpcServerTls(logicFiles.certFile(), logicFiles.keyFile(), clientCa)), logic,
                new SimpleMeterRegistry()).start();
    }

    private PostResult postWith(RpcClientTls tls) {
        RpcClientConfig config = RpcClientConfig.defaults("127.0.0.1:" + server.port())
                .withDeadline(Duration.ofSeconds(3)).withTls(tls);
        try (GrpcPostClient client = new GrpcPostClient(config, new SimpleMeterRegistry())) {
            return client.post(POST).orTimeout(20, TimeUnit.SECONDS).join();
        }
    }

    @Test
    void aGatewayTrustingTheAuthorityPostsOverTls() {
        startServer(null);
        assertThat(postWith(new RpcClientTls(caFile, null, null)).accepted()).isTrue();
        assertThat(logic.received).containsExactly(POST);
    }

    @Test
    void aPlaintextGatewayOrOneTrustingAnotherAuthorityGetsNothingThrough() {
        startServer(null);
        Path otherCa = TestCa.create("other-ca").writeCertificate(dir.resolve("other.crt"));
        assertThat(postWith(null).reason()).isEqualTo(RejectReason.UNAVAILABLE);
        assertThat(postWith(new RpcClientTls(otherCa, null, null)).reason()).isEqualTo(RejectReason.UNAVAILABLE);
        assertThat(logic.received).isEmpty();
    }

    @Test
    void withMutualTlsOnlyAGatewayWithACertificateFromTheClientAuthorityGetsThrough() {
        startServer(caFile);
        TestCa.PemFiles foreign = TestCa.create("other-ca").issueClient("intruder").writeTo(dir, "intruder");

        assertThat(postWith(new RpcClientTls(caFile, null, null)).reason())
                .as("no client certificate").isEqualTo(RejectReason.UNAVAILABLE);
        assertThat(postWith(new RpcClientTls(caFile, foreign.certFile(), foreign.keyFile())).reason())
                .as("a certificate of another authority").isEqualTo(RejectReason.UNAVAILABLE);
        assertThat(logic.received).isEmpty();

        assertThat(postWith(new RpcClientTls(caFile, gatewayFiles.certFile(), gatewayFiles.keyFile())).accepted())
                .isTrue();
        assertThat(logic.received).containsExactly(POST);
    }

    @Test
    void aRotatedCertificateServesNewConnectionsWhileOpenOnesAndTheirCallsCarryOn() throws Exception {
        server = new GrpcPostServer(RpcServerConfig.defaults().withAddress("127.0.0.1", 0)
                .withTls(new RpcServerTls(logicFiles.certFile(), logicFiles.keyFile(), null, Duration.ZERO)),
                logic.holding(), new SimpleMeterRegistry()).start();
        TestCa nextCa = TestCa.create("next-internal-ca");
        Path nextCaFile = nextCa.writeCertificate(dir.resolve("next-ca.crt"));
        RpcClientConfig oldTrust = RpcClientConfig.defaults("127.0.0.1:" + server.port())
                .withDeadline(Duration.ofSeconds(20)).withTls(new RpcClientTls(caFile, null, null));
        try (GrpcPostClient open = new GrpcPostClient(oldTrust, new SimpleMeterRegistry())) {
            // a call in flight on an open connection while the certificate changes
            var inFlight = open.post(POST);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> logic.held.size() == 1);

            // the files now hold a certificate of another authority (written in place, as a rotation does)
            nextCa.issueServer("logic").writeFiles(logicFiles.certFile(), logicFiles.keyFile());
            assertThat(server.reloadCertificateIfChanged()).isTrue();
            assertThat(server.reloadCertificateIfChanged()).as("unchanged files: nothing to do").isFalse();

            logic.held.get(0).complete(PostResult.accepted("m1", new io.danmaku.protocol.bus.BusPosition("r1", 1,
                    "e1")));
            assertThat(inFlight.orTimeout(20, TimeUnit.SECONDS).join().accepted()).as("the call in flight").isTrue();

            logic.answering(PostResult.accepted("m2", new io.danmaku.protocol.bus.BusPosition("r1", 2, "e1")));
            // the open connection keeps its session: a gateway trusting only the old authority still posts on it
            assertThat(open.post(POST).orTimeout(20, TimeUnit.SECONDS).join().accepted()).isTrue();
            // new connections get the new certificate: trusted through the new authority only
            assertThat(postWith(new RpcClientTls(nextCaFile, null, null)).accepted()).isTrue();
            assertThat(postWith(new RpcClientTls(caFile, null, null)).reason()).isEqualTo(RejectReason.UNAVAILABLE);
        }
    }

    @Test
    void unusableFilesAreRefusedNamingTheSettingBeforeAnythingIsBound() throws Exception {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not pem\n");
        assertThatThrownBy(() -> new RpcServerTls(garbage, logicFiles.keyFile(), null).check())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("logic.grpc.tls.cert-file: " + garbage + " (expected: PEM certificates");
        assertThatThrownBy(() -> new RpcServerTls(logicFiles.certFile(), dir.resolve("absent.key"), null).check())
                .hasMessageStartingWith("logic.grpc.tls.key-file: " + dir.resolve("absent.key") + " (expected: an "
                        + "existing readable file");
        TestCa.PemFiles other = ca.issueServer("other").writeTo(dir, "other");
        assertThatThrownBy(() -> new RpcServerTls(logicFiles.certFile(), other.keyFile(), null).check())
                .hasMessageStartingWith("logic.grpc.tls.key-file: " + other.keyFile() + " (expected: the private key "
                        + "of the first certificate in logic.grpc.tls.cert-file");
        assertThatThrownBy(() -> new RpcServerTls(logicFiles.certFile(), logicFiles.keyFile(), garbage).check())
                .hasMessageContaining("logic.grpc.tls.client-ca-file");
        assertThatThrownBy(() -> new RpcClientTls(dir.resolve("absent.crt"), null, null).check())
                .hasMessageStartingWith("gateway.logic.tls.ca-file: cannot read");
        assertThatThrownBy(() -> new RpcClientTls(caFile, gatewayFiles.certFile(), null))
                .hasMessageStartingWith("gateway.logic.tls.cert-file, gateway.logic.tls.key-file: ")
                .hasMessageEndingWith("(expected: both set or both unset)");
        new RpcServerTls(logicFiles.certFile(), logicFiles.keyFile(), caFile).check();
        new RpcClientTls(caFile, gatewayFiles.certFile(), gatewayFiles.keyFile()).check();
    }
}
