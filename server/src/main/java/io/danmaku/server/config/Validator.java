package io.danmaku.server.config;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Checks a parsed, non-null configuration value. {@link #expected()} says in a few words what is accepted
 * ({@code 0..65535}, {@code at least 32 bytes}); it is appended to the type's own expectation in error messages
 * and printed in the docs.
 */
public interface Validator {
    /** Whether {@code value} (of the key's type, never null) is acceptable. */
    boolean accepts(Object value);

    /** What is accepted, e.g. {@code 1..1000}; empty when anything of the type is. */
    String expected();

    /** Accepts every value of the type. */
    static Validator any() {
        return Any.INSTANCE;
    }

    /** An inclusive range of integers, longs, doubles or durations: {@code min..max}. */
    static <T extends Comparable<T>> Validator between(T min, T max) {
        requireNonNull(min, "min");
        requireNonNull(max, "max");
        if (min.compareTo(max) > 0) {
            throw new IllegalArgumentException("min: " + min + " (expected: <= max " + max + ")");
        }
        return of(value -> within(value, min, true, max), show(min) + ".." + show(max));
    }

    /** A number or duration of at least {@code min}. */
    static <T extends Comparable<T>> Validator atLeast(T min) {
        requireNonNull(min, "min");
        return of(value -> within(value, min, true, null), ">= " + show(min));
    }

    /** A number above {@code min} and at most {@code max}: {@code > min and <= max}. */
    static <T extends Comparable<T>> Validator aboveAndAtMost(T min, T max) {
        requireNonNull(min, "min");
        requireNonNull(max, "max");
        return of(value -> within(value, min, false, max), "> " + show(min) + " and <= " + show(max));
    }

    /** A string that is not empty (not only whitespace); for lists, a list with at least one item. */
    static Validator nonEmpty() {
        return of(value -> value instanceof List<?> list ? !list.isEmpty() : !text(value).isBlank(), "not empty");
    }

    /** A string (or password) of at least {@code bytes} bytes in UTF-8. */
    static Validator minBytes(int bytes) {
        return of(value -> text(value).getBytes(StandardCharsets.UTF_8).length >= bytes, "at least " + bytes + " bytes");
    }

    /** One of {@code allowed}, exactly. */
    static Validator oneOf(String... allowed) {
        Set<String> set = new TreeSet<>(List.of(allowed));
        return of(value -> set.contains(text(value)), "one of " + String.join(", ", set));
    }

    /** A string matching {@code regex} entirely; {@code description} is what the docs and errors say. */
    static Validator pattern(String regex, String description) {
        Pattern pattern = Pattern.compile(regex);
        return of(value -> pattern.matcher(text(value)).matches(), requireNonNull(description, "description"));
    }

    /** A path to an existing, readable regular file (checked once, when the configuration is loaded). */
    static Validator readableFile() {
        return of(value -> Files.isRegularFile((Path) value) && Files.isReadable((Path) value), "an existing readable file");
    }

    /** A validator from a predicate and its description. */
    static Validator of(Predicate<Object> test, String expected) {
        requireNonNull(test, "test");
        requireNonNull(expected, "expected");
        return new Validator() {
            @Override
            public boolean accepts(Object value) {
                return test.test(value);
            }

            @Override
            public String expected() {
                return expected;
            }

            @Override
            public String toString() {
                return expected;
            }
        };
    }

    private static String text(Object value) {
        return value instanceof Password password ? password.value() : String.valueOf(value);
    }

    @SuppressWarnings("unchecked")
    private static <T extends Comparable<T>> boolean within(Object value, T min, boolean minInclusive, T max) {
        T comparable = (T) value;
        int low = comparable.compareTo(min);
        return (minInclusive ? low >= 0 : low > 0) && (max == null || comparable.compareTo(max) <= 0);
    }

    private static String show(Object bound) {
        if (bound instanceof Duration duration) {
            return DurationFormat.format(duration);
        }
        if (bound instanceof Double number) {
            return number == Math.rint(number) ? Long.toString(number.longValue()) : number.toString();
        }
        return bound.toString();
    }

    /** The validator that accepts everything. */
    enum Any implements Validator {
        INSTANCE;

        @Override
        public boolean accepts(Object value) {
            return true;
        }

        @Override
        public String expected() {
            return "";
        }
    }
}
