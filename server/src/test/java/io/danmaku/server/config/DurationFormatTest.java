package io.danmaku.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationFormatTest {
    @ParameterizedTest
    @CsvSource({
        "50ms, PT0.05S",
        "2s, PT2S",
        "5m, PT5M",
        "1h, PT1H",
        "250, PT0.25S",
        "0, PT0S",
        "PT2S, PT2S",
        "pt1m30s, PT1M30S",
        " 10s , PT10S",
        "10 s, PT10S",
        "2S, PT2S"
    })
    void parsesUnitsIsoAndBareMilliseconds(String text, String iso) {
        assertThat(DurationFormat.parse(text)).isEqualTo(Duration.parse(iso));
    }

    @ParameterizedTest
    @ValueSource(strings = {"fast", "", "-5s", "PT-1S", "1.5s", "5d", "ms", "10 seconds", "99999999999999999999"})
    void rejectsAnythingElse(String text) {
        assertThatThrownBy(() -> DurationFormat.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @CsvSource({"PT0S, 0", "PT0.05S, 50ms", "PT10S, 10s", "PT5M, 5m", "PT2H, 2h", "PT1M30S, 90s", "PT1.5S, 1500ms", "PT0.0000001S, PT0.0000001S"})
    void formatsInTheShortestExactUnit(String iso, String text) {
        assertThat(DurationFormat.format(Duration.parse(iso))).isEqualTo(text);
    }
}
