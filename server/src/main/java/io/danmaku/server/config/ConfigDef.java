package io.danmaku.server.config;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable registry of configuration keys, pass-through prefixes and cross-key constraints, in definition order.
 * Every key is defined once; definitions are checked when built (a bad default or two keys with one environment
 * variable is a programming error, an {@link IllegalArgumentException}).
 */
public final class ConfigDef {
    private final Map<String, ConfigKey> keys;
    private final Map<String, ConfigKey> keysByEnv;
    private final List<ConfigPrefix> prefixes;
    private final List<Constraint> constraints;

    private ConfigDef(Builder builder) {
        this.keys = Collections.unmodifiableMap(new LinkedHashMap<>(builder.keys));
        Map<String, ConfigKey> byEnv = new HashMap<>();
        for (ConfigKey key : keys.values()) {
            ConfigKey clash = byEnv.put(key.envName(), key);
            if (clash != null) {
                throw new IllegalArgumentException(key.name() + ": environment variable " + key.envName()
                        + " already belongs to " + clash.name() + " (expected: distinct names)");
            }
        }
        this.keysByEnv = Map.copyOf(byEnv);
        this.prefixes = List.copyOf(builder.prefixes);
        for (ConfigKey key : keys.values()) {
            for (ConfigPrefix prefix : prefixes) {
                if (prefix.covers(key.name()) || key.name().equals(prefix.prefix().substring(0, prefix.prefix().length() - 1))) {
                    throw new IllegalArgumentException(key.name() + ": clashes with prefix " + prefix.prefix()
                            + " (expected: keys outside pass-through prefixes)");
                }
            }
        }
        this.constraints = List.copyOf(builder.constraints);
        for (Constraint constraint : constraints) {
            for (String name : constraint.keys()) {
                if (!keys.containsKey(name)) {
                    throw new IllegalArgumentException("constraint key: " + name + " (expected: a defined key)");
                }
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Every key, in definition order. */
    public Collection<ConfigKey> keys() {
        return keys.values();
    }

    public Optional<ConfigKey> key(String name) {
        return Optional.ofNullable(keys.get(name));
    }

    /** The key whose environment variable is {@code envName}. */
    public Optional<ConfigKey> keyForEnv(String envName) {
        return Optional.ofNullable(keysByEnv.get(envName));
    }

    public List<ConfigPrefix> prefixes() {
        return prefixes;
    }

    /** The prefix covering {@code name}, if any. */
    public Optional<ConfigPrefix> prefixOf(String name) {
        return prefixes.stream().filter(prefix -> prefix.covers(name)).findFirst();
    }

    public List<Constraint> constraints() {
        return constraints;
    }

    ConfigKey require(String name) {
        ConfigKey key = keys.get(name);
        if (key == null) {
            throw new IllegalArgumentException("key: " + name + " (expected: a defined configuration key)");
        }
        return key;
    }

    /** Collects definitions; {@link #build()} checks them as a whole. */
    public static final class Builder {
        private final Map<String, ConfigKey> keys = new LinkedHashMap<>();
        private final List<ConfigPrefix> prefixes = new ArrayList<>();
        private final List<Constraint> constraints = new ArrayList<>();

        private Builder() {
        }

        /** Defines a key whose every value of the type is acceptable. */
        public Builder define(String name, ConfigType type, Object defaultValue, String doc) {
            return define(name, type, defaultValue, Validator.any(), doc);
        }

        /**
         * Defines a key. {@code defaultValue} is {@code null} (unset) or a value of {@code type}'s
         * {@link ConfigType#javaType() Java type} that {@code validator} accepts; a {@link String} default of a
         * {@link ConfigType#PASSWORD} key is wrapped in a {@link Password}.
         */
        public Builder define(String name, ConfigType type, Object defaultValue, Validator validator, String doc) {
            requireNonNull(type, "type");
            Object value = type == ConfigType.PASSWORD && defaultValue instanceof String text ? new Password(text) : defaultValue;
            if (value instanceof List<?> list) {
                value = List.copyOf(list);
            }
            ConfigKey key = new ConfigKey(name, type, value, validator, doc);
            if (value != null) {
                if (!type.javaType().isInstance(value)) {
                    throw new IllegalArgumentException(name + ": default " + value + " is a " + value.getClass().getSimpleName()
                            + " (expected: " + type.javaType().getSimpleName() + ")");
                }
                if (!validator.accepts(value)) {
                    throw new IllegalArgumentException(name + ": default " + type.format(value) + " (expected: " + key.expected() + ")");
                }
            }
            if (keys.putIfAbsent(name, key) != null) {
                throw new IllegalArgumentException(name + ": defined twice (expected: every key defined once)");
            }
            return this;
        }

        /** Defines a pass-through prefix such as {@code logic.kafka.producer.}. */
        public Builder definePrefix(String prefix, String doc) {
            ConfigPrefix definition = new ConfigPrefix(prefix, doc);
            for (ConfigPrefix existing : prefixes) {
                if (existing.prefix().startsWith(prefix) || prefix.startsWith(existing.prefix())) {
                    throw new IllegalArgumentException(prefix + ": overlaps prefix " + existing.prefix());
                }
            }
            prefixes.add(definition);
            return this;
        }

        /** Adds a rule over several keys, checked after each key's own validation. */
        public Builder constraint(Constraint constraint) {
            constraints.add(requireNonNull(constraint, "constraint"));
            return this;
        }

        public ConfigDef build() {
            return new ConfigDef(this);
        }
    }
}
