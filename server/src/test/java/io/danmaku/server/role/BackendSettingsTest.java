package io.danmaku.server.role;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.gateway.backend.BackendConfig;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.ConfigException;
import io.danmaku.server.config.ConfigLoader;
import io.danmaku.server.config.DanmakuKeys;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code gateway.backend.*}: how the settings become the gateway's backend proxies, and their errors. */
class BackendSettingsTest {
    private static Config load(String... flags) {
        return new ConfigLoader(DanmakuKeys.DEFINITION).load(null, Map.of(), List.of(flags));
    }

    @Test
    void byDefaultNoProxyIsOnAndAnswersAreCappedAt64KiB() {
        BackendConfig c = TierConfigs.backend(load());

        assertThat(c.anyEnabled()).isFalse();
        assertThat(c.maxResponseBytes()).isEqualTo(65536);
        assertThat(c.connectHeaders()).isEmpty();
    }

    @Test
    void theConnectAndPublishProxiesAndTheirSettingsReachTheGateway() {
        BackendConfig c = TierConfigs.backend(load("gateway.backend.connect-url=http://app:3000/centrifugo/connect",
                "gateway.backend.publish-url=https://app/centrifugo/publish",
                "gateway.backend.connect-headers=Cookie,X-Real-IP", "gateway.backend.max-response-bytes=1024"));

        assertThat(c.connectUrl()).isEqualTo(URI.create("http://app:3000/centrifugo/connect"));
        assertThat(c.publishUrl()).isEqualTo(URI.create("https://app/centrifugo/publish"));
        assertThat(c.connectHeaders()).containsExactly("cookie", "x-real-ip");
        assertThat(c.maxResponseBytes()).isEqualTo(1024);
    }

    @Test
    void badSettingsRefuseToStartNamingTheKey() {
        assertThatThrownBy(() -> load("gateway.backend.max-response-bytes=1023"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.backend.max-response-bytes");
        assertThatThrownBy(() -> load("gateway.backend.publish-url=ftp://app/publish"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.backend.publish-url");
        assertThatThrownBy(() -> TierConfigs.backend(load("gateway.backend.connect-headers=Cookie,Host")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.backend.connect-headers: Host");
    }
}
