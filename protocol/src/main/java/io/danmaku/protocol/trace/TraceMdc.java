package io.danmaku.protocol.trace;

import java.util.List;
import java.util.function.Function;
import org.slf4j.MDC;

/**
 * Puts the trace id of the post a log line is about into the MDC, for that line only:
 *
 * <pre>{@code
 * if (log.isDebugEnabled()) {
 *     try (TraceMdc.Scope ignored = TraceMdc.put(request.traceId())) {
 *         log.debug("post rejected: {}", rejection.describe());
 *     }
 * }
 * }</pre>
 *
 * Only around statements that concern a post, and only once the level is known to be enabled: the hot paths never
 * touch the MDC otherwise. {@value #TRACE_ID} holds one post's id; {@value #TRACE_IDS} the ids of a batch a line
 * is about (space-separated, the first {@value #MAX_TRACE_IDS}). A scope restores what the key held before.
 */
public final class TraceMdc {
    /** MDC key of the trace id of the one post a line is about. */
    public static final String TRACE_ID = "trace_id";
    /** MDC key of the trace ids of the posts of a batch a line is about. */
    public static final String TRACE_IDS = "trace_ids";
    /** At most this many ids go into {@value #TRACE_IDS}. */
    public static final int MAX_TRACE_IDS = 32;

    private static final Scope NONE = () -> { };

    private TraceMdc() {
    }

    /** Sets {@value #TRACE_ID} until the scope closes; nothing when {@code id} is null. */
    public static Scope put(TraceId id) {
        return id == null ? NONE : new Restoring(TRACE_ID, id.toString());
    }

    /**
     * Sets {@value #TRACE_IDS} to the trace ids of {@code items} (those that have one, the first
     * {@value #MAX_TRACE_IDS}, an id repeated by the next item once) until the scope closes; nothing when none has
     * one.
     */
    public static <T> Scope putAll(List<T> items, Function<? super T, TraceId> traceOf) {
        StringBuilder ids = new StringBuilder();
        int n = 0;
        TraceId previous = null;
        for (int i = 0; i < items.size() && n < MAX_TRACE_IDS; i++) {
            TraceId id = traceOf.apply(items.get(i));
            if (id != null && !id.equals(previous)) { // a broadcast's messages share one id
                if (n++ > 0) {
                    ids.append(' ');
                }
                ids.append(id);
                previous = id;
            }
        }
        return n == 0 ? NONE : new Restoring(TRACE_IDS, ids.toString());
    }

    /** An MDC entry set for the length of a try-with-resources block. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    private static final class Restoring implements Scope {
        private final String key;
        private final String previous;

        Restoring(String key, String value) {
            this.key = key;
            this.previous = MDC.get(key);
            MDC.put(key, value);
        }

        @Override
        public void close() {
            if (previous == null) {
                MDC.remove(key);
            } else {
                MDC.put(key, previous);
            }
        }
    }
}
