package io.danmaku.gateway.room;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.json.RoomMessageCodec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Sampling a hot room's fan-out: the rule ({@link RoomSampler}: a visible rate per second of message time, fair per
 * author, priority messages never left out, the same answer for the same records), the settings
 * ({@link SamplingRules}) and the delivery on a loop (one shared sample for everyone, each author's own left-out
 * posts merged into its frame in offset order).
 */
class SamplingTest {
    static final long T0 = 1_800_000_000_000L; // a whole second of message time

    long offset;
    final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void tearDown() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    RoomRecord chat(String room, long time, String user) {
        RoomMessage m = RoomMessage.danmaku("m" + (offset + 1), room, time, new UserRef(user, null), "hi", 0xFFFFFF, 1,
                null);
        return new RoomRecord(room, ++offset, "e", time, RoomMessageCodec.encode(m));
    }

    RoomRecord gift(String room, long time) {
        RoomMessage m = RoomMessage.event("g" + (offset + 1), room, time, "GIFT",
                Json.MAPPER.createObjectNode().put("giftName", "rose"));
        return new RoomRecord(room, ++offset, "e", time, RoomMessageCodec.encode(m));
    }

    /** {@code perSecond} chat messages a second for {@code seconds}, authors taken round-robin from {@code users}. */
    List<RoomRecord> stream(String room, int perSecond, int seconds, String... users) {
        List<RoomRecord> out = new ArrayList<>();
        int n = perSecond * seconds;
        for (int i = 0; i < n; i++) {
            out.add(chat(room, T0 + i * 1000L / perSecond, users[i % users.length]));
        }
        return out;
    }

    // ---- the rule

    @Test
    void noSecondOfMessageTimeShowsMoreChatThanTheRateAndTheBudgetIsUsed() {
        String[] users = new String[100];
        Arrays.setAll(users, i -> "u" + i);
        List<RoomRecord> offered = stream("r", 5000, 3, users);
        FanoutMetrics metrics = new FanoutMetrics(new SimpleMeterRegistry());
        RoomSampler sampler = new RoomSampler(200);
        List<RoomRecord> kept = new ArrayList<>();
        for (int i = 0; i < offered.size(); i += 97) { // polls of uneven size
            kept.addAll(sampler.sample(offered.subList(i, Math.min(offered.size(), i + 97)), metrics).shared());
        }
        Map<Long, Integer> perSecond = new TreeMap<>();
        kept.forEach(r -> perSecond.merge((r.timeMillis() - T0) / 1000, 1, Integer::sum));
        assertThat(perSecond).hasSize(3);
        // exactly the rate: 5,000 offered is far above it, so every window fills its budget
        assertThat(perSecond.values()).allSatisfy(n -> assertThat(n).isEqualTo(200));
    }

