package io.danmaku.protocol.store;

import static java.util.Objects.requireNonNull;

/**
 * The answer to {@link HotStore#claimOnce}: {@link State#CLAIMED} (the caller runs the operation and then
 * completes or releases the claim), {@link State#PENDING} (another caller claimed it and has not finished) or
 * {@link State#DONE} with the {@code result} the first caller stored.
 *
 * @param result the stored result for {@link State#DONE}; null otherwise. Never modify it.
 */
public record OnceClaim(State state, byte[] result) {
    private static final OnceClaim CLAIMED = new OnceClaim(State.CLAIMED, null);
    private static final OnceClaim PENDING = new OnceClaim(State.PENDING, null);

    public enum State { CLAIMED, PENDING, DONE }

    public OnceClaim {
        requireNonNull(state, "state");
        if ((state == State.DONE) != (result != null)) {
            throw new IllegalArgumentException("result: " + (result == null ? "null" : result.length + " bytes")
                    + " (expected: a result exactly for DONE, state " + state + ")");
        }
    }

    public static OnceClaim claimed() {
        return CLAIMED;
    }

    public static OnceClaim pending() {
        return PENDING;
    }

    public static OnceClaim done(byte[] result) {
        return new OnceClaim(State.DONE, requireNonNull(result, "result"));
    }

    @Override
    public String toString() {
        return state == State.DONE ? "OnceClaim[DONE, " + result.length + " bytes]" : "OnceClaim[" + state + "]";
    }
}
