package io.danmaku.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pass-through prefixes, on a definition of their own (the server defines none yet). */
class PrefixTest {
    private static final String PRODUCER = "logic.kafka.producer.";
    private static final ConfigDef DEFINITION = ConfigDef.builder()
            .define("logic.kafka.bootstrap", ConfigType.STRING, "localhost:9092", "Kafka brokers.")
            .definePrefix(PRODUCER, "Kafka producer settings.")
            .definePrefix("logic.redis.", "Lettuce settings.")
            .build();

    @TempDir
    Path dir;

    private Config load(Path file, Map<String, String> env, String... sets) {
        return new ConfigLoader(DEFINITION).load(file, env, List.of(sets));
    }

    @Test
    void collectsEntriesFromTheFileAndFlagsUnvalidated() throws IOException {
        Path file = Files.writeString(dir.resolve("c.yaml"), """
                logic:
                  kafka:
                    bootstrap: broker:9092
                    producer:
                      linger.ms: 5
                      compression: {type: zstd}
                      acks: all
                      bootstrap.servers: [a:1, b:2]
                """);

        Config config = load(file, Map.of(), "logic.kafka.producer.acks=1", "logic.kafka.producer.sasl.jaas.config=secret stuff");

        assertThat(config.getPrefixed(PRODUCER)).containsExactly(
                Map.entry("acks", "1"),
                Map.entry("bootstrap.servers", "a:1,b:2"),
                Map.entry("compression.type", "zstd"),
                Map.entry("linger.ms", "5"),
                Map.entry("sasl.jaas.config", "secret stuff"));
        assertThat(config.getPrefixed("logic.redis.")).isEmpty();
        assertThat(config.getString("logic.kafka.bootstrap")).contains("broker:9092");
        assertThat(config.source("logic.kafka.producer.acks")).isEqualTo(ConfigSource.FLAG);
        assertThat(config.source("logic.kafka.producer.linger.ms")).isEqualTo(ConfigSource.FILE);
    }

    @Test
    void describeListsEntriesAndMasksSecretLookingOnes() {
        Config config = load(null, Map.of(), "logic.kafka.producer.linger.ms=5",
                "logic.kafka.producer.sasl.jaas.config=user pass", "logic.redis.password=hunter2");

        assertThat(config.describe().lines()).containsExactly(
                "logic.kafka.bootstrap = localhost:9092 (default)",
                "logic.kafka.producer.linger.ms = 5 (flag)",
                "logic.kafka.producer.sasl.jaas.config = [hidden] (flag)",
                "logic.redis.password = [hidden] (flag)");
    }

    @Test
    void environmentVariablesCannotSetPrefixEntries() {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> load(null, Map.of("DANMAKU_LOGIC_KAFKA_PRODUCER_LINGER_MS", "5")));

        assertThat(e.problems()).containsExactly("DANMAKU_LOGIC_KAFKA_PRODUCER_LINGER_MS: unknown environment variable"
                + " (keys under logic.kafka.producer. can be set only in the config file or with --set)");
    }

    @Test
    void theBarePrefixIsNotAnEntry() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> load(null, Map.of(), "logic.kafka.producer=1"));

        assertThat(e.problems()).containsExactly("logic.kafka.producer: unknown key in flag --set (expected: a key listed by `danmaku config-docs`)");
    }
}
