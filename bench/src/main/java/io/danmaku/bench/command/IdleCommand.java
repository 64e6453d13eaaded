package io.danmaku.bench.command;

import io.danmaku.bench.load.HttpPublisher;
import io.danmaku.bench.measure.ProcStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * N connections subscribed to one room and otherwise idle (answering pings, sending heartbeats): the server's
 * RSS growth per connection, then an optional hold with RSS sampled and disconnects counted, optionally while
 * the room is busy ({@code --rate}).
 */
@Command(name = "idle", mixinStandardHelpOptions = true,
        description = "N idle subscribed connections: server RSS per connection; optional long hold (busy room with --rate).")
public final class IdleCommand implements Callable<Integer> {
    @Mixin
    TargetOptions target;

    @Option(names = {"-n", "--subscribers", "--connections"}, defaultValue = "1000",
            description = "Connections. Default: ${DEFAULT-VALUE}")
    int connections;

    @Option(names = "--settle", defaultValue = "10s", converter = DurationConverter.class,
            description = "Wait after the last connection before measuring. Default: ${DEFAULT-VALUE}")
    Duration settle;

    @Option(names = {"-d", "--duration", "--hold"}, defaultValue = "0s", converter = DurationConverter.class,
            description = "Then hold the connections this long, sampling RSS. Default: ${DEFAULT-VALUE}")
    Duration hold;

    @Option(names = "--sample-every", defaultValue = "10s", converter = DurationConverter.class,
            description = "RSS sampling interval during the hold. Default: ${DEFAULT-VALUE}")
    Duration sampleEvery;

    @Option(names = {"-r", "--rate"}, defaultValue = "0",
            description = "Messages/s published to the room during the hold (0 = idle). Default: ${DEFAULT-VALUE}")
    double rate;

    @Option(names = "--gc", description = "Run `jcmd <server-pid> GC.run` before each RSS reading (Java servers)")
    boolean gc;

    @Option(names = "--connect-timeout", defaultValue = "300s", converter = DurationConverter.class,
            description = "Longest time to open all connections. Default: ${DEFAULT-VALUE}")
    Duration connectTimeout;

    @Override
    public Integer call() throws Exception {
        List<Long> pids = target.serverPids;
        if (pids.isEmpty()) {
            System.err.println("[bench] idle needs --server-pid to read the server's RSS");
            return 2;
        }
        long capacity = Math.max(1, Math.round(rate * hold.toNanos() / 1e9) + 1);
        gcIfAsked();
        long baseKib = ProcStats.rssKib(pids);
        long baseHeapKib = heapUsedKib();
        try (Audience audience = new Audience(target, connections, capacity, 8)) {
            long t0 = System.nanoTime();
            audience.open(connectTimeout);
            double openSeconds = (System.nanoTime() - t0) / 1e9;
            Thread.sleep(settle.toMillis());
            gcIfAsked();
            long afterKib = ProcStats.rssKib(pids);
            long afterHeapKib = heapUsedKib();
            int connected = audience.fleet.ready.get();
            Report r = new Report("idle", target.label)
                    .put("protocol", target.protocolName())
                    .put("connections", connections)
                    .put("connected", connected)
                    .put("open_s", Report.round(openSeconds, 1))
                    .put("gc_before_reading", gc)
                    .put("server_rss_base_mb", Report.round(baseKib / 1024.0, 1))
                    .put("server_rss_mb", Report.round(afterKib / 1024.0, 1))
                    .put("rss_per_conn_bytes", connected == 0 ? null : Math.round((afterKib - baseKib) * 1024.0 / connected));
            if (baseHeapKib >= 0 && afterHeapKib >= 0) {
                r.put("server_heap_used_base_mb", Report.round(baseHeapKib / 1024.0, 1))
                        .put("server_heap_used_mb", Report.round(afterHeapKib / 1024.0, 1))
                        .put("heap_per_conn_bytes", connected == 0 ? null
                                : Math.round((afterHeapKib - baseHeapKib) * 1024.0 / connected));
            }
            if (!hold.isZero()) {
                holdAndSample(audience, pids, r);
            }
            r.emit();
        }
        return 0;
    }

    private void holdAndSample(Audience audience, List<Long> pids, Report r) throws Exception {
        HttpPublisher publisher = null;
        CompletableFuture<HttpPublisher.StepResult> publishing = null;
        if (rate > 0) {
            publisher = new HttpPublisher(target.publishUri(), target.publishFormat(), target.room, target.apiKey, 8,
                    target.padTo);
            publisher.start();
            publishing = publisher.run(rate, hold);
        }
        try {
            List<Double> samples = new ArrayList<>();
            double cpuBefore = ProcStats.cpuSeconds(pids);
            long start = System.nanoTime();
            long end = start + hold.toNanos();
            while (System.nanoTime() < end) {
                long next = Math.min(end, System.nanoTime() + sampleEvery.toNanos());
                TimeUnit.NANOSECONDS.sleep(Math.max(0, next - System.nanoTime()));
                double mb = Report.round(ProcStats.rssKib(pids) / 1024.0, 1);
                samples.add(mb);
                System.err.printf("[bench] hold %.0f s: server RSS %.1f MB, %d disconnects, %d received%n",
                        (System.nanoTime() - start) / 1e9, mb, audience.fleet.disconnects.get(), audience.received());
            }
            double wall = (System.nanoTime() - start) / 1e9;
            r.put("hold_s", Report.round(wall, 1))
                    .put("hold_rate", rate)
                    .put("disconnects", audience.fleet.disconnects.get())
                    .put("rss_samples_mb", samples)
                    .put("rss_min_mb", samples.stream().mapToDouble(d -> d).min().orElse(0))
                    .put("rss_max_mb", samples.stream().mapToDouble(d -> d).max().orElse(0))
                    .put("server_cpu_cores", Report.round((ProcStats.cpuSeconds(pids) - cpuBefore) / wall, 2));
            if (publishing != null) {
                HttpPublisher.StepResult sent = publishing.join();
                Thread.sleep(1000);
                long expected = (long) audience.active() * sent.sent();
                long delivered = audience.distinct(sent.firstSeq(), sent.endSeq());
                r.put("published", sent.sent())
                        .put("publish_errors", sent.errors())
                        .put("expected", expected)
                        .put("delivered", delivered)
                        .put("lost", expected - delivered)
                        .put("duplicates", audience.duplicates())
                        .put("order_violations", audience.orderViolations())
                        .latency("latency", audience.latencies.interval());
            }
        } finally {
            if (publisher != null) {
                publisher.close();
            }
        }
    }

    /** Java heap in use after the last GC ({@code jcmd GC.heap_info}), KiB; -1 when not asked or not Java. */
    private long heapUsedKib() throws Exception {
        if (!gc) {
            return -1;
        }
        long total = 0;
        for (long pid : target.serverPids) {
            Process p = new ProcessBuilder("jcmd", Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            p.waitFor(60, TimeUnit.SECONDS);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("heap\\s+total[^\\n]*?used (\\d+)K").matcher(out);
            if (!m.find()) {
                return -1;
            }
            total += Long.parseLong(m.group(1));
        }
        return total;
    }

    private void gcIfAsked() throws Exception {
        if (!gc) {
            return;
        }
        for (long pid : target.serverPids) {
            Process p = new ProcessBuilder("jcmd", Long.toString(pid), "GC.run").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroy();
            }
        }
        Thread.sleep(2000);
    }
}
