package io.danmaku.server.config;

import static io.danmaku.server.config.ConfigType.DURATION;
import static io.danmaku.server.config.ConfigType.INT;
import static io.danmaku.server.config.ConfigType.PASSWORD;
import static io.danmaku.server.config.ConfigType.STRING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConfigDefTest {
    @Test
    void rejectsADefaultOfTheWrongType() {
        assertThatThrownBy(() -> ConfigDef.builder().define("a.b", DURATION, 50, "doc"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a.b: default 50 is a Integer (expected: Duration)");
    }

    @Test
    void rejectsADefaultItsValidatorRefuses() {
        assertThatThrownBy(() -> ConfigDef.builder().define("a.b", INT, 0, Validator.between(1, 10), "doc"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a.b: default 0 (expected: an integer; 1..10)");
    }

    @Test
    void rejectsAKeyDefinedTwice() {
        ConfigDef.Builder builder = ConfigDef.builder().define("a.b", INT, 1, "doc");

        assertThatThrownBy(() -> builder.define("a.b", INT, 2, "doc"))
                .hasMessage("a.b: defined twice (expected: every key defined once)");
    }

    @Test
    void rejectsTwoKeysWithOneEnvironmentVariable() {
        ConfigDef.Builder builder = ConfigDef.builder().define("a.b-c", INT, 1, "doc").define("a.b.c", INT, 1, "doc");

        assertThatThrownBy(builder::build)
                .hasMessage("a.b.c: environment variable DANMAKU_A_B_C already belongs to a.b-c (expected: distinct names)");
    }

    @Test
    void rejectsKeysThatAreNotLowercaseDottedWords() {
        assertThatThrownBy(() -> ConfigDef.builder().define("Gateway.port", INT, 1, "doc"))
                .hasMessageContaining("expected: lowercase words with dashes, separated by dots");
        assertThatThrownBy(() -> ConfigDef.builder().define("gateway..port", INT, 1, "doc"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConfigDef.builder().define("gateway.port_", INT, 1, "doc"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsAKeyUnderAPrefix() {
        ConfigDef.Builder builder = ConfigDef.builder()
                .definePrefix("logic.kafka.producer.", "doc")
                .define("logic.kafka.producer.acks", STRING, "all", "doc");

        assertThatThrownBy(builder::build).hasMessageContaining("clashes with prefix logic.kafka.producer.");
    }

    @Test
    void rejectsAPrefixWithoutTrailingDotOrOverlappingAnother() {
        assertThatThrownBy(() -> ConfigDef.builder().definePrefix("logic.kafka", "doc"))
                .hasMessage("prefix: \"logic.kafka\" (expected: ending with a dot)");
        ConfigDef.Builder builder = ConfigDef.builder().definePrefix("logic.kafka.", "doc");
        assertThatThrownBy(() -> builder.definePrefix("logic.kafka.producer.", "doc"))
                .hasMessage("logic.kafka.producer.: overlaps prefix logic.kafka.");
    }

    @Test
    void rejectsAConstraintOnAnUndefinedKey() {
        ConfigDef.Builder builder = ConfigDef.builder()
                .define("a.low", INT, 1, "doc")
                .constraint(Constraint.lessThan("a.low", "a.high"));

        assertThatThrownBy(builder::build).hasMessage("constraint key: a.high (expected: a defined key)");
    }

    @Test
    void derivesEnvironmentNamesAndExpectations() {
        ConfigDef definition = ConfigDef.builder()
                .define("token.hmac.secret", PASSWORD, null, Validator.minBytes(32), "doc")
                .define("gateway.batch.window", DURATION, Duration.ofMillis(50),
                        Validator.between(Duration.ZERO, Duration.ofSeconds(10)), "doc")
                .build();

        ConfigKey secret = definition.key("token.hmac.secret").orElseThrow();
        ConfigKey window = definition.key("gateway.batch.window").orElseThrow();
        assertThat(secret.envName()).isEqualTo("DANMAKU_TOKEN_HMAC_SECRET");
        assertThat(secret.expected()).isEqualTo("a secret string; at least 32 bytes");
        assertThat(window.envName()).isEqualTo("DANMAKU_GATEWAY_BATCH_WINDOW");
        assertThat(window.expected()).isEqualTo("a duration like 50ms, 2s; 0..10s");
        assertThat(window.formattedDefault()).isEqualTo("50ms");
        assertThat(definition.keyForEnv("DANMAKU_GATEWAY_BATCH_WINDOW")).contains(window);
    }

    @Test
    void passwordsNeverShowTheirValue() {
        Password password = new Password("s3cret");

        assertThat(password).hasToString("[hidden]");
        assertThat(password.value()).isEqualTo("s3cret");
        assertThat(PASSWORD.format(password)).isEqualTo("[hidden]");
    }
}
