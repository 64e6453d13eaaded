package io.danmaku.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigDocsTest {
    /** Surefire runs in the module directory. */
    private static final Path CHECKED_IN = Path.of("..", "docs", "CONFIGURATION.md");

    @Test
    void docsConfigurationMdIsUpToDate() throws IOException {
        String rendered = ConfigDocs.markdown(DanmakuKeys.DEFINITION);

        assertThat(CHECKED_IN).as("docs/CONFIGURATION.md is missing; run " + ConfigDocs.REGENERATE).exists();
        assertThat(Files.readString(CHECKED_IN, StandardCharsets.UTF_8))
                .as("docs/CONFIGURATION.md is out of date; run " + ConfigDocs.REGENERATE + " from the project root")
                .isEqualTo(rendered);
    }

    @Test
    void everyKeyHasARowWithItsEnvironmentVariableAndDefault() {
        String rendered = ConfigDocs.markdown(DanmakuKeys.DEFINITION);

        assertThat(rendered).contains(
                "| `gateway.batch.window` | `DANMAKU_GATEWAY_BATCH_WINDOW` | duration | `50ms` | 0..10s | ",
                "| `token.hmac.secret` | `DANMAKU_TOKEN_HMAC_SECRET` | password | (unset) | at least 32 bytes | ",
                "| `logic.blocked-words` | `DANMAKU_LOGIC_BLOCKED_WORDS` | list | (empty) |  | ",
                "- `gateway.write-buffer.low-bytes` < `gateway.write-buffer.high-bytes`");
        for (ConfigKey key : DanmakuKeys.DEFINITION.keys()) {
            assertThat(rendered).contains("| `" + key.name() + "` | `" + key.envName() + "` | ");
        }
    }
}
