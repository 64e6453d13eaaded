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
    void unusableFilesAreRefusedNamingTheSettingBeforeAnythingIsBound() throws Exception {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not pem\n");
        assertThatThrownBy(() -> new RpcServerTls(garbage, logicFiles.keyFile(), null).check())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("logic.grpc.tls.cert-file, logic.grpc.tls.key-file: cannot build a TLS context");
        assertThatThrownBy(() -> new RpcServerTls(logicFiles.certFile(), dir.resolve("absent.key"), null).check())
                .hasMessageStartingWith("logic.grpc.tls.cert-file, logic.grpc.tls.key-file: cannot read");
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
