package io.danmaku.bench.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * Turns JSON lines of earlier runs into markdown tables: for each server, protocol and audience the peak
 * deliveries/s of a passing step (zero loss, p99 within the limit) and where it stopped passing; idle memory
 * per connection; ingest results.
 */
@Command(name = "table", mixinStandardHelpOptions = true,
        description = "Markdown tables from danmaku-bench JSON lines (files, or - for stdin).")
public final class TableCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Parameters(arity = "1..*", description = "JSON lines files")
    List<String> files;

    @Override
    public Integer call() throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String f : files) {
            List<String> raw = f.equals("-")
                    ? new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).lines().toList()
                    : Files.readAllLines(Path.of(f));
            for (String l : raw) {
                if (l.startsWith("{")) {
                    lines.add(JSON.readTree(l));
                }
            }
        }
        fanout(lines);
        idle(lines);
        ingest(lines);
        return 0;
    }

    private static void fanout(List<JsonNode> lines) {
        Map<String, List<JsonNode>> groups = new LinkedHashMap<>();
        for (JsonNode n : lines) {
            if (n.path("cmd").asText().equals("fanout")) {
                String key = n.path("label").asText() + "|" + n.path("protocol").asText() + "|"
                        + n.path("subscribers").asInt();
                groups.computeIfAbsent(key, k -> new ArrayList<>()).add(n);
            }
        }
        if (groups.isEmpty()) {
            return;
        }
        System.out.println("| server | protocol | subscribers | peak deliveries/s (passing) | at msgs/s | p50 / p99 ms"
                + " | server CPU cores | server RSS MB | load avg | first failing step |");
        System.out.println("|---|---|---:|---:|---:|---|---:|---:|---:|---|");
        for (List<JsonNode> steps : groups.values()) {
            JsonNode best = null;
            JsonNode firstFail = null;
            for (JsonNode s : steps) {
                boolean keptUp = s.path("deliveries_per_sec").asDouble() >= 0.95 * s.path("offered_per_sec").asDouble();
                if (s.path("pass").asBoolean() && keptUp) {
                    if (best == null || s.path("deliveries_per_sec").asLong() > best.path("deliveries_per_sec").asLong()) {
                        best = s;
                    }
                } else if (firstFail == null && (!s.path("pass").asBoolean() || !keptUp)) {
                    firstFail = s;
                }
            }
            JsonNode any = steps.get(0);
            String fail = firstFail == null ? "none"
                    : String.format("%s msgs/s: %,d/s of %,d offered, lost %,d, p99 %s ms", num(firstFail.path("rate")),
                            firstFail.path("deliveries_per_sec").asLong(), firstFail.path("offered_per_sec").asLong(),
                            firstFail.path("lost").asLong(),
                            firstFail.path("latency_p99_ms").asText());
            System.out.printf("| %s | %s | %,d | %s | %s | %s | %s | %s | %s | %s |%n",
                    any.path("label").asText(), any.path("protocol").asText(), any.path("subscribers").asInt(),
                    best == null ? "— (no step passed)" : String.format("%,d", best.path("deliveries_per_sec").asLong()),
                    best == null ? "—" : num(best.path("rate")),
                    best == null ? "—" : best.path("latency_p50_ms").asText() + " / " + best.path("latency_p99_ms").asText(),
                    best == null ? "—" : best.path("server_cpu_cores").asText(),
                    best == null ? "—" : best.path("server_rss_mb").asText(),
                    (best == null ? any : best).path("load_avg_1m").asText(), fail);
        }
        System.out.println();
    }

    private static void idle(List<JsonNode> lines) {
        boolean header = false;
        for (JsonNode n : lines) {
            if (!n.path("cmd").asText().equals("idle")) {
                continue;
            }
            if (!header) {
                System.out.println("| server | protocol | connections | RSS per connection | live heap per connection"
                        + " | server RSS MB | hold s | disconnects | RSS min–max MB | load avg |");
                System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---|---:|");
                header = true;
            }
            System.out.printf("| %s | %s | %,d | %s | %s | %s | %s | %s | %s | %s |%n", n.path("label").asText(),
                    n.path("protocol").asText(), n.path("connected").asInt(),
                    n.path("rss_per_conn_bytes").isNull() ? "—"
                            : String.format("%.1f KB", n.path("rss_per_conn_bytes").asLong() / 1024.0),
                    n.has("heap_per_conn_bytes")
                            ? String.format("%.1f KB", n.path("heap_per_conn_bytes").asLong() / 1024.0) : "—",
                    n.path("server_rss_mb").asText(), n.path("hold_s").asText("—"), n.path("disconnects").asText("—"),
                    n.has("rss_min_mb") ? n.path("rss_min_mb").asText() + "–" + n.path("rss_max_mb").asText() : "—",
                    n.path("load_avg_1m").asText());
        }
        if (header) {
            System.out.println();
        }
    }

    private static void ingest(List<JsonNode> lines) {
        boolean header = false;
        for (JsonNode n : lines) {
            if (!n.path("cmd").asText().equals("ingest")) {
                continue;
            }
            if (!header) {
                System.out.println("| server | clients | target/s | accepted/s | rejected | unanswered | ack p50 / p99 ms"
                        + " | accepted not delivered | load avg |");
                System.out.println("|---|---:|---:|---:|---|---:|---|---:|---:|");
                header = true;
            }
            System.out.printf("| %s | %d | %s | %,d | %s | %s | %s / %s | %s | %s |%n", n.path("label").asText(),
                    n.path("clients").asInt(), num(n.path("rate")), n.path("accepted_per_sec").asLong(),
                    n.path("rejected").toString(), n.path("unanswered").asText(), n.path("ack_p50_ms").asText(),
                    n.path("ack_p99_ms").asText(), n.path("accepted_not_delivered").asText("—"),
                    n.path("load_avg_1m").asText());
        }
        if (header) {
            System.out.println();
        }
    }

    private static String num(JsonNode n) {
        double d = n.asDouble();
        return d == Math.rint(d) ? String.format("%,d", (long) d) : String.valueOf(d);
    }
}
