package io.danmaku.gateway.room;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.RoomPattern;
import java.util.ArrayList;
import java.util.List;

/**
 * Which rooms' fan-out is sampled, and to how many visible chat messages per second ({@code gateway.sampling.rooms}):
 * a list of {@code pattern=rate}, where the pattern is a room id pattern ({@code *} stands for any run of characters,
 * as in {@code gateway.private-rooms}) and the rate a whole number of messages per second, 1..{@value #MAX_RATE}. The
 * first pattern that matches a room gives its rate; a room no pattern matches is not sampled (every message reaches
 * every member). Immutable, thread-safe.
 */
public final class SamplingRules {
    public static final int MAX_RATE = 100_000;
    public static final SamplingRules NONE = new SamplingRules(List.of());
    static final String KEY = "gateway.sampling.rooms";

    /** One {@code pattern=rate} entry. */
    public record Rule(RoomPattern pattern, int ratePerSecond) {
        public Rule {
            requireNonNull(pattern, "pattern");
            if (ratePerSecond < 1 || ratePerSecond > MAX_RATE) {
                throw new IllegalArgumentException("ratePerSecond: " + ratePerSecond + " (expected: 1.." + MAX_RATE
                        + ")");
            }
        }

        @Override
        public String toString() {
            return pattern.text() + "=" + ratePerSecond;
        }
    }

    private final List<Rule> rules;

    private SamplingRules(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    /**
     * Parses the entries of {@code gateway.sampling.rooms}; a malformed one fails naming the key, the entry and what
     * was expected.
     */
    public static SamplingRules parse(List<String> entries) {
        requireNonNull(entries, "entries");
        List<Rule> rules = new ArrayList<>(entries.size());
        for (String entry : entries) {
            rules.add(parseEntry(entry));
        }
        return rules.isEmpty() ? NONE : new SamplingRules(rules);
    }

    private static Rule parseEntry(String entry) {
        String expected = " (expected: pattern=rate, a room id pattern with * for any run of characters and a visible"
                + " rate of 1.." + MAX_RATE + " chat messages per second, e.g. live.*=200)";
        if (entry == null) {
            throw new IllegalArgumentException(KEY + ": null entry" + expected);
        }
        String text = entry.trim();
        int eq = text.lastIndexOf('=');
        if (eq <= 0 || eq == text.length() - 1) {
            throw new IllegalArgumentException(KEY + ": \"" + entry + "\"" + expected);
        }
        RoomPattern pattern;
        try {
            pattern = new RoomPattern(text.substring(0, eq).trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(KEY + ": \"" + entry + "\": " + e.getMessage() + expected, e);
        }
        String rate = text.substring(eq + 1).trim();
        int value;
        try {
            value = Integer.parseInt(rate);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(KEY + ": \"" + entry + "\": rate \"" + rate + "\" is not a whole number"
                    + expected, e);
        }
        if (value < 1 || value > MAX_RATE) {
            throw new IllegalArgumentException(KEY + ": \"" + entry + "\": rate " + value + " is out of range"
                    + expected);
        }
        return new Rule(pattern, value);
    }

    public List<Rule> rules() {
        return rules;
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    /** The visible chat rate of {@code room} (messages per second), or 0 when its fan-out is not sampled. */
    public int rateFor(String room) {
        for (Rule r : rules) {
            if (r.pattern().matches(room)) {
                return r.ratePerSecond();
            }
        }
        return 0;
    }

    @Override
    public String toString() {
        return rules.toString();
    }
}
