package io.danmaku.logic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.protocol.store.RateLimit;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogicConfigTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        LogicConfig c = LogicConfig.defaults();
        assertThat(c.maxTextCodePoints()).isEqualTo(100);
        assertThat(c.userRate()).isEqualTo(new RateLimit(5, 1.0));
        assertThat(c.roomRate()).isEqualTo(new RateLimit(500, 200.0));
        assertThat(c.blockedWords()).isEmpty();
        assertThat(c.blockedWordsFile()).isNull();
        assertThat(c.blockedWordsReload()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.dedupeTtl()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.restrictionCacheTtl()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.publishTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.apiKey()).isNull();
        assertThat(c.roomLeasePeriod()).isEqualTo(Duration.ofMillis(100));
        assertThat(c.maxPostsInFlight()).isEqualTo(10_000);
    }

    @Test
    void textLimitOutOfRangeNamesTheKeyTheValueAndTheRange() {
        assertThatThrownBy(() -> LogicConfig.defaults().withMaxTextCodePoints(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("logic.text.max-code-points: 0 (expected: 1..1000)");
        assertThatThrownBy(() -> LogicConfig.defaults().withMaxTextCodePoints(1001))
                .hasMessage("logic.text.max-code-points: 1001 (expected: 1..1000)");
        assertThat(LogicConfig.defaults().withMaxTextCodePoints(1000).maxTextCodePoints()).isEqualTo(1000);
    }

    @Test
    void durationsOutOfRangeAreRejected() {
        assertThatThrownBy(() -> LogicConfig.defaults().withPublishTimeout(Duration.ZERO))
                .hasMessageStartingWith("logic.publish.timeout: PT0S (expected: ");
        assertThatThrownBy(() -> LogicConfig.defaults().withRestrictionCacheTtl(Duration.ofMillis(-1)))
                .hasMessageStartingWith("logic.restriction.cache-ttl: ");
        assertThatThrownBy(() -> LogicConfig.defaults().withDedupeTtl(Duration.ofMillis(10)))
                .hasMessageStartingWith("logic.dedupe.ttl: ");
        assertThat(LogicConfig.defaults().withRestrictionCacheTtl(Duration.ZERO).restrictionCacheTtl()).isZero();
    }

    @Test
    void blankBlockedWordsAndBlankKeysAreRejected() {
        assertThatThrownBy(() -> LogicConfig.defaults().withBlockedWords(List.of("ok", " ")))
                .hasMessage("logic.blocked-words[1]: \" \" (expected: a non-blank word)");
        assertThatThrownBy(() -> LogicConfig.defaults().withBlockedWords(Arrays.asList("ok", null)))
                .hasMessage("logic.blocked-words[1]: null (expected: a non-blank word)");
        assertThatThrownBy(() -> LogicConfig.defaults().withApiKey("  "))
                .hasMessage("api.key: (blank) (expected: unset, or a non-blank key)");
    }

    @Test
    void toStringNeverShowsTheApiKeyOrTheWords() {
        LogicConfig c = LogicConfig.defaults().withApiKey("very-secret-key").withBlockedWords(List.of("badword"));
        assertThat(c.toString()).doesNotContain("very-secret-key").doesNotContain("badword")
                .contains("apiKey=****").contains("1 words");
        assertThat(LogicConfig.defaults().toString()).contains("apiKey=(unset)");
    }
}
