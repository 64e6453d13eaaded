package io.danmaku.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.server.ServerException;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdminServerTest {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Readiness readiness = new Readiness();
    private JvmMetrics jvmMetrics;
    private AdminServer admin;

    @BeforeEach
    void start() {
        jvmMetrics = JvmMetrics.bindTo(registry);
        admin = AdminServer.start("127.0.0.1", 0, registry, readiness);
    }

    @AfterEach
    void stop() {
        admin.close();
        jvmMetrics.close();
        registry.close();
    }

    private HttpResponse<String> send(String method, String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10))
                .build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthzIsOkWhateverTheReadiness() throws Exception {
        assertThat(send("GET", "/healthz").statusCode()).isEqualTo(200);
        readiness.markDraining();

        HttpResponse<String> response = send("GET", "/healthz");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("ok\n");
    }

    @Test
    void readyzFollowsTheReadinessState() throws Exception {
        HttpResponse<String> starting = send("GET", "/readyz");
        assertThat(starting.statusCode()).isEqualTo(503);
        assertThat(starting.body()).isEqualTo("starting\n");

        readiness.markReady();
        HttpResponse<String> ready = send("GET", "/readyz");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("ready\n");

        AtomicBoolean kafka = new AtomicBoolean(false);
        readiness.require("kafka", kafka::get);
        HttpResponse<String> unavailable = send("GET", "/readyz");
        assertThat(unavailable.statusCode()).isEqualTo(503);
        assertThat(unavailable.body()).isEqualTo("unavailable: kafka\n");
        assertThat(send("GET", "/healthz").statusCode()).isEqualTo(200);
        kafka.set(true);
        assertThat(send("GET", "/readyz").statusCode()).isEqualTo(200);

        readiness.markDraining();
        HttpResponse<String> draining = send("GET", "/readyz");
        assertThat(draining.statusCode()).isEqualTo(503);
        assertThat(draining.body()).isEqualTo("draining\n");
    }

    @Test
    void metricsServesPrometheusTextWithJvmAndOwnMeters() throws Exception {
        registry.counter("danmaku.test.things", "kind", "probe").increment(3);

        HttpResponse<String> response = send("GET", "/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).contains(AdminServer.METRICS_CONTENT_TYPE);
        assertThat(response.body())
                .contains("danmaku_test_things_total{kind=\"probe\"} 3.0")
                .contains("jvm_memory_used_bytes{")
                .contains("jvm_threads_live_threads")
                .contains("process_uptime_seconds")
                .contains("system_cpu_count");
    }

    @Test
    void unknownPathsAre404() throws Exception {
        assertThat(send("GET", "/").statusCode()).isEqualTo(404);
        assertThat(send("GET", "/metrics/extra").statusCode()).isEqualTo(404);
        assertThat(send("GET", "/admin").statusCode()).isEqualTo(404);
    }

    @Test
    void otherMethodsAre405() throws Exception {
        HttpResponse<String> post = send("POST", "/healthz");

        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).contains("GET");
        assertThat(send("DELETE", "/metrics").statusCode()).isEqualTo(405);
        assertThat(send("PUT", "/readyz").statusCode()).isEqualTo(405);
    }

    @Test
    void aBusyPortIsReportedWithTheAddress() {
        int busy = admin.port();

        assertThatThrownBy(() -> AdminServer.start("127.0.0.1", busy, registry, readiness))
                .isInstanceOf(ServerException.class)
                .hasMessage("admin.port: cannot listen on 127.0.0.1:" + busy + ": address already in use");
    }

    @Test
    void closeStopsListening() {
        int port = admin.port();
        admin.close();

        assertThatThrownBy(() -> client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(IOException.class);
        admin = AdminServer.start("127.0.0.1", 0, registry, readiness);
    }
}
