package io.danmaku.gateway.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackendConfigTest {
    @Test
    void theAnswerSizeLimitIsOneKibibyteToSixteenMebibytes() {
        assertThat(BackendConfig.builder().maxResponseBytes(1024).build().maxResponseBytes()).isEqualTo(1024);
        assertThat(BackendConfig.builder().maxResponseBytes(16 * 1024 * 1024).build().maxResponseBytes())
                .isEqualTo(16 * 1024 * 1024);
        for (int bad : new int[] {1023, 16 * 1024 * 1024 + 1}) {
            assertThatThrownBy(() -> BackendConfig.builder().maxResponseBytes(bad).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("gateway.backend.max-response-bytes: " + bad)
                    .hasMessageContaining("1024..16777216");
        }
    }

    @Test
    void forwardedHeadersAreLowerCaseNamesNeverOnesTheProxyRequestSetsItself() {
        assertThat(BackendConfig.builder().connectHeaders(List.of("Cookie", " X-Real-IP ", "cookie")).build()
                .connectHeaders()).containsExactly("cookie", "x-real-ip");
        assertThatThrownBy(() -> BackendConfig.builder().connectHeaders(List.of("Content-Length")).build())
                .hasMessageContaining("gateway.backend.connect-headers: Content-Length");
        assertThatThrownBy(() -> BackendConfig.builder().connectHeaders(List.of("Host")).build())
                .hasMessageContaining("gateway.backend.connect-headers: Host");
        assertThatThrownBy(() -> BackendConfig.builder().connectHeaders(List.of("bad header")).build())
                .hasMessageContaining("expected: HTTP header names");
    }

    @Test
    void eachProxyUrlIsCheckedUnderItsOwnKey() {
        assertThatThrownBy(() -> BackendConfig.builder().connectUrl(URI.create("ftp://x/c")).build())
                .hasMessageContaining("gateway.backend.connect-url: ftp://x/c");
        assertThatThrownBy(() -> BackendConfig.builder().publishUrl(URI.create("/relative")).build())
                .hasMessageContaining("gateway.backend.publish-url: /relative");
        assertThat(BackendConfig.NONE.anyEnabled()).isFalse();
        assertThat(BackendConfig.builder().publishUrl(URI.create("http://b/p")).build().anyEnabled()).isTrue();
    }
}
