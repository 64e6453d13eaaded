package io.danmaku.bench.command;

import io.danmaku.bench.load.HttpPublisher;
import io.danmaku.bench.measure.ProcStats;
import io.danmaku.bench.ws.WsClientHandler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * N subscribers in one room, a publisher at R messages/s for T seconds; one JSON line per rate step with
 * deliveries/s, loss, duplicates, order violations, send→receive latency and the server's CPU and RSS.
 */
@Command(name = "fanout", mixinStandardHelpOptions = true,
        description = "N WebSocket subscribers in one room, a publisher at R msgs/s; one JSON line per rate step.")
public final class FanoutCommand implements Callable<Integer> {
    @Mixin
    TargetOptions target;

    @Option(names = {"-n", "--subscribers"}, defaultValue = "1000", description = "Subscribers. Default: ${DEFAULT-VALUE}")
    int subscribers;

    @Option(names = {"-r", "--rate"}, split = ",", defaultValue = "100",
            description = "Messages per second; a comma list runs steps on the same connections. Default: ${DEFAULT-VALUE}")
    List<Double> rates;

    @Option(names = {"-d", "--duration"}, defaultValue = "10s", converter = DurationConverter.class,
            description = "Length of each step. Default: ${DEFAULT-VALUE}")
    Duration duration;

    @Option(names = "--warmup", defaultValue = "5s", converter = DurationConverter.class,
            description = "A first, unreported step at the first rate (JIT warm-up). Default: ${DEFAULT-VALUE}")
    Duration warmup;

    @Option(names = "--lanes", defaultValue = "8",
            description = "Publisher connections, one request in flight each. Default: ${DEFAULT-VALUE}")
    int lanes;

    @Option(names = "--drain", defaultValue = "5s", converter = DurationConverter.class,
            description = "Longest wait after a step for messages still on their way. Default: ${DEFAULT-VALUE}")
    Duration drain;

    @Option(names = "--max-p99", defaultValue = "250", description = "p99 (ms) a step must stay under to pass. Default: ${DEFAULT-VALUE}")
    double maxP99Ms;

    @Option(names = "--stop-on-fail", description = "Stop at the first step that loses a message or misses --max-p99")
    boolean stopOnFail;

    @Option(names = "--connect-timeout", defaultValue = "120s", converter = DurationConverter.class,
            description = "Longest time to open all subscribers. Default: ${DEFAULT-VALUE}")
    Duration connectTimeout;

    @Override
    public Integer call() throws Exception {
        double seconds = duration.toNanos() / 1e9;
        long capacity = Math.round(rates.get(0) * warmup.toNanos() / 1e9) + 1;
        for (double r : rates) {
            capacity += Math.round(r * seconds) + 1;
        }
        try (Audience audience = new Audience(target, subscribers, capacity, lanes);
             HttpPublisher publisher = new HttpPublisher(target.publishUri(), target.publishFormat(), target.room,
                     target.apiKey, lanes, target.padTo, target.jsonMessageBytes())) {
            audience.open(connectTimeout);
            if (audience.fleet.ready.get() == 0) {
                System.err.println("[bench] no subscriber could subscribe: " + audience.fleet.firstFailure.get());
                return 1;
            }
            publisher.start();
            if (!warmup.isZero()) {
                System.err.printf("[bench] warm-up: %.0f msgs/s for %s%n", rates.get(0), warmup);
                step(audience, publisher, rates.get(0), warmup, true);
            }
            for (double rate : rates) {
                boolean pass = step(audience, publisher, rate, duration, false);
                if (!pass && stopOnFail) {
                    break;
                }
            }
        }
        return 0;
    }

