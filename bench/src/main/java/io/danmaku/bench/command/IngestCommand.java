package io.danmaku.bench.command;

import io.danmaku.bench.load.Connector;
import io.danmaku.bench.load.IngestStats;
import io.danmaku.bench.load.PostingSession;
import io.danmaku.bench.load.Tokens;
import io.danmaku.bench.measure.Latencies;
import io.danmaku.bench.measure.Ledger;
import io.danmaku.bench.measure.ProcStats;
import io.danmaku.bench.measure.Tally;
import io.danmaku.bench.wire.CentrifugeSubscriber;
import io.danmaku.bench.wire.Fleet;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * M posting clients (Centrifugo JSON protocol, each its own user with a minted HS256 token) spread over K
 * rooms at a total target rate: accepted posts/s, rejections by reason, post→ack latency, and with
 * {@code --verify} one subscriber per room that must see every accepted post.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "M posting clients at a target rate: accepted/s, rejections by reason, post→ack latency.")
public final class IngestCommand implements Callable<Integer> {
    @Mixin
    TargetOptions target;

    @Option(names = {"-m", "--clients"}, defaultValue = "100", description = "Posting connections. Default: ${DEFAULT-VALUE}")
    int clients;

    @Option(names = {"-r", "--rate"}, defaultValue = "1000", description = "Posts per second, all clients together. Default: ${DEFAULT-VALUE}")
    double rate;

    @Option(names = {"-d", "--duration"}, defaultValue = "10s", converter = DurationConverter.class,
            description = "How long to post. Default: ${DEFAULT-VALUE}")
    Duration duration;

    @Option(names = "--rooms", defaultValue = "10", description = "Rooms the clients post to (client i: room i mod K)."
            + " Default: ${DEFAULT-VALUE}")
    int rooms;

    @Option(names = "--max-in-flight", defaultValue = "128", description = "Unanswered posts per client. Default: ${DEFAULT-VALUE}")
    int maxInFlight;

    @Option(names = "--verify", description = "Subscribe one connection per room and count accepted posts never delivered")
    boolean verify;

    @Option(names = "--answer-timeout", defaultValue = "15s", converter = DurationConverter.class,
            description = "Longest wait for the last answers after posting stops. Default: ${DEFAULT-VALUE}")
    Duration answerTimeout;

