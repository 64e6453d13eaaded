package io.danmaku.server.config;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The definition of one configuration key: name, type, default ({@code null} = unset), validator and a one-line
 * doc. Built by {@link ConfigDef.Builder#define}, which checks that the default has the type and passes the
 * validator.
 *
 * @param name dot-separated lowercase words with dashes, e.g. {@code gateway.batch.window}
 */
public record ConfigKey(String name, ConfigType type, Object defaultValue, Validator validator, String doc) {
    /** The environment variable prefix: {@code DANMAKU_}. */
    public static final String ENV_PREFIX = "DANMAKU_";

    static final String NAME_TEXT = "[a-z0-9]+(-[a-z0-9]+)*(\\.[a-z0-9]+(-[a-z0-9]+)*)*";
    private static final Pattern NAME = Pattern.compile(NAME_TEXT);

    public ConfigKey {
        requireName(name, "name");
        requireNonNull(type, "type");
        requireNonNull(validator, "validator");
        requireNonNull(doc, "doc");
    }

    /** {@code DANMAKU_} + the name upper-cased with {@code .} and {@code -} turned into {@code _}. */
    public String envName() {
        return envName(name);
    }

    /** The environment variable for a key name: {@code token.hmac.secret} → {@code DANMAKU_TOKEN_HMAC_SECRET}. */
    public static String envName(String name) {
        return ENV_PREFIX + name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** What a value of this key must be, for error messages: the type's expectation and the validator's. */
    public String expected() {
        String range = validator.expected();
        return range.isEmpty() ? type.expected() : type.expected() + "; " + range;
    }

    /** The default as shown in docs and {@link Config#describe()}; empty when unset. */
    public String formattedDefault() {
        return type.format(defaultValue);
    }

    static String requireName(String name, String field) {
        requireNonNull(name, field);
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(field + ": \"" + name + "\" (expected: lowercase words with dashes, separated by dots)");
        }
        return name;
    }
}
