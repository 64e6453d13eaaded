package io.danmaku.server.config;

import static java.util.Objects.requireNonNull;

import java.util.regex.Pattern;

/**
 * A secret configuration value. {@link #toString()} never shows it, so a password that reaches a log line, a record's
 * {@code toString()} or an error message appears as {@value #MASK}; call {@link #value()} where the secret is used.
 */
public final class Password {
    /** What a secret looks like in logs and error messages. */
    public static final String MASK = "[hidden]";

    /** The user information of a URI ({@code scheme://user:password@}), which may hold a password. */
    private static final Pattern URI_USER_INFO = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\\s]*@");

    private final String value;

    public Password(String value) {
        this.value = requireNonNull(value, "value");
    }

    /**
     * {@code text} with the user information of every URI in it replaced by {@value #MASK}:
     * {@code redis://:s3cret@host:7000} shows as {@code redis://[hidden]@host:7000}. For values that are not
     * secrets as a whole but may carry one (Redis URIs, proxy URLs).
     */
    public static String maskUriCredentials(String text) {
        return text.indexOf('@') < 0 ? text : URI_USER_INFO.matcher(text).replaceAll("$1" + MASK + "@");
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
