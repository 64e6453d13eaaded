package io.danmaku.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.protocol.api.ApiResponse;
import io.danmaku.protocol.tls.TlsFiles;
import io.danmaku.testkit.tls.TestCa;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An HTTP API port over TLS with the certificate rotated under a live keep-alive connection, on real sockets: the
 * open connection goes on with its session, new connections get the new certificate, and a half-written rotation
 * is refused while the current certificate stays.
 */
class HttpTlsTest {
    @TempDir
    Path dir;
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    ApiHttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aRotatedCertificateServesNewConnectionsWhileAnOpenOneKeepsItsSession() throws Exception {
        TestCa first = TestCa.create("first-ca");
        TestCa second = TestCa.create("second-ca");
        TestCa.Issued one = first.issueServer("api");
        TestCa.PemFiles files = one.writeTo(dir, "api");
        HttpTls tls = HttpTls.open(new TlsFiles(files.certFile(), files.keyFile(), Duration.ZERO,
                "logic.http.tls.cert-file", "logic.http.tls.key-file"), "server-api", meters);
        server = ApiHttpServer.start("test API", "test.port", "127.0.0.1", 0,
                request -> CompletableFuture.completedFuture(ApiResponse.json(200, "{\"ok\":true}")), tls);

        TestCa.RecordingTrust firstTrust = first.trust();
        try (SSLSocket open = connect(firstTrust)) {
            assertThat(get(open)).startsWith("HTTP/1.1 200");
            assertThat(firstTrust.last().getSerialNumber()).isEqualTo(one.serial());

            // a rotation caught half-way (the new certificate, the old key) is refused; the current one stays
            TestCa.Issued two = second.issueServer("api");
            Files.write(files.certFile(), pem("CERTIFICATE", two.certificate().getEncoded()));
            assertThat(tls.reloadIfChanged()).isFalse();
            assertThat(reloads("failed")).isEqualTo(1);
            try (SSLSocket again = connect(first.trust())) {
                assertThat(get(again)).startsWith("HTTP/1.1 200");
            }

            // the key follows: the pair is taken
            two.writeFiles(files.certFile(), files.keyFile());
            assertThat(tls.reloadIfChanged()).isTrue();
            assertThat(reloads("ok")).isEqualTo(1);

            // the open connection goes on with its session
            assertThat(get(open)).startsWith("HTTP/1.1 200");
            // new connections get the new certificate
            TestCa.RecordingTrust secondTrust = second.trust();
            try (SSLSocket fresh = connect(secondTrust)) {
                assertThat(get(fresh)).startsWith("HTTP/1.1 200");
                assertThat(secondTrust.last().getSerialNumber()).isEqualTo(two.serial());
            }
            assertThatThrownBy(() -> {
                try (SSLSocket refused = connect(first.trust())) {
                    get(refused);
                }
            }).isInstanceOf(SSLException.class);
        }
    }

    private double reloads(String result) {
        var c = meters.find("danmaku.http.tls.reloads").tag("listener", "server-api").tag("result", result).counter();
        return c == null ? 0 : c.count();
    }

    private SSLSocket connect(TestCa.RecordingTrust trust) throws IOException {
        SSLSocket s = (SSLSocket) trust.context().getSocketFactory().createSocket("127.0.0.1", server.port());
        s.setSoTimeout(10_000);
        s.startHandshake();
        return s;
    }

    /** One keep-alive GET; returns the head and body. */
    private static String get(SSLSocket s) throws IOException {
        s.getOutputStream().write("GET /api/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after " + head);
            }
            head.write(b);
        }
        String text = head.toString(StandardCharsets.US_ASCII);
        int length = 0;
        for (String line : text.split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return text + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    private static byte[] pem(String type, byte[] der) {
        return ("-----BEGIN " + type + "-----\n" + java.util.Base64.getMimeEncoder().encodeToString(der)
                + "\n-----END " + type + "-----\n").getBytes(StandardCharsets.US_ASCII);
    }
}
