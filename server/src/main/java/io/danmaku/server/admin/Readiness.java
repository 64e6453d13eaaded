package io.danmaku.server.admin;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * Whether this process should receive traffic: {@link State#STARTING} until its role is up, {@link State#READY}
 * while serving, {@link State#DRAINING} once shutdown began (never ready again). While {@code READY}, every
 * dependency registered with {@link #require} must also answer true (the Kafka bus being reachable, for the
 * distributed roles), else the process is not ready ({@code unavailable: <name>}) until it answers true again.
 * {@code GET /readyz} answers from {@link #report()}; liveness ({@code /healthz}) never looks at it. Thread-safe.
 */
public final class Readiness {
    /** The readiness states, in the only order they move through. */
    public enum State {
        STARTING, READY, DRAINING;

        /** Lowercase name, the body of a {@code /readyz} answer. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * What {@code /readyz} answers.
     *
     * @param ready whether the process takes traffic (200), else 503
     * @param label the body: {@code ready}, {@code starting}, {@code draining} or {@code unavailable: <names>}
     */
    public record Report(boolean ready, String label) {
    }

    private final AtomicReference<State> state = new AtomicReference<>(State.STARTING);
    private final Map<String, BooleanSupplier> dependencies = new ConcurrentHashMap<>();

    public State state() {
        return state.get();
    }

    /** True while {@link State#READY} and every required dependency is available. */
    public boolean isReady() {
        return report().ready();
    }

    /** Marks the process ready, unless draining already began; returns whether its state is now ready. */
    public boolean markReady() {
        return state.compareAndSet(State.STARTING, State.READY) || state.get() == State.READY;
    }

    /** Marks the process draining, for good. */
    public void markDraining() {
        state.set(State.DRAINING);
    }

    /**
     * Makes readiness depend on {@code available} (asked at every {@link #report()}, so it must answer at once,
     * from state kept by a background check, never by doing I/O). A name registered again replaces the check.
     *
     * @param name what is checked, in the {@code /readyz} body ({@code kafka})
     */
    public void require(String name, BooleanSupplier available) {
        requireNonNull(name, "name");
        requireNonNull(available, "available");
        dependencies.put(name, available);
    }

    /** The answer of {@code /readyz} now. */
    public Report report() {
        State current = state.get();
        if (current != State.READY) {
            return new Report(false, current.label());
        }
        String missing = dependencies.entrySet().stream()
                .filter(e -> !e.getValue().getAsBoolean())
                .map(Map.Entry::getKey)
                .sorted()
                .reduce((a, b) -> a + ", " + b)
                .orElse(null);
        return missing == null ? new Report(true, current.label()) : new Report(false, "unavailable: " + missing);
    }

    @Override
    public String toString() {
        return report().label();
    }
}
