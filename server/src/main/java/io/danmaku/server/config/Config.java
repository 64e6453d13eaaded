package io.danmaku.server.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The resolved configuration: one validated value per defined key, with where it came from, and the entries under
 * each pass-through prefix. Immutable. Built by {@link ConfigLoader}; {@link #defaults(ConfigDef)} gives the
 * defaults alone.
 *
 * <p>Getters are typed and take the key's name; asking for an undefined key or with the getter of another type is
 * a programming error ({@link IllegalArgumentException}).
 */
public final class Config {
    /** Pass-through entries whose name suggests a secret are masked in {@link #describe()}. */
    private static final Pattern SECRET_ENTRY = Pattern.compile(".*(password|secret|token|credential|sasl\\.jaas).*");

    private final ConfigDef definition;
    private final Map<String, Object> values;
    private final Map<String, ConfigOrigin> origins;
    private final Map<String, Map<String, String>> prefixed;
    private final Map<String, ConfigOrigin> prefixedOrigins;

    Config(ConfigDef definition, Map<String, Object> values, Map<String, ConfigOrigin> origins,
            Map<String, Map<String, String>> prefixed, Map<String, ConfigOrigin> prefixedOrigins) {
        this.definition = requireNonNull(definition, "definition");
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.origins = Map.copyOf(origins);
        Map<String, Map<String, String>> copy = new LinkedHashMap<>();
        for (ConfigPrefix prefix : definition.prefixes()) {
            copy.put(prefix.prefix(), Collections.unmodifiableMap(new TreeMap<>(prefixed.getOrDefault(prefix.prefix(), Map.of()))));
        }
        this.prefixed = Collections.unmodifiableMap(copy);
        this.prefixedOrigins = Map.copyOf(prefixedOrigins);
    }

    /** Every key at its default, no pass-through entries. */
    public static Config defaults(ConfigDef definition) {
        return new ConfigLoader(definition).load(null, Map.of(), List.of());
    }

    public ConfigDef definition() {
        return definition;
    }

    public Optional<String> getString(String key) {
        return Optional.ofNullable((String) typed(key, ConfigType.STRING));
    }

    public int getInt(String key) {
        return (Integer) required(key, ConfigType.INT);
    }

    public long getLong(String key) {
        return (Long) required(key, ConfigType.LONG);
    }

    public double getDouble(String key) {
        return (Double) required(key, ConfigType.DOUBLE);
    }

    public boolean getBoolean(String key) {
        return (Boolean) required(key, ConfigType.BOOLEAN);
    }

    public Duration getDuration(String key) {
        return (Duration) required(key, ConfigType.DURATION);
    }

    /** A secret; {@link Password#value()} reveals it, its {@code toString()} does not. */
    public Optional<Password> getPassword(String key) {
        return Optional.ofNullable((Password) typed(key, ConfigType.PASSWORD));
    }

    /** The list (empty when unset). */
    @SuppressWarnings("unchecked")
    public List<String> getList(String key) {
        List<String> list = (List<String>) typed(key, ConfigType.LIST);
        return list == null ? List.of() : list;
    }

    public Optional<Path> getPath(String key) {
        return Optional.ofNullable((Path) typed(key, ConfigType.PATH));
    }

    /**
     * The entries under a pass-through prefix, e.g. {@code getPrefixed("logic.kafka.producer.")} →
     * {@code {linger.ms=5}}; sorted by name, empty when none were set.
     */
    public Map<String, String> getPrefixed(String prefix) {
        Map<String, String> entries = prefixed.get(prefix);
        if (entries == null) {
            throw new IllegalArgumentException("prefix: " + prefix + " (expected: one of " + prefixed.keySet() + ")");
        }
        return entries;
    }

    /**
     * Where the value of {@code key} came from. Also answers for a pass-through entry by its full name
     * ({@code logic.kafka.producer.linger.ms}).
     */
    public ConfigSource source(String key) {
        return origin(key).source();
    }

    /**
     * The effective configuration, one {@code key = value (source)} line per key and pass-through entry, sorted by
     * key; secrets show as {@value Password#MASK}, unset keys as {@code <unset>}.
     */
    public String describe() {
        Map<String, String> lines = new TreeMap<>();
        for (ConfigKey key : definition.keys()) {
            String shown = show(key.name());
            lines.put(key.name(), key.name() + " = " + shown + " (" + origins.get(key.name()).source().label() + ")");
        }
        prefixed.forEach((prefix, entries) -> entries.forEach((name, value) -> {
            String full = prefix + name;
            String shown = SECRET_ENTRY.matcher(name.toLowerCase(Locale.ROOT)).matches() ? Password.MASK
                    : Password.maskUriCredentials(value);
            lines.put(full, full + " = " + shown + " (" + prefixedOrigins.get(full).source().label() + ")");
        }));
        return String.join("\n", lines.values());
    }

    @Override
    public String toString() {
        return "Config{" + values.entrySet().stream()
                .map(entry -> entry.getKey() + "=" + definition.require(entry.getKey()).type().format(entry.getValue()))
                .collect(Collectors.joining(", ")) + "}";
    }

    /** The raw typed value of {@code key}, {@code null} when unset. */
    Object get(String key) {
        definition.require(key);
        return values.get(key);
    }

    /** The value of {@code key} as error messages show it (secrets masked). */
    String show(String key) {
        ConfigKey definitionKey = definition.require(key);
        Object value = values.get(key);
        if (value == null) {
            return "<unset>";
        }
        String shown = definitionKey.type().format(value);
        return shown.isEmpty() ? "\"\"" : shown;
    }

    ConfigOrigin origin(String key) {
        ConfigOrigin origin = origins.get(key);
        if (origin == null) {
            origin = prefixedOrigins.get(key);
        }
        if (origin == null) {
            if (definition.prefixOf(key).isPresent()) {
                throw new IllegalArgumentException("key: " + key + " (expected: a key or a pass-through entry that is set)");
            }
            definition.require(key);
        }
        return origin;
    }

    private Object typed(String key, ConfigType type) {
        ConfigKey definitionKey = definition.require(key);
        if (definitionKey.type() != type) {
            throw new IllegalArgumentException(key + ": a " + definitionKey.type() + " key, read as " + type);
        }
        return values.get(key);
    }

    private Object required(String key, ConfigType type) {
        Object value = typed(key, type);
        if (value == null) {
            throw new IllegalStateException(key + ": unset (expected: a key with a default or a value)");
        }
        return value;
    }
}