    private boolean step(Audience audience, HttpPublisher publisher, double rate, Duration length, boolean warm)
            throws InterruptedException {
        List<Long> pids = target.serverPids;
        long self = ProcStats.self();
        audience.latencies.interval();
        long receivedBefore = audience.received();
        long bytesBefore = audience.bytes();
        long dupBefore = audience.duplicates();
        long orderBefore = audience.orderViolations();
        int disconnectsBefore = audience.fleet.disconnects.get();
        double cpuBefore = ProcStats.cpuSeconds(pids);
        double sysBefore = ProcStats.systemSeconds(pids);
        double selfBefore = ProcStats.cpuSeconds(self);
        long inflateNanosBefore = WsClientHandler.INFLATE_NANOS.sum();
        long inflatedBefore = WsClientHandler.INFLATED_MESSAGES.sum();
        long start = System.nanoTime();

        HttpPublisher.StepResult sent = publisher.run(rate, length).join();
        int active = audience.active();
        long expected = (long) active * sent.sent();
        long end = System.nanoTime();
        long lastProgress = end;
        long seen = audience.received() - receivedBefore;
        long drainDeadline = end + drain.toNanos();
        while (seen < expected && System.nanoTime() < drainDeadline
                && System.nanoTime() - lastProgress < 1_000_000_000L) {
            Thread.sleep(20);
            long now = audience.received() - receivedBefore;
            if (now > seen) {
                seen = now;
                lastProgress = System.nanoTime();
            }
        }
        long stop = seen >= expected ? System.nanoTime() : lastProgress;
        double wall = (stop - start) / 1e9;
        double cpu = ProcStats.cpuSeconds(pids) - cpuBefore;
        double sys = ProcStats.systemSeconds(pids) - sysBefore;
        double selfCpu = ProcStats.cpuSeconds(self) - selfBefore;
        Histogram latency = audience.latencies.interval();
        long distinct = audience.distinct(sent.firstSeq(), sent.endSeq());
        long lost = expected - distinct;
        long dups = audience.duplicates() - dupBefore;
        long order = audience.orderViolations() - orderBefore;
        double p99 = Report.ms(latency.getValueAtPercentile(99));
        // kept up: the server took the publishes and delivered them at (nearly) the offered rate, not later
        boolean keptUp = distinct / wall >= 0.95 * rate * active;
        boolean pass = lost == 0 && dups == 0 && sent.unsent() == 0 && sent.errors() == 0 && p99 <= maxP99Ms
                && keptUp;
        if (warm) {
            System.err.printf("[bench] warm-up done: %d/%d delivered, p99 %.1f ms%n", distinct, expected, p99);
            return pass;
        }
        Report r = new Report("fanout", target.label)
                .put("protocol", target.protocolName())
                .put("subscribers", subscribers)
                .put("subscribed", active)
                .put("rate", rate)
                .put("duration_s", Report.round(length.toNanos() / 1e9, 3))
                .put("published", sent.sent())
                .put("publish_unsent", sent.unsent())
                .put("publish_errors", sent.errors())
                .put("publish_rate", Report.round(sent.sent() / sent.sendSeconds(), 1))
                .put("expected", expected)
                .put("delivered", distinct)
                .put("lost", lost)
                .put("duplicates", dups)
                .put("order_violations", order)
                .put("offered_per_sec", Math.round(rate * active))
                .put("bytes_per_delivery", distinct == 0 ? null
                        : Math.round((audience.bytes() - bytesBefore) / (double) distinct))
                .put("deliveries_per_sec", Math.round(distinct / wall))
                .latency("latency", latency)
                .latency("publish_ack", sent.ackMicros())
                .put("kept_up", keptUp)
                .put("disconnects", audience.fleet.disconnects.get() - disconnectsBefore)
                .put("server_cpu_cores", pids.isEmpty() ? null : Report.round(cpu / wall, 2))
                .put("server_rss_mb", pids.isEmpty() ? null : Report.round(ProcStats.rssKib(pids) / 1024.0, 1))
                .put("client_cpu_cores", Report.round(selfCpu / wall, 2))
                .put("server_cpu_us_per_delivery", pids.isEmpty() || distinct == 0 ? null
                        : Report.round(cpu * 1e6 / distinct, 3))
                .put("server_sys_us_per_delivery", pids.isEmpty() || distinct == 0 ? null
                        : Report.round(sys * 1e6 / distinct, 3))
                .put("client_cpu_us_per_delivery", distinct == 0 ? null : Report.round(selfCpu * 1e6 / distinct, 3))
                .put("deflate", target.deflate)
                .put("message", target.jsonMessageBytes() > 0 ? "json" + target.messageBytes : "marker")
                .put("client_inflated_frames", WsClientHandler.INFLATED_MESSAGES.sum() - inflatedBefore)
                .put("client_inflate_us_per_delivery", distinct == 0 ? null
                        : Report.round((WsClientHandler.INFLATE_NANOS.sum() - inflateNanosBefore) / 1e3 / distinct, 3))
                .put("pass", pass);
        if (sent.firstError() != null) {
            r.put("publish_first_error", sent.firstError());
        }
        r.emit();
        return pass;
    }
}
