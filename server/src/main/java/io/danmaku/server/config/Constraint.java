package io.danmaku.server.config;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * A rule over several keys, checked once every key's own value is valid; its problem names every key involved.
 */
public interface Constraint {
    /** A problem line when {@code config} breaks the rule. */
    Optional<String> check(Config config);

    /** The keys the rule reads (each must be defined). */
    List<String> keys();

    /** The rule as the configuration reference states it (Markdown). */
    default String describe() {
        return "`" + String.join("` < `", keys()) + "`";
    }

    /** {@code first} and {@code second} are both set or both unset (a certificate and its key). */
    static Constraint together(String first, String second) {
        requireNonNull(first, "first");
        requireNonNull(second, "second");
        return new Constraint() {
            @Override
            public Optional<String> check(Config config) {
                if ((config.get(first) == null) == (config.get(second) == null)) {
                    return Optional.empty();
                }
                String set = config.get(first) == null ? second : first;
                String unset = set.equals(first) ? second : first;
                return Optional.of(set + ": " + config.show(set) + " " + config.origin(set).from() + " (expected: set "
                        + "together with " + unset + ", which is unset)");
            }

            @Override
            public List<String> keys() {
                return List.of(first, second);
            }

            @Override
            public String describe() {
                return "`" + first + "` and `" + second + "`: both set or both unset";
            }
        };
    }

    /**
     * {@code dependent} may be set only while {@code required} is set (and, for a boolean, true): a setting that
     * would otherwise be silently ignored.
     */
    static Constraint onlyWith(String dependent, String required) {
        requireNonNull(dependent, "dependent");
        requireNonNull(required, "required");
        return new Constraint() {
            @Override
            public Optional<String> check(Config config) {
                Object needed = config.get(required);
                if (config.get(dependent) == null || (needed != null && !Boolean.FALSE.equals(needed))) {
                    return Optional.empty();
                }
                return Optional.of(dependent + ": " + config.show(dependent) + " " + config.origin(dependent).from()
                        + " (expected: set only with " + required + ", which is " + config.show(required) + " "
                        + config.origin(required).from() + ")");
            }

            @Override
            public List<String> keys() {
                return List.of(dependent, required);
            }

            @Override
            public String describe() {
                return "`" + dependent + "` only with `" + required + "`";
            }
        };
    }

    /** The value of {@code lower} must be less than the value of {@code upper} (both of one comparable type). */
    static Constraint lessThan(String lower, String upper) {
        requireNonNull(lower, "lower");
        requireNonNull(upper, "upper");
        return new Constraint() {
            @Override
            @SuppressWarnings({"unchecked", "rawtypes"})
            public Optional<String> check(Config config) {
                Comparable low = (Comparable) config.get(lower);
                Comparable high = (Comparable) config.get(upper);
                if (low == null || high == null || low.compareTo(high) < 0) {
                    return Optional.empty();
                }
                return Optional.of(lower + ": " + config.show(lower) + " " + config.origin(lower).from()
                        + " (expected: less than " + upper + ", which is " + config.show(upper) + " "
                        + config.origin(upper).from() + ")");
            }

            @Override
            public List<String> keys() {
                return List.of(lower, upper);
            }
        };
    }
}
