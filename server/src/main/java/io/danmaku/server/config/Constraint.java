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