    @Override
    public Integer call() throws Exception {
        if (target.tokenSecret == null) {
            System.err.println("[bench] ingest needs --token-secret (the server's token.hmac.secret): posting needs a user");
            return 2;
        }
        if (target.protocol != TargetOptions.Protocol.centrifuge) {
            System.err.println("[bench] ingest posts over the centrifuge protocol only");
            return 2;
        }
        Tokens tokens = new Tokens(target.tokenSecret);
        long capacity = Math.round(rate * duration.toNanos() / 1e9) + clients + 1;
        IngestStats stats = new IngestStats(capacity);
        AtomicLong seqs = new AtomicLong();
        Fleet fleet = new Fleet();
        List<URI> uris = target.subscriberUris();
        PostingSession[] sessions = new PostingSession[clients];
        String runId = Long.toString(System.currentTimeMillis(), 36);
        Fleet verifyFleet = new Fleet();
        Tally[] verifiers = new Tally[verify ? rooms : 0];
        Latencies verifyLatency = new Latencies();
        List<Long> pids = target.serverPids;
        try (Connector connector = new Connector(target.clientThreads);
             Connector verifyConnector = new Connector(1)) {
            if (verify) {
                Ledger ledger = new Ledger(capacity, 0);
                for (int k = 0; k < rooms; k++) {
                    verifiers[k] = new Tally(ledger, verifyLatency);
                }
                verifyConnector.open(uris, rooms, k -> new CentrifugeSubscriber(verifyFleet, verifiers[k],
                        "ingest-" + k, null), 100, 10, Duration.ofSeconds(30));
                waitReady(verifyFleet, rooms, "verifiers");
            }
            connector.open(uris, clients, i -> sessions[i] = new PostingSession(fleet, stats, seqs,
                    tokens.mint("bench-user-" + i, 24 * 3600), "ingest-" + (i % rooms), runId, maxInFlight),
                    target.connectRate, target.connectConcurrency, Duration.ofSeconds(120));
            waitReady(fleet, clients, "posting clients");
            int ready = fleet.ready.get();
            double perClient = rate / Math.max(1, ready);
            double seconds = duration.toNanos() / 1e9;
            double cpuBefore = ProcStats.cpuSeconds(pids);
            double selfBefore = ProcStats.cpuSeconds(ProcStats.self());
            long start = System.nanoTime();
            for (PostingSession s : sessions) {
                if (s != null) {
                    s.startPosting(perClient, seconds);
                }
            }
            Thread.sleep(duration.toMillis());
            // the last posts go out on each session's first tick after the stop time: wait for them (≤ 2 s), or
            // the check below may see everything sent so far answered and stop before they are counted
            long lastTicks = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < lastTicks && !allDone(sessions)) {
                Thread.sleep(5);
            }
            long postEnd = System.nanoTime();
            long deadline = postEnd + answerTimeout.toNanos();
            while (System.nanoTime() < deadline
                    && stats.accepted.sum() + stats.rejectedTotal() < stats.sent.sum()) {
                Thread.sleep(20);
            }
            double wall = (System.nanoTime() - start) / 1e9;
            double cpu = ProcStats.cpuSeconds(pids) - cpuBefore;
            double selfCpu = ProcStats.cpuSeconds(ProcStats.self()) - selfBefore;
            long accepted = stats.accepted.sum();
            Report r = new Report("ingest", target.label)
                    .put("clients", clients)
                    .put("connected", ready)
                    .put("rooms", rooms)
                    .put("rate", rate)
                    .put("duration_s", Report.round(seconds, 3))
                    .put("sent", stats.sent.sum())
                    .put("accepted", accepted)
                    .put("accepted_per_sec", Math.round(accepted / seconds))
                    .put("rejected", stats.rejections())
                    .put("unanswered", stats.sent.sum() - accepted - stats.rejectedTotal())
                    .put("skipped_in_flight_cap", stats.skippedInFlightCap.sum())
                    .latency("ack", stats.ackLatency.interval())
                    .put("disconnects", fleet.disconnects.get())
                    .put("server_cpu_cores", pids.isEmpty() ? null : Report.round(cpu / wall, 2))
                    .put("server_rss_mb", pids.isEmpty() ? null : Report.round(ProcStats.rssKib(pids) / 1024.0, 1))
                    .put("client_cpu_cores", Report.round(selfCpu / wall, 2))
                    // the measured window (posting + waiting for the last answers): CPU per post = cores × window / accepted
                    .put("window_s", Report.round(wall, 3))
                    .put("sent_per_sec", Math.round(stats.sent.sum() / seconds));
            if (verify) {
                Thread.sleep(2000);
                long lost = 0;
                long end = seqs.get();
                for (long seq = 0; seq < end && seq < capacity; seq++) {
                    if (stats.wasAccepted(seq)) {
                        boolean seen = false;
                        for (Tally t : verifiers) {
                            if (t.saw(seq)) {
                                seen = true;
                                break;
                            }
                        }
                        if (!seen) {
                            lost++;
                        }
                    }
                }
                r.put("accepted_not_delivered", lost)
                        .latency("post_to_delivery", verifyLatency.interval());
            }
            r.emit();
            fleet.closing = true;
            verifyFleet.closing = true;
        }
        return 0;
    }

    private static boolean allDone(PostingSession[] sessions) {
        for (PostingSession s : sessions) {
            if (s != null && !s.postingDone()) {
                return false;
            }
        }
        return true;
    }

    private static void waitReady(Fleet fleet, int count, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (fleet.ready.get() + fleet.failed.get() < count && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        System.err.printf("[bench] %d/%d %s ready, %d failed%s%n", fleet.ready.get(), count, what, fleet.failed.get(),
                fleet.firstFailure.get() == null ? "" : " (first failure: " + fleet.firstFailure.get() + ")");
    }
}
