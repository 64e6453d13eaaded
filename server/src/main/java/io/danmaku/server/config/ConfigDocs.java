package io.danmaku.server.config;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Renders a {@link ConfigDef} as the markdown of {@code docs/CONFIGURATION.md}: how values are given, then one table
 * row per key (name, environment variable, type, default, accepted values, doc) and the pass-through prefixes.
 * {@code danmaku config-docs} prints it; a test keeps the checked-in file up to date.
 */
public final class ConfigDocs {
    /** The command that regenerates the file, from the project root. */
    public static final String REGENERATE = "./danmaku config-docs > docs/CONFIGURATION.md";

    private ConfigDocs() {
    }

    public static String markdown(ConfigDef definition) {
        requireNonNull(definition, "definition");
        StringBuilder out = new StringBuilder();
        out.append("# Configuration\n\n");
        out.append("<!-- Generated from io.danmaku.server.config.DanmakuKeys by `").append(REGENERATE)
                .append("`. Do not edit by hand. -->\n\n");
        out.append("""
                Every setting has one key. Values come from these sources; a later one overrides an earlier one:

                1. the default below;
                2. the YAML file named by `--config FILE` (or, without that flag, by the `DANMAKU_CONFIG` variable).
                   Nested mappings and dotted keys are the same: `gateway: {batch: {window: 50ms}}` sets
                   `gateway.batch.window`. `null` unsets a key whose default is unset;
                3. environment variables: `DANMAKU_` + the key upper-cased, with `.` and `-` replaced by `_`
                   (`token.hmac.secret` is `DANMAKU_TOKEN_HMAC_SECRET`);
                4. command-line flags `--set key=value`, repeatable.

                Formats: durations are `50ms`, `2s`, `5m`, `1h`, ISO-8601 (`PT2S`) or a bare number of milliseconds;
                booleans are `true` or `false`; lists are comma-separated (a YAML sequence in the file); paths are
                relative to the working directory.

                Unknown keys, in the file, the environment (`DANMAKU_*`) or flags, are errors, as are values of the
                wrong type or out of range: the server refuses to start, names each bad setting, where it came from and
                what was expected, and exits with status 2. The effective configuration is logged once at start, one
                `key = value (source)` line per key, with secrets (type `password`) shown as `[hidden]`, and so is
                the user information of any URI in a value (`redis://:password@host` shows as
                `redis://[hidden]@host`).

                The launcher script (`./danmaku`) reads three variables of its own: `DANMAKU_JAVA_OPTS` (JVM
                options; default `-XX:+UseG1GC -Xss512k -XX:+ExitOnOutOfMemoryError -XX:MaxHeapFreeRatio=40
                -XX:G1PeriodicGCInterval=60000`, plus `-XX:TrimNativeHeapInterval=10000` on JVMs that have it
                (17.0.10+, 21.0.1+, 22+) and `--enable-native-access=ALL-UNNAMED` on Java 22+; the script's header
                says why each; set it empty for none), `DANMAKU_HOME` (the project directory; default the script's
                own) and `DANMAKU_CONFIG`.

                ## Keys

                """);
        out.append("| Key | Environment variable | Type | Default | Accepted | Description |\n");
        out.append("|---|---|---|---|---|---|\n");
        for (ConfigKey key : definition.keys()) {
            out.append("| `").append(key.name()).append("` | `").append(key.envName()).append("` | ")
                    .append(key.type().name().toLowerCase(Locale.ROOT)).append(" | ")
                    .append(key.defaultValue() == null ? "(unset)" : code(key.formattedDefault())).append(" | ")
                    .append(cell(key.validator().expected())).append(" | ")
                    .append(cell(key.doc())).append(" |\n");
        }
        out.append('\n');
        List<String> constraints = definition.constraints().stream()
                .map(constraint -> "- " + constraint.describe())
                .collect(Collectors.toList());
        if (!constraints.isEmpty()) {
            out.append("Rules across keys:\n\n").append(String.join("\n", constraints)).append("\n\n");
        }
        out.append("## Pass-through prefixes\n\n");
        if (definition.prefixes().isEmpty()) {
            out.append("None yet. A prefix collects every key under it, unvalidated, for a client library's own settings;"
                    + " entries are set in the YAML file or with `--set`, not in the environment.\n");
        } else {
            out.append("Every key under a prefix is passed, unvalidated, to the client library; set entries in the YAML file"
                    + " or with `--set` (`--set bus.kafka.producer.linger.ms=5`), not in the environment.\n\n");
            out.append("| Prefix | Description |\n|---|---|\n");
            for (ConfigPrefix prefix : definition.prefixes()) {
                out.append("| `").append(prefix.prefix()).append("*` | ").append(cell(prefix.doc())).append(" |\n");
            }
        }
        return out.toString();
    }

    private static String code(String text) {
        return text.isEmpty() ? "(empty)" : "`" + text.replace("|", "\\|") + "`";
    }

    private static String cell(String text) {
        return text.isEmpty() ? "" : text.replace("|", "\\|");
    }
}
