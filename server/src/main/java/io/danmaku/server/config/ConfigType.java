package io.danmaku.server.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The type of a configuration key: how its text is parsed (environment variables and flags are text; YAML scalars
 * are read as text too, YAML sequences only for {@link #LIST}) and how its value is shown.
 */
public enum ConfigType {
    STRING("a string", String.class),
    INT("an integer", Integer.class),
    LONG("an integer", Long.class),
    DOUBLE("a number", Double.class),
    /** {@code true} or {@code false}, case-insensitive; nothing else. */
    BOOLEAN("true or false", Boolean.class),
    /** See {@link DurationFormat}. */
    DURATION("a duration like 50ms, 2s", Duration.class),
    /** A secret string, held as a {@link Password} and shown as {@value Password#MASK}. */
    PASSWORD("a secret string", Password.class),
    /** Comma-separated in the environment and flags, a sequence (or a comma-separated string) in YAML. */
    LIST("a comma-separated list", List.class),
    PATH("a file path", Path.class);

    private final String expected;
    private final Class<?> javaType;

    ConfigType(String expected, Class<?> javaType) {
        this.expected = expected;
        this.javaType = javaType;
    }

    /** What a value of this type looks like, for error messages: {@code an integer}, {@code true or false}. */
    public String expected() {
        return expected;
    }

    /** The class of the parsed values. */
    public Class<?> javaType() {
        return javaType;
    }

    /**
     * Parses raw configuration input: a {@link String}, or for {@link #LIST} also a {@link List} of strings (a YAML
     * sequence). Throws {@link IllegalArgumentException} when the input does not have this type.
     */
    public Object parse(Object raw) {
        if (raw instanceof List<?> items) {
            if (this != LIST) {
                throw new IllegalArgumentException("a list where " + expected + " was expected");
            }
            List<String> values = new ArrayList<>(items.size());
            for (Object item : items) {
                String text = String.valueOf(item).trim();
                if (!text.isEmpty()) {
                    values.add(text);
                }
            }
            return List.copyOf(values);
        }
        if (!(raw instanceof String text)) {
            throw new IllegalArgumentException("not text: " + raw);
        }
        String trimmed = text.trim();
        return switch (this) {
            case STRING -> text;
            case INT -> Integer.parseInt(trimmed);
            case LONG -> Long.parseLong(trimmed);
            case DOUBLE -> parseDouble(trimmed);
            case BOOLEAN -> parseBoolean(trimmed);
            case DURATION -> DurationFormat.parse(trimmed);
            case PASSWORD -> new Password(text);
            case LIST -> parse(List.of(trimmed.split(",")));
            case PATH -> parsePath(trimmed);
        };
    }

    /**
     * How a value is shown in {@link Config#describe()}, error messages and the docs; secrets as
     * {@value Password#MASK}, and so is the user information of URIs in text ({@code redis://:pw@host}).
     */
    public String format(Object value) {
        if (value == null) {
            return "";
        }
        return switch (this) {
            case DURATION -> DurationFormat.format((Duration) value);
            case DOUBLE -> formatDouble((Double) value);
            case PASSWORD -> Password.MASK;
            case LIST -> Password.maskUriCredentials(String.join(",", castList(value)));
            case STRING -> Password.maskUriCredentials((String) value);
            default -> value.toString();
        };
    }

    static String formatDouble(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) + ".0" : Double.toString(value);
    }

    @SuppressWarnings("unchecked")
    private static List<String> castList(Object value) {
        return (List<String>) value;
    }

    private static double parseDouble(String text) {
        double value = Double.parseDouble(text);
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            throw new IllegalArgumentException("not a finite number: " + text);
        }
        return value;
    }

    private static boolean parseBoolean(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("not a boolean: " + text);
        };
    }

    private static Path parsePath(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty path");
        }
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
