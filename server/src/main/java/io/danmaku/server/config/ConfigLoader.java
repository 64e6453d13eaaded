package io.danmaku.server.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Resolves a {@link Config} from, later wins: the defaults, a YAML file, {@code DANMAKU_*} environment variables,
 * then {@code --set key=value} flags.
 *
 * <ul>
 *   <li>YAML: nested mappings are flattened with dots ({@code gateway: {batch: {window: 50ms}}} is
 *       {@code gateway.batch.window}); dotted keys work too; a sequence is a {@link ConfigType#LIST}; {@code null}
 *       unsets a key whose default is unset. The file is {@code --config}'s, else {@value #CONFIG_FILE_ENV}'s.</li>
 *   <li>Environment: {@link ConfigKey#envName()}; the launcher's own variables
 *       ({@link #LAUNCHER_VARIABLES}) are ignored, any other unknown {@code DANMAKU_*} variable is an error.</li>
 *   <li>Pass-through prefixes take entries from the file and flags only.</li>
 * </ul>
 *
 * Unknown keys are errors, with a "did you mean" when a defined name is within two edits. Every problem of every
 * source is collected and thrown together as one {@link ConfigException}.
 */
public final class ConfigLoader {
    /** The variable naming the YAML file when {@code --config} is absent. */
    public static final String CONFIG_FILE_ENV = "DANMAKU_CONFIG";
    /** {@code DANMAKU_*} variables read by the launcher script, not configuration keys. */
    public static final Set<String> LAUNCHER_VARIABLES = Set.of("DANMAKU_JAVA_OPTS", "DANMAKU_HOME", CONFIG_FILE_ENV);

    private static final int MAX_SUGGESTION_DISTANCE = 2;
    private static final int MAX_SHOWN_CHARS = 80;
    /** Marks a value that failed to parse or validate (its problem is already recorded). */
    private static final Object INVALID = new Object();

    private final ConfigDef definition;

    public ConfigLoader(ConfigDef definition) {
        this.definition = requireNonNull(definition, "definition");
    }

    /**
     * Loads the configuration.
     *
     * @param configFile the {@code --config} file, or {@code null} to use {@value #CONFIG_FILE_ENV} if set
     * @param env the process environment (tests pass their own)
     * @param assignments the {@code --set} flags' {@code key=value} texts, in command-line order
     * @throws ConfigException naming every bad, unknown or malformed setting
     */
    public Config load(Path configFile, Map<String, String> env, List<String> assignments) {
        requireNonNull(env, "env");
        requireNonNull(assignments, "assignments");
        Resolution resolution = new Resolution();
        readFile(configFile, env, resolution);
        readEnv(env, resolution);
        readFlags(assignments, resolution);
        return resolution.resolve();
    }

    private void readFile(Path configFile, Map<String, String> env, Resolution resolution) {
        Path file = configFile;
        String namedBy = "--config";
        if (file == null) {
            String fromEnv = env.get(CONFIG_FILE_ENV);
            if (fromEnv == null || fromEnv.isBlank()) {
                return;
            }
            namedBy = CONFIG_FILE_ENV;
            try {
                file = Path.of(fromEnv.trim());
            } catch (InvalidPathException e) {
                resolution.problems.add(namedBy + ": \"" + shorten(fromEnv) + "\" (expected: a file path)");
                return;
            }
        }
        JsonNode root;
        try (InputStream in = Files.newInputStream(file)) {
            root = YAMLMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build().readTree(in);
        } catch (NoSuchFileException e) {
            resolution.problems.add(namedBy + ": \"" + file + "\" (expected: an existing YAML file)");
            return;
        } catch (JacksonException e) {
            JsonLocation location = e.getLocation();
            String where = location == null ? "" : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
            resolution.problems.add("config file " + file + ": invalid YAML" + where + ": " + e.getOriginalMessage());
            return;
        } catch (IOException e) {
            resolution.problems.add(namedBy + ": \"" + file + "\" cannot be read: " + e.getMessage());
            return;
        }
        ConfigOrigin origin = ConfigOrigin.file(file.toString());
        if (root == null || root.isMissingNode() || root.isNull()) {
            return;
        }
        if (!root.isObject()) {
            resolution.problems.add("config file " + file + ": a YAML " + root.getNodeType().name().toLowerCase(Locale.ROOT)
                    + " at the top (expected: a mapping of keys to values)");
            return;
        }
        Map<String, Object> flat = new LinkedHashMap<>();
        flatten("", root, flat, origin, resolution);
        flat.forEach((name, raw) -> resolution.assign(name, raw, origin, "in " + origin.detail()));
    }

    private static void flatten(String path, JsonNode node, Map<String, Object> flat, ConfigOrigin origin, Resolution resolution) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                flatten(path.isEmpty() ? field.getKey() : path + "." + field.getKey(), field.getValue(), flat, origin, resolution);
            }
            return;
        }
        Object raw;
        if (node.isArray()) {
            List<String> items = new ArrayList<>();
            node.forEach(item -> items.add(item.isValueNode() ? item.asText() : item.toString()));
            raw = items;
        } else if (node.isNull()) {
            raw = null;
        } else {
            raw = node.asText();
        }
        if (flat.containsKey(path)) {
            resolution.problems.add(path + ": set twice " + "in " + origin.detail() + " (expected: once, nested or dotted)");
            return;
        }
        flat.put(path, raw);
    }

    private void readEnv(Map<String, String> env, Resolution resolution) {
        new TreeMap<>(env).forEach((variable, value) -> {
            if (!variable.startsWith(ConfigKey.ENV_PREFIX) || LAUNCHER_VARIABLES.contains(variable)) {
                return;
            }
            Optional<ConfigKey> key = definition.keyForEnv(variable);
            if (key.isPresent()) {
                resolution.assign(key.get().name(), value, ConfigOrigin.env(variable), "");
                return;
            }
            String hint = definition.prefixes().stream()
                    .filter(prefix -> variable.startsWith(ConfigKey.envName(prefix.prefix())))
                    .findFirst()
                    .map(prefix -> " (keys under " + prefix.prefix() + " can be set only in the config file or with --set)")
                    .orElse("");
            String suggestion = suggestion(variable, definition.keys().stream().map(ConfigKey::envName).toList());
            resolution.problems.add(variable + ": unknown environment variable" + hint + (suggestion.isEmpty() && hint.isEmpty()
                    ? " (expected: DANMAKU_ + a configuration key upper-cased with . and - as _, or one of "
                            + String.join(", ", new TreeSet<>(LAUNCHER_VARIABLES)) + ")"
                    : suggestion));
        });
    }

    private void readFlags(List<String> assignments, Resolution resolution) {
        for (String assignment : assignments) {
            requireNonNull(assignment, "assignment");
            int equals = assignment.indexOf('=');
            String name = equals < 0 ? "" : assignment.substring(0, equals).trim();
            if (name.isEmpty()) {
                resolution.problems.add("--set \"" + shorten(assignment) + "\" (expected: key=value)");
                continue;
            }
            resolution.assign(name, assignment.substring(equals + 1), ConfigOrigin.FLAG, "in flag --set");
        }
    }

    /** {@code " (did you mean x?)"} for the closest candidate within two edits, else {@code ""}. */
    private static String suggestion(String unknown, List<String> candidates) {
        return candidates.stream()
                .map(candidate -> Map.entry(candidate, distance(unknown, candidate)))
                .filter(entry -> entry.getValue() <= MAX_SUGGESTION_DISTANCE)
                .min(Comparator.comparingInt((Map.Entry<String, Integer> entry) -> entry.getValue()).thenComparing(Map.Entry::getKey))
                .map(entry -> " (did you mean " + entry.getKey() + "?)")
                .orElse("");
    }

    /** Levenshtein distance; names are short. */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /** A value as error messages quote it: {@code "text"}, {@code [a, b]}, {@code null}, never a secret. */
    private static String quote(Object raw, ConfigType type) {
        if (type == ConfigType.PASSWORD) {
            return Password.MASK;
        }
        if (raw == null) {
            return "null";
        }
        if (raw instanceof List<?> list) {
            return shorten(list.toString());
        }
        return "\"" + shorten(raw.toString()) + "\"";
    }

    private static String shorten(String text) {
        return text.length() > MAX_SHOWN_CHARS ? text.substring(0, MAX_SHOWN_CHARS) + "…" : text;
    }

    /** The state of one load: raw assignments by key, later ones replacing earlier ones, and the problems so far. */
    private final class Resolution {
        private final Map<String, Object> raw = new HashMap<>();
        private final Map<String, ConfigOrigin> origins = new HashMap<>();
        private final Map<String, Map<String, String>> prefixed = new HashMap<>();
        private final Map<String, ConfigOrigin> prefixedOrigins = new HashMap<>();
        private final List<String> problems = new ArrayList<>();

        /** Records {@code name = value} from {@code origin}; {@code where} completes an unknown-key message. */
        void assign(String name, Object value, ConfigOrigin origin, String where) {
            Optional<ConfigKey> key = definition.key(name);
            if (key.isPresent()) {
                raw.put(name, value);
                origins.put(name, origin);
                return;
            }
            Optional<ConfigPrefix> prefix = definition.prefixOf(name);
            if (prefix.isPresent()) {
                if (value == null) {
                    problems.add(name + ": null " + origin.from() + " (expected: a value)");
                    return;
                }
                String text = value instanceof List<?> list
                        ? list.stream().map(String::valueOf).collect(Collectors.joining(","))
                        : value.toString();
                prefixed.computeIfAbsent(prefix.get().prefix(), ignored -> new TreeMap<>())
                        .put(name.substring(prefix.get().prefix().length()), text);
                prefixedOrigins.put(name, origin);
                return;
            }
            String suggestion = suggestion(name, definition.keys().stream().map(ConfigKey::name).toList());
            problems.add(name + ": unknown key " + where
                    + (suggestion.isEmpty() ? " (expected: a key listed by `danmaku config-docs`)" : suggestion));
        }

        Config resolve() {
            Map<String, Object> values = new LinkedHashMap<>();
            Map<String, ConfigOrigin> resolvedOrigins = new HashMap<>();
            for (ConfigKey key : definition.keys()) {
                ConfigOrigin origin = origins.getOrDefault(key.name(), ConfigOrigin.DEFAULT);
                resolvedOrigins.put(key.name(), origin);
                if (!raw.containsKey(key.name())) {
                    values.put(key.name(), key.defaultValue());
                    continue;
                }
                Object value = parse(key, raw.get(key.name()), origin);
                if (value != INVALID) {
                    values.put(key.name(), value);
                }
            }
            if (problems.isEmpty()) {
                Config config = new Config(definition, values, resolvedOrigins, prefixed, prefixedOrigins);
                for (Constraint constraint : definition.constraints()) {
                    constraint.check(config).ifPresent(problems::add);
                }
                if (problems.isEmpty()) {
                    return config;
                }
            }
            throw new ConfigException(problems);
        }

        /** The parsed value ({@code null} = unset), or {@link #INVALID} after recording a problem. */
        private Object parse(ConfigKey key, Object input, ConfigOrigin origin) {
            if (input == null) {
                if (key.defaultValue() == null) {
                    return null;
                }
                problems.add(invalid(key, null, origin));
                return INVALID;
            }
            Object value;
            try {
                value = key.type().parse(input);
            } catch (IllegalArgumentException e) {
                problems.add(invalid(key, input, origin));
                return INVALID;
            }
            if (!key.validator().accepts(value)) {
                problems.add(invalid(key, input, origin));
                return INVALID;
            }
            return value;
        }

        private String invalid(ConfigKey key, Object input, ConfigOrigin origin) {
            return key.name() + ": " + quote(input, key.type()) + " " + origin.from() + " (expected: " + key.expected() + ")";
        }
    }
}
