package io.danmaku.server.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The duration syntax of the configuration: {@code 50ms}, {@code 2s}, {@code 5m}, {@code 1h}, ISO-8601 such as
 * {@code PT2S}, or a bare integer meaning milliseconds. Negative durations are rejected.
 */
public final class DurationFormat {
    private static final Pattern WITH_UNIT = Pattern.compile("(\\d{1,18})\\s*(ms|s|m|h)");
    private static final Pattern BARE = Pattern.compile("\\d{1,18}");

    private DurationFormat() {
    }

    /** Parses {@code text}; throws {@link IllegalArgumentException} when it is not a non-negative duration. */
    public static Duration parse(String text) {
        String trimmed = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (BARE.matcher(trimmed).matches()) {
                return Duration.ofMillis(Long.parseLong(trimmed));
            }
            Matcher matcher = WITH_UNIT.matcher(trimmed);
            if (matcher.matches()) {
                long amount = Long.parseLong(matcher.group(1));
                return switch (matcher.group(2)) {
                    case "ms" -> Duration.ofMillis(amount);
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    default -> Duration.ofHours(amount);
                };
            }
            if (trimmed.startsWith("p")) {
                Duration duration = Duration.parse(trimmed.toUpperCase(Locale.ROOT));
                if (!duration.isNegative()) {
                    return duration;
                }
            }
        } catch (ArithmeticException | DateTimeParseException e) {
            // falls through to the common message
        }
        throw new IllegalArgumentException("not a duration: " + text);
    }

    /** The shortest exact form: {@code 0}, {@code 50ms}, {@code 10s}, {@code 5m}, {@code 1h}, else ISO-8601. */
    public static String format(Duration duration) {
        if (duration.isZero()) {
            return "0";
        }
        if (duration.isNegative() || duration.getNano() % 1_000_000 != 0) {
            return duration.toString();
        }
        long millis = duration.toMillis();
        if (millis % 3_600_000 == 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        if (millis % 1000 == 0) {
            return millis / 1000 + "s";
        }
        return millis + "ms";
    }
}