    @Test
    void oneSpammerGetsOneAuthorsShare() {
        // "spam" posts half of everything; 50 others share the other half, in no particular order
        java.util.Random random = new java.util.Random(42);
        List<RoomRecord> offered = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            offered.add(chat("r", T0 + i / 5, i % 2 == 0 ? "spam" : "u" + random.nextInt(50)));
        }
        RoomSampler sampler = new RoomSampler(200);
        List<RoomRecord> kept = sampler.sample(offered, new FanoutMetrics(new SimpleMeterRegistry())).shared();
        Map<String, Integer> byUser = new HashMap<>();
        kept.forEach(r -> byUser.merge(RoomMessageCodec.decode(r.payload()).user().id(), 1, Integer::sum));
        assertThat(kept).hasSize(200);
        // a fair share is 200 / 51 ≈ 4 per second; by count of posts it would have been 100. The cap is one per
        // 100 ms window once the room's authors are known (the room's first window is still learning them)
        assertThat(byUser.get("spam")).isBetween(1, 12);
        assertThat(byUser).hasSizeGreaterThan(40);
    }

    @Test
    void priorityMessagesAreNeverLeftOutNorUseTheBudget() {
        List<RoomRecord> offered = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            offered.add(chat("r", T0 + i / 5, "u" + i % 30));
            if (i % 500 == 0) {
                offered.add(gift("r", T0 + i / 5));
                RoomMessage system = RoomMessage.danmaku("s" + i, "r", T0 + i / 5, null, "notice", 0xFFFFFF, 1, null);
                offered.add(new RoomRecord("r", ++offset, "e", T0 + i / 5, RoomMessageCodec.encode(system)));
                RoomMessage flagged = RoomMessage.danmaku("f" + i, "r", T0 + i / 5, new UserRef("mod", null),
                        "be nice", 0xFFFFFF, 1, null).withPriority();
                offered.add(new RoomRecord("r", ++offset, "e", T0 + i / 5, RoomMessageCodec.encode(flagged)));
            }
        }
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        FanoutBatch batch = new RoomSampler(200).sample(offered, new FanoutMetrics(meters));
        long priorityKept = batch.shared().stream()
                .filter(r -> RoomMessageCodec.decode(r.payload()).isPriority()).count();
        assertThat(priorityKept).isEqualTo(30);
        assertThat(batch.shared()).hasSize(200 + 30);
        assertThat(batch.sampledOut()).hasSize(5000 - 200)
                .allSatisfy(p -> assertThat(RoomMessageCodec.decode(p.record().payload()).isPriority()).isFalse());
        assertThat(batch.shared()).isSortedAccordingTo((a, b) -> Long.compare(a.offset(), b.offset()));
        assertThat(count(meters, "offered", "chat")).isEqualTo(5000);
        assertThat(count(meters, "offered", "priority")).isEqualTo(30);
        assertThat(count(meters, "delivered", "chat")).isEqualTo(200);
        assertThat(count(meters, "delivered", "priority")).isEqualTo(30);
        assertThat(count(meters, "sampled.out", "chat")).isEqualTo(4800);
        assertThat(count(meters, "sampled.out", "priority")).isZero();
    }

    @Test
    void theSampleDependsOnlyOnTheRecordsNotOnHowThePollsCutThem() {
        List<RoomRecord> offered = stream("r", 3000, 2, "a", "b", "c", "d", "e", "f", "g");
        FanoutMetrics metrics = new FanoutMetrics(new SimpleMeterRegistry());
        List<RoomRecord> whole = new RoomSampler(150).sample(offered, metrics).shared();
        RoomSampler byOne = new RoomSampler(150);
        List<RoomRecord> oneByOne = new ArrayList<>();
        offered.forEach(r -> oneByOne.addAll(byOne.sample(List.of(r), metrics).shared()));
        assertThat(oneByOne).isEqualTo(whole);
    }

    @Test
    void belowTheRateNothingIsLeftOut() {
        List<RoomRecord> offered = stream("r", 150, 2, "a", "b", "c");
        FanoutBatch batch = new RoomSampler(200).sample(offered, new FanoutMetrics(new SimpleMeterRegistry()));
        assertThat(batch.shared()).isSameAs(offered);
        assertThat(batch.sampledOut()).isEmpty();
    }

    static double count(SimpleMeterRegistry meters, String name, String cls) {
        return meters.get("danmaku.gateway.sampling." + name).tag("class", cls).counter().count();
    }

    // ---- the settings

    @Test
    void rulesGiveTheFirstMatchingPatternsRate() {
        SamplingRules rules = SamplingRules.parse(List.of("live.big=50", " live.* = 200 ", "*#vip=1000"));
        assertThat(rules.rateFor("live.big")).isEqualTo(50);
        assertThat(rules.rateFor("live.1")).isEqualTo(200);
        assertThat(rules.rateFor("notes#vip")).isEqualTo(1000);
        assertThat(rules.rateFor("other")).isZero();
        assertThat(SamplingRules.parse(List.of()).isEmpty()).isTrue();
        assertThat(rules).hasToString("[live.big=50, live.*=200, *#vip=1000]");
    }

    @Test
    void aMalformedRuleIsRefusedNamingTheKeyAndTheEntry() {
        String expected = "(expected: pattern=rate, a room id pattern with * for any run of characters and a visible"
                + " rate of 1..100000 chat messages per second, e.g. live.*=200)";
        assertThatThrownBy(() -> SamplingRules.parse(List.of("live.*")))
                .hasMessage("gateway.sampling.rooms: \"live.*\" " + expected);
        assertThatThrownBy(() -> SamplingRules.parse(List.of("=200")))
                .hasMessage("gateway.sampling.rooms: \"=200\" " + expected);
        assertThatThrownBy(() -> SamplingRules.parse(List.of("live.*=")))
                .hasMessage("gateway.sampling.rooms: \"live.*=\" " + expected);
        assertThatThrownBy(() -> SamplingRules.parse(List.of("live.*=fast")))
                .hasMessage("gateway.sampling.rooms: \"live.*=fast\": rate \"fast\" is not a whole number " + expected);
        assertThatThrownBy(() -> SamplingRules.parse(List.of("live.*=0")))
                .hasMessage("gateway.sampling.rooms: \"live.*=0\": rate 0 is out of range " + expected);
        assertThatThrownBy(() -> SamplingRules.parse(List.of("live.*=100001")))
                .hasMessageContaining("rate 100001 is out of range");
        assertThatThrownBy(() -> SamplingRules.parse(List.of("live?=10")))
                .hasMessageStartingWith("gateway.sampling.rooms: \"live?=10\": pattern: character '?' at 4");
    }

    // ---- delivery on a loop

    record UserMember(EmbeddedChannel channel, String userId) implements Member {
        @Override
        public BatchEncoder encoder() {
            return BatchingTest.OFFSETS;
        }

        @Override
        public void onSkippedBatch(long nowNanos) {
        }
    }

    EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        channels.add(ch);
        return ch;
    }

    static List<String> frames(EmbeddedChannel ch) {
        List<String> out = new ArrayList<>();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            out.add(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        return out;
    }

    @Test
    void everyMemberGetsTheSameSampleAndEachAuthorItsOwnPostsInOrder() {
        EmbeddedChannel loop = channel();
        loop.freezeTime();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        RoomRegistry registry = new RoomRegistry(loop.eventLoop(), BatchPolicy.fixed(TimeUnit.SECONDS.toNanos(10), 10_000),
                16, new FanoutMetrics(meters), io.danmaku.gateway.compression.CompressionSettings.DEFAULTS,
                SamplingRules.parse(List.of("hot.*=10")));
        LoopShard shard = registry.shard(loop.eventLoop());
        EmbeddedChannel viewer = channel();
        EmbeddedChannel anonymous = channel();
        EmbeddedChannel ann1 = channel();
        EmbeddedChannel ann2 = channel(); // a second connection of the same user
        EmbeddedChannel bob = channel();
        shard.join(new UserMember(viewer, "viewer"), "hot.1", false, 0);
        shard.join(new UserMember(anonymous, null), "hot.1", false, 0);
        shard.join(new UserMember(ann1, "ann"), "hot.1", false, 0);
        shard.join(new UserMember(ann2, "ann"), "hot.1", false, 0);
        shard.join(new UserMember(bob, "bob"), "hot.1", false, 0);

        // rate 10/s = 1 per 100 ms window: of these five in one millisecond, the first is kept
        List<RoomRecord> first = List.of(chat("hot.1", T0, "x"), chat("hot.1", T0, "ann"), gift("hot.1", T0),
                chat("hot.1", T0, "bob"), chat("hot.1", T0, "ann"));
        registry.dispatch(first);
        loop.runPendingTasks();
        assertThat(frames(viewer)).containsExactly("1,3");
        assertThat(frames(anonymous)).containsExactly("1,3");
        assertThat(frames(ann1)).containsExactly("1,2,3,5");
        assertThat(frames(ann2)).containsExactly("1,2,3,5");
        assertThat(frames(bob)).containsExactly("1,3,4");

        // within the window (10 s, frozen): a poll with nothing kept goes to its authors only, at the next flush
        registry.dispatch(List.of(chat("hot.1", T0 + 1, "bob"), chat("hot.1", T0 + 2, "x")));
        loop.runPendingTasks();
        loop.advanceTimeBy(10, TimeUnit.SECONDS);
        loop.runScheduledPendingTasks();
        assertThat(frames(bob)).containsExactly("6");
        assertThat(frames(viewer)).isEmpty();
        assertThat(frames(ann1)).isEmpty();
        assertThat(count(meters, "sampled.out", "chat")).isEqualTo(5);
        assertThat(meters.get("danmaku.gateway.sampling.own").counter().count()).as("ann twice on two connections, bob twice")
                .isEqualTo(6);
    }

    @Test
    void aRoomNoRuleMatchesIsNotSampled() {
        EmbeddedChannel loop = channel();
        RoomRegistry registry = new RoomRegistry(loop.eventLoop(), BatchPolicy.fixed(0, 10_000), 16,
                new FanoutMetrics(new SimpleMeterRegistry()), io.danmaku.gateway.compression.CompressionSettings.DEFAULTS,
                SamplingRules.parse(List.of("hot.*=1")));
        EmbeddedChannel viewer = channel();
        registry.shard(loop.eventLoop()).join(new UserMember(viewer, "viewer"), "calm", false, 0);
        List<RoomRecord> records = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            records.add(chat("calm", T0, "u" + i % 3));
        }
        registry.dispatch(records);
        loop.runPendingTasks();
        assertThat(String.join(",", frames(viewer)).split(",")).hasSize(50);
    }

    @Test
    void aMemberCatchingUpInASampledRoomGetsWhatItWouldHaveGotLiveNotTheWholeRoom() {
        EmbeddedChannel loop = channel();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        RoomRegistry registry = new RoomRegistry(loop.eventLoop(), BatchPolicy.fixed(0, 10_000), 64,
                new FanoutMetrics(meters), io.danmaku.gateway.compression.CompressionSettings.DEFAULTS,
                SamplingRules.parse(List.of("hot.*=10")));
        LoopShard shard = registry.shard(loop.eventLoop());
        EmbeddedChannel viewer = channel();
        EmbeddedChannel annChannel = channel();
        EmbeddedChannel anonChannel = channel();
        UserMember ann = new UserMember(annChannel, "ann");
        UserMember anon = new UserMember(anonChannel, null);
        shard.join(new UserMember(viewer, "viewer"), "hot.1", false, 0);
        RoomSubscription annSub = shard.join(ann, "hot.1", false, 0).subscription();
        RoomSubscription anonSub = shard.join(anon, "hot.1", false, 0).subscription();

        registry.dispatch(List.of(chat("hot.1", T0, "x"))); // 1: the window's one kept chat
        loop.runPendingTasks();
        assertThat(frames(annChannel)).containsExactly("1");
        assertThat(frames(anonChannel)).containsExactly("1");

        annChannel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        anonChannel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        // 2 and 3 are left out of the sample (the window's budget is spent), 4 is a gift (never left out)
        registry.dispatch(List.of(chat("hot.1", T0 + 1, "x"), chat("hot.1", T0 + 2, "ann"), gift("hot.1", T0 + 3)));
        loop.runPendingTasks();
        assertThat(frames(viewer)).containsExactly("1", "4");
        assertThat(annSub.behind()).isTrue();
        assertThat(anonSub.behind()).isTrue();

        annChannel.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        anonChannel.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        shard.writable(ann);
        shard.writable(anon);
        assertThat(frames(annChannel)).as("the sample and its own post, not x's left-out one").containsExactly("3,4");
        assertThat(frames(anonChannel)).containsExactly("4");

        // in step again: the next window's kept chat once, and what was left out is not owed later
        registry.dispatch(List.of(chat("hot.1", T0 + 100, "y")));
        loop.runPendingTasks();
        assertThat(frames(annChannel)).containsExactly("5");
        assertThat(frames(anonChannel)).containsExactly("5");
        assertThat(frames(viewer)).containsExactly("5");
        assertThat(meters.counter("danmaku.gateway.catchup.signals", "protocol", "unknown").count()).isZero();
    }
}
