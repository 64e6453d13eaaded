package io.danmaku.bench.command;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.danmaku.bench.measure.ProcStats;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** One result: a JSON line on stdout (machine-readable), and a readable line on stderr. */
final class Report {
    private static final ObjectMapper JSON = new ObjectMapper();
    final Map<String, Object> fields = new LinkedHashMap<>();

    Report(String command, String label) {
        fields.put("tool", "danmaku-bench");
        fields.put("cmd", command);
        fields.put("label", label);
        fields.put("time", Instant.now().toString());
        fields.put("load_avg_1m", ProcStats.loadAverage()[0]);
    }

    Report put(String key, Object value) {
        fields.put(key, value);
        return this;
    }

    /** p50/p99/p999/max of a microsecond histogram, in milliseconds with 0.1 ms precision. */
    Report latency(String prefix, Histogram h) {
        fields.put(prefix + "_count", h.getTotalCount());
        fields.put(prefix + "_p50_ms", ms(h.getValueAtPercentile(50)));
        fields.put(prefix + "_p99_ms", ms(h.getValueAtPercentile(99)));
        fields.put(prefix + "_p999_ms", ms(h.getValueAtPercentile(99.9)));
        fields.put(prefix + "_max_ms", ms(h.getMaxValue()));
        return this;
    }

    static double ms(long micros) {
        return Math.round(micros / 100.0) / 10.0;
    }

    static double round(double v, int decimals) {
        double f = Math.pow(10, decimals);
        return Math.round(v * f) / f;
    }

    void emit() {
        try {
            System.out.println(JSON.writeValueAsString(fields));
            System.out.flush();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        StringBuilder sb = new StringBuilder("[bench]");
        fields.forEach((k, v) -> {
            if (!k.equals("tool") && !k.equals("time")) {
                sb.append(' ').append(k).append('=').append(v);
            }
        });
        System.err.println(sb);
    }
}
