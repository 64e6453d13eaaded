package io.danmaku.server.config;

import static java.util.Objects.requireNonNull;

import io.danmaku.server.ServerException;
import java.util.List;

/**
 * Invalid configuration: one or more problems, each a line naming the key, the value, where the value came from
 * and what was expected, e.g.
 * {@code gateway.batch.window: "fast" from env DANMAKU_GATEWAY_BATCH_WINDOW (expected: a duration like 50ms, 2s; 0..10s)}.
 * The message is the problems joined by newlines, ready to print as is.
 */
public class ConfigException extends ServerException {
    private final List<String> problems;

    public ConfigException(String problem) {
        this(List.of(requireNonNull(problem, "problem")));
    }

    public ConfigException(List<String> problems) {
        super(String.join("\n", requireNonEmpty(problems)));
        this.problems = List.copyOf(problems);
    }

    /** Every problem found, in the order sources were read; never empty. */
    public List<String> problems() {
        return problems;
    }

    private static List<String> requireNonEmpty(List<String> problems) {
        requireNonNull(problems, "problems");
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("problems: [] (expected: at least one)");
        }
        return problems;
    }
}
