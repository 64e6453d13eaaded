package io.danmaku.protocol.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.MDC;

class TraceIdTest {
    private static final String W3C_EXAMPLE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void theTraceIdOfATraceparentIsItsSecondField() {
        TraceId id = TraceId.fromTraceparent(W3C_EXAMPLE);

        assertThat(id).isEqualTo(new TraceId(0x4bf92f3577b34da6L, 0xa3ce929d0e0e4736L));
        assertThat(id.toString()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(TraceId.fromTraceparent(" " + W3C_EXAMPLE + " ")).isEqualTo(id);
        // a later version may add fields after the flags
        assertThat(TraceId.fromTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-more"))
                .isEqualTo(id);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",          // no flags
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",       // upper case
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",       // all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",       // all-zero parent id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",       // version ff
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",     // version 00 with more
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",      // more without a dash
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",       // separators
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",       // not hex
    })
    void anInvalidTraceparentGivesNoTraceId(String header) {
        assertThat(TraceId.fromTraceparent(header)).isNull();
    }

    @Test
    void theHexTextParsesBackAndTheAllZeroIdIsNone() {
        TraceId id = new TraceId(-1L, 1L);

        assertThat(id.toString()).isEqualTo("ffffffffffffffff0000000000000001");
        assertThat(TraceId.parse(id.toString())).isEqualTo(id);
        assertThat(TraceId.parse(id.toAscii())).isEqualTo(id);
        assertThat(TraceId.parse("0".repeat(32))).isNull();
        assertThat(TraceId.parse("abc")).isNull();
        assertThat(TraceId.parse((byte[]) null)).isNull();
        assertThat(TraceId.parse("4bf92f3577b34da6a3ce929d0e0e473g".getBytes(StandardCharsets.US_ASCII))).isNull();
        assertThat(TraceId.parse("4BF92F3577B34DA6A3CE929D0E0E4736".getBytes(StandardCharsets.US_ASCII))).isNull();
        assertThat(TraceId.parse("0".repeat(32).getBytes(StandardCharsets.US_ASCII))).isNull();
        for (int i = 0; i < 100; i++) {
            TraceId random = TraceId.random();
            assertThat(TraceId.parse(random.toAscii())).isEqualTo(random);
            assertThat(random.toString()).isEqualTo(String.format("%016x%016x", random.high(), random.low()));
        }
        assertThat(TraceId.of(0, 0)).isNull();
        assertThat(TraceId.of(0, 7)).isEqualTo(new TraceId(0, 7));
        assertThatThrownBy(() -> new TraceId(0, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("all zeros");
    }

    @Test
    void randomIdsAreValidAndDistinct() {
        Set<TraceId> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            TraceId id = TraceId.random();
            assertThat(id.toString()).matches("[0-9a-f]{32}");
            seen.add(id);
        }
        assertThat(seen).hasSize(1000);
    }

    @Test
    void theMdcHoldsTheIdOnlyWithinTheScopeAndGetsItsPreviousValueBack() {
        TraceId outer = TraceId.random();
        TraceId inner = TraceId.random();
        try (TraceMdc.Scope a = TraceMdc.put(outer)) {
            try (TraceMdc.Scope b = TraceMdc.put(inner)) {
                assertThat(MDC.get(TraceMdc.TRACE_ID)).isEqualTo(inner.toString());
            }
            assertThat(MDC.get(TraceMdc.TRACE_ID)).isEqualTo(outer.toString());
            try (TraceMdc.Scope none = TraceMdc.put(null)) {
                assertThat(MDC.get(TraceMdc.TRACE_ID)).isEqualTo(outer.toString());
            }
        }
        assertThat(MDC.get(TraceMdc.TRACE_ID)).isNull();
    }

    @Test
    void aBatchPutsTheIdsOfItsFirstPostsThatHaveOne() {
        List<TraceId> ids = new ArrayList<>();
        for (int i = 0; i < TraceMdc.MAX_TRACE_IDS + 5; i++) {
            ids.add(i == 1 ? null : TraceId.random());
        }
        try (TraceMdc.Scope s = TraceMdc.putAll(ids, id -> id)) {
            String[] logged = MDC.get(TraceMdc.TRACE_IDS).split(" ");
            assertThat(logged).hasSize(TraceMdc.MAX_TRACE_IDS);
            assertThat(logged[0]).isEqualTo(ids.get(0).toString());
            assertThat(logged[1]).isEqualTo(ids.get(2).toString());
        }
        assertThat(MDC.get(TraceMdc.TRACE_IDS)).isNull();
        try (TraceMdc.Scope s = TraceMdc.putAll(Arrays.asList(null, null), id -> (TraceId) id)) {
            assertThat(MDC.get(TraceMdc.TRACE_IDS)).isNull();
        }
        TraceId broadcast = TraceId.random();
        try (TraceMdc.Scope s = TraceMdc.putAll(List.of(broadcast, broadcast, broadcast), id -> id)) {
            assertThat(MDC.get(TraceMdc.TRACE_IDS)).isEqualTo(broadcast.toString());
        }
    }
}
