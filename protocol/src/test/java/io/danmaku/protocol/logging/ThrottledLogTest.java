package io.danmaku.protocol.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmaku.protocol.trace.TraceId;
import io.danmaku.protocol.trace.TraceMdc;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.MDC;

class ThrottledLogTest {
    /** WARN lines as "format | args". */
    final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    final Logger logger = (Logger) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Logger.class},
            (proxy, method, args) -> {
                if (method.getName().equals("warn")) {
                    Object[] rest = args.length > 1 && args[1] instanceof Object[] a ? a
                            : Arrays.copyOfRange(args, 1, args.length);
                    String ids = MDC.get(TraceMdc.TRACE_IDS);
                    lines.add(args[0] + " | " + Arrays.toString(rest) + (ids == null ? "" : " | " + ids));
                }
                return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
            });

    @Test
    void aBurstIsOneLineAndTheNextCountsWhatWasSuppressed() {
        ThrottledLog log = new ThrottledLog(logger, Duration.ofMillis(50));
        log.warn("store down: {}", "timeout");
        log.warn("store down: {}", "timeout");
        log.warn("store down: {}", "timeout");
        assertThat(lines).containsExactly("store down: {} | [timeout]");
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            log.warn("store down: {}", "refused");
            return lines.size() == 2;
        });
        assertThat(lines.get(1)).startsWith("store down: {} ({} similar suppressed) | [refused, ");
    }

    @Test
    void aNullArgumentArrayAfterSuppressionStillLogs() {
        ThrottledLog log = new ThrottledLog(logger, Duration.ofMillis(50));
        log.warn("first", (Object[]) null);
        log.warn("suppressed", (Object[]) null);
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            log.warn("again", (Object[]) null);
            return lines.size() == 2;
        });
        assertThat(lines.get(1)).startsWith("again ({} similar suppressed) | [");
    }

    @Test
    void aTrailingThrowableStaysLast() {
        ThrottledLog log = new ThrottledLog(logger, Duration.ofMillis(50));
        log.warn("x");
        log.warn("x");
        IllegalStateException e = new IllegalStateException("boom");
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            log.warn("failed {}", "op", e);
            return lines.size() == 2;
        });
        assertThat(lines.get(1)).endsWith(", " + e + "]").startsWith("failed {} ({} similar suppressed) | [op, ");
    }

    @Test
    void aLineAboutABatchHasItsTraceIdsInTheMdcWhileItIsLoggedOnly() {
        ThrottledLog log = new ThrottledLog(logger, Duration.ofHours(1));
        TraceId a = TraceId.random();
        TraceId b = TraceId.random();
        List<TraceId> batch = Arrays.asList(a, null, b);
        log.warn(batch, id -> id, "batch of {} failed", 3);
        log.warn(batch, id -> {
            throw new AssertionError("a suppressed line looks at no trace id");
        }, "batch of {} failed", 3);

        assertThat(lines).containsExactly("batch of {} failed | [3] | " + a + " " + b);
        assertThat(MDC.get(TraceMdc.TRACE_IDS)).isNull();
    }
}
