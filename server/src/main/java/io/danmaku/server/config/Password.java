package io.danmaku.server.config;

import static java.util.Objects.requireNonNull;

/**
 * A secret configuration value. {@link #toString()} never shows it, so a password that reaches a log line, a record's
 * {@code toString()} or an error message appears as {@value #MASK}; call {@link #value()} where the secret is used.
 */
public final class Password {
    /** What a secret looks like in logs and error messages. */
    public static final String MASK = "[hidden]";

    private final String value;

    public Password(String value) {
        this.value = requireNonNull(value, "value");
    }

    /** The secret itself. */
    public String value() {
        return value;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Password password && password.value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return MASK;
    }
}
