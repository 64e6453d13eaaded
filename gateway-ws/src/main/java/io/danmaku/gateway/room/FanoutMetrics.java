package io.danmaku.gateway.room;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fan-out engine's meters. Event loops count locally and add once per batch, so the hot path does not
 * contend on shared counters per member.
 */
public final class FanoutMetrics {
    final Counter deliveries;
    final Counter frames;
    final Counter skippedUnwritable;
    final Counter recoveryOverflow;
    final DistributionSummary batchSize;
    final Timer latency;
    final Timer flush;
    final Counter deflatedFrames;
    final Counter deflateSkippedSmall;
    final Counter deflateSkippedBudget;
    final Counter deflateSkippedLarger;
    final Counter deflateBytesIn;
    final Counter deflateBytesOut;
    final Counter deflateNanos;
    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Counter> caughtUp = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> fellBehind = new ConcurrentHashMap<>();
    private final Counter offeredChat;
    private final Counter offeredPriority;
    private final Counter deliveredChat;
    private final Counter deliveredPriority;
    private final Counter sampledOutChat;
    final Counter ownDeliveries;

    public FanoutMetrics(MeterRegistry registry) {
        this(registry, List.of());
    }

    /**
     * @param protocols the {@code protocol} tags whose per-protocol meters exist (at zero) from the start, so
     *        dashboards see them before the first event; others are registered when first used
     */
    public FanoutMetrics(MeterRegistry registry, List<String> protocols) {
        this.registry = registry;
        deliveries = Counter.builder("danmaku.gateway.deliveries")
                .description("Room messages written to members (messages, summed over members)")
                .register(registry);
        frames = Counter.builder("danmaku.gateway.frames")
                .description("Batch frames written to members")
                .register(registry);
        skippedUnwritable = Counter.builder("danmaku.gateway.drops")
                .tag("reason", "unwritable")
                .description("Room messages not written when their batch went out because the member was not writable"
                        + " (it catches up from the room's ring once writable, or is told it fell behind: see"
                        + " danmaku.gateway.catchup.messages and danmaku.gateway.catchup.signals)")
                .register(registry);
        recoveryOverflow = Counter.builder("danmaku.gateway.drops")
                .tag("reason", "recovery_overflow")
                .description("Room messages dropped while a member was recovering")
                .register(registry);
        batchSize = DistributionSummary.builder("danmaku.gateway.batch.size")
                .description("Messages per room batch")
                .publishPercentileHistogram()
                .maximumExpectedValue(10_000.0)
                .register(registry);
        latency = Timer.builder("danmaku.gateway.latency")
                .description("From the server stamp of the oldest message of a batch to the batch being written"
                        + " (one sample per room batch per event loop)")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
        flush = Timer.builder("danmaku.gateway.flush")
                .description("Time to write one room batch to the room's members on one event loop; a room's"
                        + " batch window stretches when this grows (gateway.batch.flush-share)")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        deflatedFrames = Counter.builder("danmaku.gateway.compression.frames")
                .description("Batch frames deflated (once per room batch per event loop, shared by its"
                        + " permessage-deflate members)")
                .register(registry);
        deflateSkippedSmall = skipped(registry, "small");
        deflateSkippedBudget = skipped(registry, "budget");
        deflateSkippedLarger = skipped(registry, "larger");
        deflateBytesIn = Counter.builder("danmaku.gateway.compression.bytes")
                .tag("stage", "in")
                .description("Payload bytes of the batch frames deflated, and (stage=out) what they became")
                .baseUnit("bytes")
                .register(registry);
        deflateBytesOut = Counter.builder("danmaku.gateway.compression.bytes")
                .tag("stage", "out")
                .description("Payload bytes of the batch frames deflated, and (stage=out) what they became")
                .baseUnit("bytes")
                .register(registry);
        deflateNanos = Counter.builder("danmaku.gateway.compression.time")
                .description("Event loop time spent deflating batch frames")
                .baseUnit("nanoseconds")
                .register(registry);
        String offered = "Messages of sampled rooms (gateway.sampling.rooms) that reached this gateway's fan-out, by"
                + " class: chat (ordinary danmaku) or priority (events, system and flagged messages)";
        offeredChat = sampling(registry, "offered", "chat", offered);
        offeredPriority = sampling(registry, "offered", "priority", offered);
        String delivered = "Messages of sampled rooms kept in the sample every member gets, by class (priority: all"
                + " of them)";
        deliveredChat = sampling(registry, "delivered", "chat", delivered);
        deliveredPriority = sampling(registry, "delivered", "priority", delivered);
        String sampledOut = "Messages of sampled rooms left out of the sample above the room's visible rate, by class"
                + " (priority: never; stored and recoverable, and their authors still get them)";
        sampledOutChat = sampling(registry, "sampled.out", "chat", sampledOut);
        // registered so that the dashboard shows the rule holding: priority messages are never sampled out
        sampling(registry, "sampled.out", "priority", sampledOut);
        ownDeliveries = Counter.builder("danmaku.gateway.sampling.own")
                .description("Posts left out of a room's sample written to their authors' own connections (a user"
                        + " always sees their own posts)")
                .register(registry);
        for (String p : protocols) {
            caughtUp(p);
            fellBehind(p);
        }
    }

    /** Room messages written to members of {@code protocol} catching up after batches skipped while unwritable. */
    Counter caughtUp(String protocol) {
        return caughtUp.computeIfAbsent(protocol, p -> Counter.builder("danmaku.gateway.catchup.messages")
                .tag("protocol", p)
                .description("Room messages written from the room's recent ring to members catching up after"
                        + " batches skipped while they were not writable")
                .register(registry));
    }

    /** Members of {@code protocol} told that they fell further behind than the room's ring holds. */
    Counter fellBehind(String protocol) {
        return fellBehind.computeIfAbsent(protocol, p -> Counter.builder("danmaku.gateway.catchup.signals")
                .tag("protocol", p)
                .description("Members told that they fell further behind than the room's recent ring"
                        + " (gateway.ring.size) holds: Centrifugo unsubscribe push 2500 (disconnect 3010 for a"
                        + " server-side subscription), Bilibili close 4005")
                .register(registry));
    }

    private static Counter sampling(MeterRegistry registry, String name, String cls, String description) {
        return Counter.builder("danmaku.gateway.sampling." + name)
                .tag("class", cls)
                .description(description)
                .register(registry);
    }

    /**
     * One sampled room's poll: {@code priority} priority messages (all kept), {@code chatKept} chat messages in the
     * sample, {@code chatOut} left out of it.
     */
    void sampled(long priority, long chatKept, long chatOut) {
        if (priority > 0) {
            offeredPriority.increment(priority);
            deliveredPriority.increment(priority);
        }
        if (chatKept + chatOut > 0) {
            offeredChat.increment(chatKept + chatOut);
        }
        if (chatKept > 0) {
            deliveredChat.increment(chatKept);
        }
        if (chatOut > 0) {
            sampledOutChat.increment(chatOut);
        }
    }

    private static Counter skipped(MeterRegistry registry, String reason) {
        return Counter.builder("danmaku.gateway.compression.skipped")
                .tag("reason", reason)
                .description("Room batches sent plain to permessage-deflate members, by reason: small (payload"
                        + " under gateway.ws.compression.min-bytes), budget (the loop's"
                        + " gateway.ws.compression.cpu-share was spent), larger (deflating did not shrink it)")
                .register(registry);
    }
}
