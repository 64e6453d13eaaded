package io.danmaku.server.logging;

import static java.util.Objects.requireNonNull;

import ch.qos.logback.classic.Level;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How a process logs: {@link Format#TEXT} or {@link Format#JSON} lines on standard output, the root level and
 * levels of single loggers, and the role named in every JSON line. Built from {@code log.format} and
 * {@code log.level}; applied by {@link LogSetup}.
 *
 * <p>{@code log.level} is a comma-separated list: a bare level sets the root logger, {@code logger=level} one
 * logger and everything below it; levels are {@code trace}, {@code debug}, {@code info}, {@code warn},
 * {@code error} and {@code off}, in any case. Example: {@code info,io.danmaku.logic=debug}.
 *
 * @param loggers levels of single loggers, in the order given
 * @param role the process role ({@code standalone}, {@code gateway}, {@code logic}, {@code storage}), or null
 */
public record LogSettings(Format format, Level root, Map<String, Level> loggers, String role) {
    /** The default of {@code log.level}. */
    public static final String DEFAULT_LEVEL = "info";
    /** What {@code log.level} accepts, for the configuration reference and error messages. */
    public static final String LEVEL_EXPECTED = "comma-separated: a level (trace, debug, info, warn, error, off) for"
            + " the root logger and/or logger=level entries, e.g. info,io.danmaku.logic=debug";

    private static final Pattern LOGGER = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*");

    /** The line format. */
    public enum Format {
        /** One human-readable line per event (and the stack trace below it). */
        TEXT,
        /** One JSON object per line: timestamp, level, logger, thread, message, MDC fields, exception. */
        JSON;

        /** {@code text} or {@code json}. */
        public static Format parse(String name) {
            return switch (requireNonNull(name, "name").toLowerCase(Locale.ROOT)) {
                case "text" -> TEXT;
                case "json" -> JSON;
                default -> throw new IllegalArgumentException("log.format: \"" + name + "\" (expected: text or json)");
            };
        }
    }

    public LogSettings {
        requireNonNull(format, "format");
        requireNonNull(root, "root");
        loggers = Map.copyOf(requireNonNull(loggers, "loggers"));
    }

    /**
     * Settings from the values of {@code log.format} and {@code log.level}.
     *
     * @throws IllegalArgumentException naming what is wrong with either value
     */
    public static LogSettings of(String format, String levels, String role) {
        Format f = Format.parse(format);
        Level root = Level.INFO;
        boolean rootSet = false;
        Map<String, Level> loggers = new LinkedHashMap<>();
        for (String entry : requireNonNull(levels, "levels").split(",", -1)) {
            String e = entry.strip();
            int equals = e.indexOf('=');
            if (equals < 0) {
                if (rootSet) {
                    throw new IllegalArgumentException("log.level: \"" + levels + "\" sets the root level twice"
                            + " (expected: " + LEVEL_EXPECTED + ")");
                }
                root = level(e, levels);
                rootSet = true;
                continue;
            }
            String name = e.substring(0, equals).strip();
            if (!LOGGER.matcher(name).matches()) {
                throw new IllegalArgumentException("log.level: logger \"" + name + "\" in \"" + levels + "\" (expected: "
                        + "a logger name such as io.danmaku.logic)");
            }
            if (loggers.put(name, level(e.substring(equals + 1).strip(), levels)) != null) {
                throw new IllegalArgumentException("log.level: logger " + name + " set twice in \"" + levels + "\"");
            }
        }
        return new LogSettings(f, root, loggers, role);
    }

    /** True when {@code levels} is a valid {@code log.level} value. */
    public static boolean validLevels(String levels) {
        try {
            of("text", levels, null);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static Level level(String name, String levels) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "trace" -> Level.TRACE;
            case "debug" -> Level.DEBUG;
            case "info" -> Level.INFO;
            case "warn" -> Level.WARN;
            case "error" -> Level.ERROR;
            case "off" -> Level.OFF;
            default -> throw new IllegalArgumentException("log.level: \"" + name + "\" in \"" + levels
                    + "\" is not a level (expected: " + LEVEL_EXPECTED + ")");
        };
    }
}
