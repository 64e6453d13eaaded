package io.danmaku.testkit.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class S3ProxyServerTest {

    @Test
    void startsAnS3ApiThatRefusesUnsignedRequestsStopsAndStartsAgainOnItsPortAndClosesByItsPid() throws Exception {
        S3ProxyServer s3 = S3ProxyServer.launch();
        long pid = -1;
        try {
            assertThat(s3.isRunning()).isTrue();
            assertThat(s3.endpoint()).isEqualTo("http://127.0.0.1:" + s3.port());
            String bucket = s3.createBucket("testkit-probe");
            assertThat(s3.dataDir().resolve(bucket)).isDirectory();
            assertThatThrownBy(() -> s3.createBucket("Bad_Name")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Bad_Name");
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> unsigned = http.send(HttpRequest.newBuilder(URI.create(s3.endpoint() + "/" + bucket))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(unsigned.statusCode()).as(unsigned.body()).isEqualTo(403);
            assertThat(unsigned.body()).contains("AccessDenied");

            long first = s3.pid();
            s3.stop();
            assertThat(s3.isRunning()).isFalse();
            assertThat(s3.pid()).isEqualTo(-1);
            assertThat(ProcessHandle.of(first).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            s3.start();
            assertThat(s3.pid()).isNotEqualTo(first);
            HttpResponse<String> again = http.send(HttpRequest.newBuilder(URI.create(s3.endpoint() + "/" + bucket))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(again.statusCode()).as("the same port again").isEqualTo(403);
            assertThat(s3.dataDir().resolve(bucket)).as("the objects stay").isDirectory();
            pid = s3.pid();
        } finally {
            s3.close();
        }
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(s3.isRunning()).isFalse();
        assertThat(Files.exists(s3.dataDir())).isFalse();
    }
}
