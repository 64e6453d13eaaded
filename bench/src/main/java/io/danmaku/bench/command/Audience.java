package io.danmaku.bench.command;

import io.danmaku.bench.load.Connector;
import io.danmaku.bench.load.Tokens;
import io.danmaku.bench.measure.Latencies;
import io.danmaku.bench.measure.Ledger;
import io.danmaku.bench.measure.Tally;
import io.danmaku.bench.wire.BilibiliSubscriber;
import io.danmaku.bench.wire.CentrifugeProtobufSubscriber;
import io.danmaku.bench.wire.CentrifugeSubscriber;
import io.danmaku.bench.wire.Fleet;
import io.danmaku.bench.wire.PeerSubscriber;
import io.danmaku.bench.ws.WsSession;
import java.time.Duration;

/** N subscribers of one room, their tallies and the connections under them. */
final class Audience implements AutoCloseable {
    final Fleet fleet = new Fleet();
    final Latencies latencies = new Latencies();
    final Tally[] tallies;
    final Ledger ledger;
    private final Connector connector;
    private final TargetOptions target;

    Audience(TargetOptions target, int subscribers, long capacity, int lanes) {
        this.target = target;
        long bytes = (capacity + 63) / 8 * (long) subscribers;
        if (bytes > Ledger.MAX_BITSET_BYTES) {
            throw new IllegalArgumentException("tracking " + capacity + " messages for " + subscribers
                    + " subscribers needs " + (bytes >> 20) + " MiB (expected: at most "
                    + (Ledger.MAX_BITSET_BYTES >> 20) + " MiB): use fewer or shorter steps");
        }
        this.ledger = new Ledger(capacity, lanes);
        this.tallies = new Tally[subscribers];
        for (int i = 0; i < subscribers; i++) {
            tallies[i] = new Tally(ledger, latencies);
        }
        this.connector = new Connector(target.clientThreads).offerDeflate(target.deflate);
    }

    /** Opens every subscriber (bounded rate) and waits until all are ready or failed, at most {@code timeout}. */
    void open(Duration timeout) throws InterruptedException {
        Tokens tokens = target.tokenSecret == null ? null : new Tokens(target.tokenSecret);
        int roomId = target.protocol == TargetOptions.Protocol.bilibili ? Integer.parseInt(target.room) : 0;
        long start = System.nanoTime();
        connector.open(target.subscriberUris(), tallies.length, i -> session(i, tokens, roomId),
                target.connectRate, target.connectConcurrency, timeout);
        long deadline = start + timeout.toNanos();
        int lastShown = -1;
        while (fleet.ready.get() + fleet.failed.get() < tallies.length && System.nanoTime() < deadline) {
            Thread.sleep(100);
            int r = fleet.ready.get();
            if (r / 1000 != lastShown / 1000) {
                System.err.printf("[bench] %d/%d subscribers ready, %d failed%n", r, tallies.length, fleet.failed.get());
                lastShown = r;
            }
        }
        System.err.printf("[bench] %d/%d subscribers ready, %d failed in %.1f s%s%n", fleet.ready.get(),
                tallies.length, fleet.failed.get(), (System.nanoTime() - start) / 1e9,
                fleet.firstFailure.get() == null ? "" : " (first failure: " + fleet.firstFailure.get() + ")");
    }

    private WsSession session(int i, Tokens tokens, int roomId) {
        String token = tokens == null ? null : tokens.mint("bench-sub-" + i, 24 * 3600);
        return switch (target.protocol) {
            case centrifuge -> new CentrifugeSubscriber(fleet, tallies[i], target.room, token);
            case centrifuge_protobuf -> new CentrifugeProtobufSubscriber(fleet, tallies[i], target.room, token);
            case bilibili -> new BilibiliSubscriber(fleet, tallies[i], roomId, target.protover, token);
            case peer_ws, nchan -> new PeerSubscriber(fleet, tallies[i]);
        };
    }

    long received() {
        long n = 0;
        for (Tally t : tallies) {
            n += t.received;
        }
        return n;
    }

    long bytes() {
        long n = 0;
        for (Tally t : tallies) {
            n += t.bytes;
        }
        return n;
    }

    long duplicates() {
        long n = 0;
        for (Tally t : tallies) {
            n += t.duplicates;
        }
        return n;
    }

    long orderViolations() {
        long n = 0;
        for (Tally t : tallies) {
            n += t.orderViolations;
        }
        return n;
    }

    long distinct(long from, long to) {
        long n = 0;
        for (Tally t : tallies) {
            if (t.active) {
                n += t.distinct(from, to);
            }
        }
        return n;
    }

    /** Subscribers that were subscribed at some point (a later disconnect still counts its losses). */
    int active() {
        int n = 0;
        for (Tally t : tallies) {
            if (t.active) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() {
        fleet.closing = true;
        connector.close();
    }
}
