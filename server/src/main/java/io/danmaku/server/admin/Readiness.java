package io.danmaku.server.admin;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether this process should receive traffic: {@link State#STARTING} until its role is up, {@link State#READY}
 * while serving, {@link State#DRAINING} once shutdown began (never ready again). {@code GET /readyz} answers from
 * it; thread-safe.
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

    private final AtomicReference<State> state = new AtomicReference<>(State.STARTING);

    public State state() {
        return state.get();
    }

    public boolean isReady() {
        return state.get() == State.READY;
    }

    /** Marks the process ready, unless draining already began; returns whether it is now ready. */
    public boolean markReady() {
        return state.compareAndSet(State.STARTING, State.READY) || isReady();
    }

    /** Marks the process draining, for good. */
    public void markDraining() {
        state.set(State.DRAINING);
    }

    @Override
    public String toString() {
        return state.get().label();
    }
}
