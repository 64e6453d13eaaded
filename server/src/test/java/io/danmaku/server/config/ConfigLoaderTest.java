package io.danmaku.server.config;

import static io.danmaku.server.config.DanmakuKeys.ADMIN_PORT;
import static io.danmaku.server.config.DanmakuKeys.ALLOW_ANONYMOUS;
import static io.danmaku.server.config.DanmakuKeys.API_KEY;
import static io.danmaku.server.config.DanmakuKeys.GATEWAY_BATCH_WINDOW;
import static io.danmaku.server.config.DanmakuKeys.GATEWAY_PORT;
import static io.danmaku.server.config.DanmakuKeys.LOGIC_BLOCKED_WORDS;
import static io.danmaku.server.config.DanmakuKeys.LOGIC_BLOCKED_WORDS_FILE;
import static io.danmaku.server.config.DanmakuKeys.LOGIC_RATE_USER_PER_SECOND;
import static io.danmaku.server.config.DanmakuKeys.NODE_ID;
import static io.danmaku.server.config.DanmakuKeys.TOKEN_HMAC_SECRET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    private static final String SECRET = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    private Config load(Path file, Map<String, String> env, String... sets) {
        return new ConfigLoader(DanmakuKeys.DEFINITION).load(file, env, List.of(sets));
    }

    private List<String> problems(Path file, Map<String, String> env, String... sets) {
        return catchThrowableOfType(ConfigException.class, () -> load(file, env, sets)).problems();
    }

    private Path yaml(String text) throws IOException {
        return Files.writeString(dir.resolve("danmaku.yaml"), text);
    }

    @Nested
    class Sources {
        @Test
        void withoutInputEveryKeyHasItsDefault() {
            Config config = load(null, Map.of());

            assertThat(config.getInt(GATEWAY_PORT)).isEqualTo(8080);
            assertThat(config.getDuration(GATEWAY_BATCH_WINDOW)).isEqualTo(Duration.ofMillis(50));
            assertThat(config.getBoolean(ALLOW_ANONYMOUS)).isTrue();
            assertThat(config.getString(NODE_ID)).isEmpty();
            assertThat(config.getPassword(TOKEN_HMAC_SECRET)).isEmpty();
            assertThat(config.getList(LOGIC_BLOCKED_WORDS)).isEmpty();
            assertThat(config.source(GATEWAY_PORT)).isEqualTo(ConfigSource.DEFAULT);
        }

        @Test
        void readsNestedAndDottedYamlKeys() throws IOException {
            Path file = yaml("""
                    gateway:
                      batch:
                        window: 20ms
                      port: 9000
                    logic.rate.user.per-second: 2.5
                    logic:
                      blocked-words: [spam, "eggs"]
                    node: {id: edge-1}
                    """);

            Config config = load(file, Map.of());

            assertThat(config.getDuration(GATEWAY_BATCH_WINDOW)).isEqualTo(Duration.ofMillis(20));
            assertThat(config.getInt(GATEWAY_PORT)).isEqualTo(9000);
            assertThat(config.getDouble(LOGIC_RATE_USER_PER_SECOND)).isEqualTo(2.5);
            assertThat(config.getList(LOGIC_BLOCKED_WORDS)).containsExactly("spam", "eggs");
            assertThat(config.getString(NODE_ID)).contains("edge-1");
            assertThat(config.source(GATEWAY_PORT)).isEqualTo(ConfigSource.FILE);
            assertThat(config.source(ADMIN_PORT)).isEqualTo(ConfigSource.DEFAULT);
        }

        @Test
        void readsEnvironmentVariablesAndIgnoresOtherVariables() {
            Config config = load(null, Map.of(
                    "DANMAKU_GATEWAY_PORT", "8081",
                    "DANMAKU_LOGIC_BLOCKED_WORDS", "spam, eggs,,ham",
                    "DANMAKU_TOKEN_HMAC_SECRET", SECRET,
                    "DANMAKU_JAVA_OPTS", "-Xmx1g",
                    "DANMAKU_HOME", "/opt/danmaku",
                    "PATH", "/usr/bin",
                    "HOME", "/root"));

            assertThat(config.getInt(GATEWAY_PORT)).isEqualTo(8081);
            assertThat(config.getList(LOGIC_BLOCKED_WORDS)).containsExactly("spam", "eggs", "ham");
            assertThat(config.getPassword(TOKEN_HMAC_SECRET)).map(Password::value).contains(SECRET);
            assertThat(config.source(GATEWAY_PORT)).isEqualTo(ConfigSource.ENV);
        }

        @Test
        void readsSetFlagsLastOneWinning() {
            Config config = load(null, Map.of(), "gateway.port=1", "allow.anonymous=FALSE", "gateway.port=2", "api.key=k=v");

            assertThat(config.getInt(GATEWAY_PORT)).isEqualTo(2);
            assertThat(config.getBoolean(ALLOW_ANONYMOUS)).isFalse();
            assertThat(config.getPassword(API_KEY)).as("only the first = separates").map(Password::value).contains("k=v");
        }

        @Test
        void laterSourcesOverrideEarlierOnes() throws IOException {
            Path file = yaml("gateway: {port: 1001}\nadmin: {port: 1002}\nnode.id: from-file\n");
            Map<String, String> env = Map.of("DANMAKU_GATEWAY_PORT", "2001", "DANMAKU_NODE_ID", "from-env");

            Config config = load(file, env, "gateway.port=3001");

            assertThat(config.getInt(GATEWAY_PORT)).isEqualTo(3001);
            assertThat(config.source(GATEWAY_PORT)).isEqualTo(ConfigSource.FLAG);
            assertThat(config.getString(NODE_ID)).contains("from-env");
            assertThat(config.source(NODE_ID)).isEqualTo(ConfigSource.ENV);
            assertThat(config.getInt(ADMIN_PORT)).isEqualTo(1002);
            assertThat(config.source(ADMIN_PORT)).isEqualTo(ConfigSource.FILE);
        }

        @Test
        void danmakuConfigNamesTheFileWhenConfigIsAbsent() throws IOException {
            Path file = yaml("gateway.port: 7000\n");
            Path other = Files.writeString(dir.resolve("other.yaml"), "gateway.port: 7001\n");

            assertThat(load(null, Map.of("DANMAKU_CONFIG", file.toString())).getInt(GATEWAY_PORT)).isEqualTo(7000);
            assertThat(load(other, Map.of("DANMAKU_CONFIG", file.toString())).getInt(GATEWAY_PORT)).isEqualTo(7001);
        }

        @Test
        void yamlNullUnsetsAKeyWithoutDefault() throws IOException {
            Path file = yaml("node.id: ~\napi.key: null\n");

            Config config = load(file, Map.of());

            assertThat(config.getString(NODE_ID)).isEmpty();
            assertThat(config.getPassword(API_KEY)).isEmpty();
        }

        @Test
        void anEmptyFileSetsNothing() throws IOException {
            assertThat(load(yaml(""), Map.of()).source(GATEWAY_PORT)).isEqualTo(ConfigSource.DEFAULT);
            assertThat(load(yaml("# only a comment\n"), Map.of()).source(GATEWAY_PORT)).isEqualTo(ConfigSource.DEFAULT);
        }

        @Test
        void aReadableFilePathIsAccepted() throws IOException {
            Path words = Files.writeString(dir.resolve("words.txt"), "spam\n");

            Config config = load(null, Map.of(), "logic.blocked-words.file=" + words);

            assertThat(config.getPath(LOGIC_BLOCKED_WORDS_FILE)).contains(words);
        }
    }

    @Nested
    class Errors {
        @Test
        void aBadValueNamesKeyValueSourceAndExpectation() {
            assertThat(problems(null, Map.of("DANMAKU_GATEWAY_BATCH_WINDOW", "fast"))).containsExactly(
                    "gateway.batch.window: \"fast\" from env DANMAKU_GATEWAY_BATCH_WINDOW (expected: a duration like 50ms, 2s; 0..10s)");
        }

        @Test
        void outOfRangeValuesFromEachSource() throws IOException {
            Path file = yaml("gateway:\n  port: 70000\n");

            assertThat(problems(file, Map.of("DANMAKU_GATEWAY_BATCH_WINDOW", "11s"), "logic.rate.user.per-second=0"))
                    .containsExactly(
                            "gateway.port: \"70000\" from file " + file + " (expected: an integer; 0..65535)",
                            "gateway.batch.window: \"11s\" from env DANMAKU_GATEWAY_BATCH_WINDOW (expected: a duration like 50ms, 2s; 0..10s)",
                            "logic.rate.user.per-second: \"0\" from flag --set (expected: a number; > 0 and <= 100000)");
        }

        @Test
        void booleansAreTrueOrFalseOnly() {
            assertThat(problems(null, Map.of(), "allow.anonymous=yes"))
                    .containsExactly("allow.anonymous: \"yes\" from flag --set (expected: true or false)");
        }

        @Test
        void secretsAreNeverQuoted() {
            assertThat(problems(null, Map.of("DANMAKU_TOKEN_HMAC_SECRET", "short-secret")))
                    .containsExactly("token.hmac.secret: [hidden] from env DANMAKU_TOKEN_HMAC_SECRET (expected: a secret string; at least 32 bytes)");
        }

        @Test
        void aMissingPathIsReported() {
            Path missing = dir.resolve("nope.txt");

            assertThat(problems(null, Map.of(), "token.rsa.public-key-file=" + missing)).containsExactly(
                    "token.rsa.public-key-file: \"" + missing + "\" from flag --set (expected: a file path; an existing readable file)");
        }

        @Test
        void aListWhereAScalarIsExpected() throws IOException {
            Path file = yaml("gateway.port: [1, 2]\n");

            assertThat(problems(file, Map.of()))
                    .containsExactly("gateway.port: [1, 2] from file " + file + " (expected: an integer; 0..65535)");
        }

        @Test
        void yamlNullForAKeyWithADefault() throws IOException {
            Path file = yaml("gateway.port: null\n");

            assertThat(problems(file, Map.of()))
                    .containsExactly("gateway.port: null from file " + file + " (expected: an integer; 0..65535)");
        }

        @Test
        void unknownKeysSuggestTheClosestName() throws IOException {
            Path file = yaml("gateway: {batch: {windw: 10ms}}\ncompletely.different: 1\n");

            assertThat(problems(file, Map.of("DANMAKU_GATEWAY_PROT", "1"), "gateway.batch.max-mesages=3", "nope=1"))
                    .containsExactly(
                            "gateway.batch.windw: unknown key in file " + file + " (did you mean gateway.batch.window?)",
                            "completely.different: unknown key in file " + file + " (expected: a key listed by `danmaku config-docs`)",
                            "DANMAKU_GATEWAY_PROT: unknown environment variable (did you mean DANMAKU_GATEWAY_PORT?)",
                            "gateway.batch.max-mesages: unknown key in flag --set (did you mean gateway.batch.max-messages?)",
                            "nope: unknown key in flag --set (expected: a key listed by `danmaku config-docs`)");
        }

        @Test
        void unknownEnvironmentVariablesWithoutSuggestionListTheLauncherOnes() {
            assertThat(problems(null, Map.of("DANMAKU_SOMETHING_ELSE", "x"))).containsExactly(
                    "DANMAKU_SOMETHING_ELSE: unknown environment variable (expected: DANMAKU_ + a configuration key"
                            + " upper-cased with . and - as _, or one of DANMAKU_CONFIG, DANMAKU_HOME, DANMAKU_JAVA_OPTS)");
        }

        @Test
        void aFlagWithoutEqualsSign() {
            assertThat(problems(null, Map.of(), "gateway.port", "=5"))
                    .containsExactly("--set \"gateway.port\" (expected: key=value)", "--set \"=5\" (expected: key=value)");
        }

        @Test
        void lowWaterMarkMustBeBelowHighNamingBoth() {
            assertThat(problems(null, Map.of("DANMAKU_GATEWAY_WRITE_BUFFER_LOW_BYTES", "262144"))).containsExactly(
                    "gateway.write-buffer.low-bytes: 262144 from env DANMAKU_GATEWAY_WRITE_BUFFER_LOW_BYTES"
                            + " (expected: less than gateway.write-buffer.high-bytes, which is 262144 from default)");
        }

        @Test
        void aMissingConfigFile() {
            Path missing = dir.resolve("missing.yaml");

            assertThat(problems(missing, Map.of()))
                    .containsExactly("--config: \"" + missing + "\" (expected: an existing YAML file)");
            assertThat(problems(null, Map.of("DANMAKU_CONFIG", missing.toString())))
                    .containsExactly("DANMAKU_CONFIG: \"" + missing + "\" (expected: an existing YAML file)");
        }

        @Test
        void invalidYamlNamesTheLine() throws IOException {
            Path file = yaml("gateway:\n  port: 1\n bad indentation: [\n");

            assertThat(problems(file, Map.of()))
                    .singleElement(InstanceOfAssertFactories.STRING)
                    .startsWith("config file " + file + ": invalid YAML at line ");
        }

        @Test
        void aTopLevelThatIsNotAMapping() throws IOException {
            Path file = yaml("- gateway.port: 1\n");

            assertThat(problems(file, Map.of()))
                    .containsExactly("config file " + file + ": a YAML array at the top (expected: a mapping of keys to values)");
        }

        @Test
        void aKeySetTwiceInTheFile() throws IOException {
            Path file = yaml("gateway: {port: 1}\ngateway.port: 2\n");

            assertThat(problems(file, Map.of()))
                    .containsExactly("gateway.port: set twice in file " + file + " (expected: once, nested or dotted)");
        }

        @Test
        void everyProblemIsReportedAtOnceInTheMessage() {
            ConfigException e = catchThrowableOfType(ConfigException.class,
                    () -> load(null, Map.of("DANMAKU_GATEWAY_PORT", "x"), "admin.port=-1"));

            assertThat(e.problems()).hasSize(2);
            assertThat(e).hasMessage(String.join("\n", e.problems()));
            assertThat(e.retriable()).isFalse();
        }
    }

    @Nested
    class Result {
        @Test
        void describeListsEveryKeySortedWithSourceAndSecretsMasked() {
            Config config = load(null, Map.of("DANMAKU_TOKEN_HMAC_SECRET", SECRET), "api.key=the-api-key", "gateway.port=9000");

            String described = config.describe();

            assertThat(described).doesNotContain(SECRET).doesNotContain("the-api-key");
            List<String> lines = described.lines().toList();
            assertThat(lines).hasSize(DanmakuKeys.DEFINITION.keys().size()).isSorted();
            assertThat(lines).contains(
                    "token.hmac.secret = [hidden] (env)",
                    "api.key = [hidden] (flag)",
                    "gateway.port = 9000 (flag)",
                    "gateway.batch.window = 50ms (default)",
                    "logic.rate.user.per-second = 1.0 (default)",
                    "node.id = <unset> (default)",
                    "logic.blocked-words = \"\" (default)");
            assertThat(config.toString()).doesNotContain(SECRET).doesNotContain("the-api-key");
        }

        @Test
        void passwordsInsideUrisAreMaskedWhereverTheConfigurationIsShown() {
            Config config = load(null, Map.of(), "store.redis.uris=redis://:r3dis-pw@10.0.0.1:7000,redis://10.0.0.2:7000",
                    "bus.kafka.consumer.proxy.url=http://user:pr0xy-pw@proxy:3128", "node.id=n1");

            assertThat(config.describe()).doesNotContain("r3dis-pw").doesNotContain("pr0xy-pw")
                    .contains("store.redis.uris = redis://[hidden]@10.0.0.1:7000,redis://10.0.0.2:7000 (flag)")
                    .contains("bus.kafka.consumer.proxy.url = http://[hidden]@proxy:3128 (flag)");
            assertThat(config.toString()).doesNotContain("r3dis-pw");
            assertThat(config.getList(DanmakuKeys.STORE_REDIS_URIS)).as("the value itself is intact")
                    .containsExactly("redis://:r3dis-pw@10.0.0.1:7000", "redis://10.0.0.2:7000");
        }

        @Test
        void gettersCheckTheKeyAndItsType() {
            Config config = Config.defaults(DanmakuKeys.DEFINITION);

            assertThatThrownBy(() -> config.getInt("gateway.prot"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("key: gateway.prot (expected: a defined configuration key)");
            assertThatThrownBy(() -> config.getInt(GATEWAY_BATCH_WINDOW))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("gateway.batch.window: a DURATION key, read as INT");
            assertThatThrownBy(() -> config.getPrefixed("logic.kafka.producer."))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
