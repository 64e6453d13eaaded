package io.danmaku.protocol.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.RoomPattern;
import io.danmaku.protocol.store.ControlListener;
import io.danmaku.protocol.store.ControlMessage;
import io.danmaku.protocol.store.DisconnectRequest;
import io.danmaku.protocol.store.JoinLeaveEvent;
import io.danmaku.protocol.store.NodeInfo;
import io.danmaku.protocol.store.PresenceMember;
import io.danmaku.protocol.store.PresenceSnapshot;
import io.danmaku.protocol.store.RefreshRequest;
import io.danmaku.protocol.store.RoomPresence;
import io.danmaku.protocol.store.SubscribeRequest;
import io.danmaku.protocol.store.UnsubscribeRequest;
import io.danmaku.protocol.store.HistoryPage;
import io.danmaku.protocol.store.HistoryQuery;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.store.OnceClaim;
import io.danmaku.protocol.store.RateDecision;
import io.danmaku.protocol.store.RateLimit;
import io.danmaku.protocol.store.Restriction;
import io.danmaku.protocol.store.RestrictionChange;
import io.danmaku.protocol.store.RestrictionKey;
import io.danmaku.protocol.store.RestrictionListener;
import io.danmaku.protocol.store.StoreSubscription;
import io.danmaku.protocol.store.TokenLease;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link HotStore} must do. Subclasses return a fresh store per test (closed after it), a second client
 * of the same backend (to show that changes reach other clients) and the per-room history capacity the stores
 * were built with. Names are unique per test, so a shared store works too. The
 * few expiry cases use short real durations and wait for the effect (a real store cannot fake time); exact
 * timing is left to implementation tests with an injected clock.
 */
public abstract class HotStoreContract {
    protected static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** Short enough to keep the suite fast, long enough that the first read still sees the entry. */
    protected static final Duration SHORT_TTL = Duration.ofMillis(300);
    protected static final Duration LONG_TTL = Duration.ofMinutes(5);
    protected static final String EPOCH = "epoch-1";

    protected HotStore store;
    private HotStore other;

    protected abstract HotStore newStore();

    /**
     * Another client of the backend {@link #newStore()} just used, as a second logic instance would have: for a
     * store without a backend of its own (memory), {@link #store} itself. Closed after the test when it is not
     * {@link #store}.
     */
    protected abstract HotStore newStoreOnSameBackend();

    /** The history capacity per room of the stores {@link #newStore()} returns (small keeps the trim test fast). */
    protected abstract int historyCapacity();

    @BeforeEach
    void openStore() {
        store = newStore();
    }

    @AfterEach
    void closeStore() {
        if (other != null && other != store) {
            other.close();
        }
        if (store != null) {
            store.close();
        }
    }

    /** The test's second client, opened on first use. */
    protected HotStore otherClient() {
        if (other == null) {
            other = newStoreOnSameBackend();
        }
        return other;
    }

    // ---------------------------------------------------------------- history

    @Test
    void aRoomWithoutHistoryGivesAnEmptyPage() {
        HistoryPage page = get(store.history(HistoryQuery.after(name("room"), -1, 10)));
        assertThat(page.epoch()).isEmpty();
        assertThat(page.topOffset()).isZero();
        assertThat(page.floorOffset()).isZero();
        assertThat(page.records()).isEmpty();
        assertThat(get(store.history(HistoryQuery.latest(name("room"), 10))).records()).isEmpty();
    }

    @Test
    void forwardReadsGiveRecordsAfterTheOffsetOldestFirst() {
        String room = name("room");
        append(room, EPOCH, 10, 20, 30, 40, 50);

        HistoryPage all = get(store.history(HistoryQuery.after(room, -1, 100)));
        assertThat(offsets(all)).containsExactly(10L, 20L, 30L, 40L, 50L);
        assertThat(all.epoch()).isEqualTo(EPOCH);
        assertThat(all.topOffset()).isEqualTo(50);
        assertThat(all.floorOffset()).isZero();
        assertThat(all.records()).allSatisfy(r -> {
            assertThat(r.room()).isEqualTo(room);
            assertThat(r.epoch()).isEqualTo(EPOCH);
            assertThat(r.payloadText()).isEqualTo(payload(r.offset()));
            assertThat(r.timeMillis()).isEqualTo(time(r.offset()));
        });

        assertThat(offsets(get(store.history(HistoryQuery.after(room, 20, 100))))).containsExactly(30L, 40L, 50L);
        assertThat(offsets(get(store.history(HistoryQuery.after(room, 25, 2))))).containsExactly(30L, 40L);
        assertThat(offsets(get(store.history(HistoryQuery.after(room, 50, 100))))).isEmpty();
        assertThat(offsets(get(store.history(HistoryQuery.after(room, 0, 1))))).containsExactly(10L);
    }

    @Test
    void reverseReadsGiveRecordsBeforeTheOffsetNewestFirst() {
        String room = name("room");
        append(room, EPOCH, 10, 20, 30, 40, 50);

        assertThat(offsets(get(store.history(HistoryQuery.latest(room, 3))))).containsExactly(50L, 40L, 30L);
        assertThat(offsets(get(store.history(HistoryQuery.latest(room, 100)))))
                .containsExactly(50L, 40L, 30L, 20L, 10L);
        assertThat(offsets(get(store.history(new HistoryQuery(room, 40, 2, true))))).containsExactly(30L, 20L);
        assertThat(offsets(get(store.history(new HistoryQuery(room, 10, 5, true))))).isEmpty();
        HistoryPage page = get(store.history(new HistoryQuery(room, 35, 100, true)));
        assertThat(offsets(page)).containsExactly(30L, 20L, 10L);
        assertThat(page.topOffset()).isEqualTo(50);
    }

    @Test
    void limitZeroGivesOnlyThePosition() {
        String room = name("room");
        append(room, EPOCH, 1, 2, 3);

        HistoryPage page = get(store.history(HistoryQuery.position(room)));
        assertThat(page.records()).isEmpty();
        assertThat(page.epoch()).isEqualTo(EPOCH);
        assertThat(page.topOffset()).isEqualTo(3);
        assertThat(page.floorOffset()).isZero();
        assertThat(get(store.history(new HistoryQuery(room, -1, 0, true))).records()).isEmpty();
    }

    @Test
    void replayingRecordsIsANoOp() {
        String room = name("room");
        append(room, EPOCH, 1, 2, 3, 4, 5);
        append(room, EPOCH, 1, 2, 3, 4, 5);
        append(room, EPOCH, 3, 4, 5, 6, 7);
        append(room, EPOCH, 6);

        HistoryPage page = get(store.history(HistoryQuery.after(room, -1, 100)));
        assertThat(offsets(page)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
        assertThat(page.topOffset()).isEqualTo(7);
    }

    @Test
    void anEmptyAppendChangesNothing() {
        String room = name("room");
        get(store.appendHistory(room, List.of()));
        assertThat(get(store.history(HistoryQuery.position(room))).epoch()).isEmpty();
    }

    @Test
    void aRecordOfAnotherEpochStartsTheRoomAnew() {
        String room = name("room");
        append(room, EPOCH, 100, 101, 102);
        append(room, "epoch-2", 1, 2);

        HistoryPage page = get(store.history(HistoryQuery.after(room, -1, 100)));
        assertThat(page.epoch()).isEqualTo("epoch-2");
        assertThat(offsets(page)).containsExactly(1L, 2L);
        assertThat(page.records()).allSatisfy(r -> assertThat(r.epoch()).isEqualTo("epoch-2"));
        assertThat(page.topOffset()).isEqualTo(2);
        assertThat(page.floorOffset()).isZero();
        assertThat(page.covers(0, "epoch-2")).isTrue();
        assertThat(page.covers(100, EPOCH)).isFalse();
    }

    @Test
    void historyIsCappedAndTheFloorIsTheNewestTrimmedOffset() {
        String room = name("room");
        int capacity = historyCapacity();
        long total = capacity + 3;
        long[] firstHalf = LongStream.rangeClosed(1, total / 2).toArray();
        long[] secondHalf = LongStream.rangeClosed(total / 2 + 1, total).toArray();
        append(room, EPOCH, firstHalf);
        append(room, EPOCH, secondHalf);

        HistoryPage page = get(store.history(HistoryQuery.after(room, -1, Math.min(HistoryQuery.MAX_LIMIT,
                capacity + 10))));
        assertThat(page.records()).hasSize(Math.min(capacity, HistoryQuery.MAX_LIMIT));
        assertThat(page.records().get(0).offset()).isEqualTo(4);
        assertThat(page.topOffset()).isEqualTo(total);
        assertThat(page.floorOffset()).isEqualTo(3);
        assertThat(page.covers(3, EPOCH)).isTrue();
        assertThat(page.covers(2, EPOCH)).isFalse();

        append(room, EPOCH, total + 1);
        HistoryPage after = get(store.history(HistoryQuery.latest(room, 1)));
        assertThat(after.floorOffset()).isEqualTo(4);
        assertThat(offsets(after)).containsExactly(total + 1);
    }

    @Test
    void appendingARecordOfAnotherRoomFails() {
        String room = name("room");
        RoomRecord foreign = record(name("other"), EPOCH, 1);
        assertThat(store.appendHistory(room, List.of(foreign))).failsWithin(TIMEOUT)
                .withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(IllegalArgumentException.class);
        assertThat(get(store.history(HistoryQuery.position(room))).topOffset()).isZero();
    }

    // ---------------------------------------------------------------- online counts

    @Test
    void onlineSumsTheGatewaysAndZeroRemovesAnEntry() {
        String room = name("room");
        String other = name("room");
        String gw1 = name("gw");
        String gw2 = name("gw");
        assertThat(get(store.online(room))).isZero();

        get(store.reportOnline(gw1, Map.of(room, 3, other, 1), LONG_TTL));
        get(store.reportOnline(gw2, Map.of(room, 4), LONG_TTL));
        assertThat(get(store.online(room))).isEqualTo(7);
        assertThat(get(store.online(other))).isEqualTo(1);

        get(store.reportOnline(gw1, Map.of(room, 5), LONG_TTL));
        assertThat(get(store.online(room))).isEqualTo(9);

        get(store.reportOnline(gw1, Map.of(room, 0), LONG_TTL));
        assertThat(get(store.online(room))).isEqualTo(4);
        get(store.reportOnline(gw2, Map.of(room, 0), LONG_TTL));
        assertThat(get(store.online(room))).isZero();
    }

    @Test
    void aGatewayThatStopsReportingIsForgotten() {
        String room = name("room");
        get(store.reportOnline(name("gw"), Map.of(room, 2), SHORT_TTL));
        get(store.reportOnline(name("gw"), Map.of(room, 5), LONG_TTL));

        await().atMost(TIMEOUT).until(() -> get(store.online(room)) == 5);
    }

    // ---------------------------------------------------------------- bans and mutes

    @Test
    void aBanAppliesEverywhereAndWinsOverAMute() {
        String room = name("room");
        String elsewhere = name("room");
        String user = name("user");
        assertThat(get(store.restriction(room, user))).isEqualTo(Restriction.NONE);

        get(store.mute(room, user, LONG_TTL));
        assertThat(get(store.restriction(room, user))).isEqualTo(Restriction.MUTED);
        assertThat(get(store.restriction(elsewhere, user))).isEqualTo(Restriction.NONE);
        assertThat(get(store.restriction(room, name("user")))).isEqualTo(Restriction.NONE);

        get(store.ban(user, LONG_TTL));
        assertThat(get(store.restriction(room, user))).isEqualTo(Restriction.BANNED);
        assertThat(get(store.restriction(elsewhere, user))).isEqualTo(Restriction.BANNED);

        get(store.unban(user));
        assertThat(get(store.restriction(room, user))).isEqualTo(Restriction.MUTED);
        get(store.unmute(room, user));
        assertThat(get(store.restriction(room, user))).isEqualTo(Restriction.NONE);
        get(store.unmute(room, user));
        get(store.unban(user));
    }

    @Test
    void bansAndMutesExpire() {
        String room = name("room");
        String banned = name("user");
        String muted = name("user");
        get(store.ban(banned, SHORT_TTL));
        get(store.mute(room, muted, SHORT_TTL));

        await().atMost(TIMEOUT).until(() -> get(store.restriction(room, banned)) == Restriction.NONE
                && get(store.restriction(room, muted)) == Restriction.NONE);
    }

    @Test
    void restrictionsAnswerABatchInOrderWithABanWinningOverAMute() {
        String room = name("room");
        String elsewhere = name("room");
        String free = name("user");
        String muted = name("user");
        String banned = name("user");
        String both = name("user");
        get(store.mute(room, muted, LONG_TTL));
        get(store.mute(room, both, LONG_TTL));
        get(store.ban(both, LONG_TTL));
        get(store.ban(banned, LONG_TTL));

        List<RestrictionKey> keys = List.of(new RestrictionKey(room, free), new RestrictionKey(room, muted),
                new RestrictionKey(elsewhere, muted), new RestrictionKey(room, both), new RestrictionKey(elsewhere,
                        banned), new RestrictionKey(room, muted), new RestrictionKey(room, banned),
                new RestrictionKey(elsewhere, free));
        assertThat(get(store.restrictions(keys))).containsExactly(Restriction.NONE, Restriction.MUTED,
                Restriction.NONE, Restriction.BANNED, Restriction.BANNED, Restriction.MUTED, Restriction.BANNED,
                Restriction.NONE);
        assertThat(get(store.restrictions(List.of()))).isEmpty();
    }

    @Test
    void restrictionsAnswerALargeBatchOfOneRoom() {
        String room = name("room");
        List<RestrictionKey> keys = IntStream.range(0, 2_500)
                .mapToObj(i -> new RestrictionKey(room, "ct-many-" + i)).toList();
        get(CompletableFuture.allOf(IntStream.range(0, keys.size()).filter(i -> i % 7 == 0)
                .mapToObj(i -> store.mute(room, keys.get(i).userId(), LONG_TTL)).toArray(CompletableFuture[]::new)));
        get(store.ban("ct-many-" + 1_001, LONG_TTL));
        try {
            List<Restriction> answers = get(store.restrictions(keys));
            assertThat(answers).hasSize(keys.size());
            for (int i = 0; i < keys.size(); i++) {
                Restriction expected = i == 1_001 ? Restriction.BANNED
                        : i % 7 == 0 ? Restriction.MUTED : Restriction.NONE;
                assertThat(answers.get(i)).as("key %d", i).isEqualTo(expected);
            }
        } finally {
            get(store.unban("ct-many-" + 1_001));
        }
    }

    @Test
    void restrictionsSeeBansAndMutesExpire() {
        String room = name("room");
        String banned = name("user");
        String muted = name("user");
        List<RestrictionKey> keys = List.of(new RestrictionKey(room, banned), new RestrictionKey(room, muted));
        get(store.ban(banned, SHORT_TTL));
        get(store.mute(room, muted, SHORT_TTL));

        await().atMost(TIMEOUT).until(() -> get(store.restrictions(keys)),
                answers -> answers.equals(List.of(Restriction.NONE, Restriction.NONE)));
    }

    // ---------------------------------------------------------------- restriction changes

    @Test
    void restrictionChangesReachASubscriberOfAnotherClient() {
        String room = name("room");
        // Any character in a user id: the change still names exactly this user.
        String banned = name("user") + "\n{x} 弹幕:";
        String muted = name("user");
        RecordingListener listener = new RecordingListener();
        try (StoreSubscription subscription = otherClient().subscribeRestrictions(listener)) {
            await().atMost(TIMEOUT).until(() -> listener.resets.get() >= 1);

            get(store.ban(banned, LONG_TTL));
            get(store.mute(room, muted, LONG_TTL));
            get(store.unmute(room, muted));
            get(store.unban(banned));

            await().atMost(TIMEOUT).untilAsserted(() -> assertThat(listener.changesOf(banned, muted)).containsExactly(
                    RestrictionChange.ofUser(banned), RestrictionChange.ofRoom(room, muted),
                    RestrictionChange.ofRoom(room, muted), RestrictionChange.ofUser(banned)));
        }
    }

    @Test
    void aClosedSubscriptionGetsNoMoreChanges() {
        String user = name("user");
        RecordingListener closed = new RecordingListener();
        RecordingListener open = new RecordingListener();
        StoreSubscription first = otherClient().subscribeRestrictions(closed);
        try (StoreSubscription second = otherClient().subscribeRestrictions(open)) {
            await().atMost(TIMEOUT).until(() -> closed.resets.get() >= 1 && open.resets.get() >= 1);
            first.close();

            get(store.ban(user, LONG_TTL));

            // Both hear a change at the same moment: once the open one has it, the closed one would have too.
            await().atMost(TIMEOUT).until(() -> !open.changesOf(user).isEmpty());
            assertThat(closed.changesOf(user)).isEmpty();
        }
    }

    // ---------------------------------------------------------------- control messages

    @Test
    void controlMessagesOfEveryKindReachEverySubscriberOfEveryClient() {
        String user = name("user") + "\n{x} 弹幕:"; // any character in a user id
        String other = name("user");
        String room = name("room") + "#" + "alice,bob";
        ControlRecorder here = new ControlRecorder();
        ControlRecorder there = new ControlRecorder();
        try (StoreSubscription a = store.subscribeControl(here);
             StoreSubscription b = otherClient().subscribeControl(there)) {
            await().atMost(TIMEOUT).until(() -> here.subscribed.get() >= 1 && there.subscribed.get() >= 1);

            List<ControlMessage> sent = List.of(DisconnectRequest.user(user),
                    new DisconnectRequest(other, "client-7", 4501, "bye \"now\""),
                    new SubscribeRequest(user, null, room),
                    new UnsubscribeRequest(other, "client-8", room),
                    new RefreshRequest(user, null, false, 1_900_000_000L),
                    new RefreshRequest(other, "client-9", true, 0),
                    new JoinLeaveEvent(room, true, user, "client-10", "{\"name\":\"A \\\"弹幕\\\"\"}"),
                    new JoinLeaveEvent(room, false, other, "client-11", null));
            for (int i = 0; i < sent.size(); i++) {
                get((i % 2 == 0 ? store : otherClient()).publishControl(sent.get(i)));
            }

            await().atMost(TIMEOUT).untilAsserted(() -> {
                assertThat(here.of(user, other)).containsExactlyElementsOf(sent);
                assertThat(there.of(user, other)).containsExactlyElementsOf(sent);
            });
        }
    }

    @Test
    void aClosedControlSubscriptionGetsNothingMore() {
        String user = name("user");
        ControlRecorder closed = new ControlRecorder();
        ControlRecorder open = new ControlRecorder();
        StoreSubscription first = otherClient().subscribeControl(closed);
        try (StoreSubscription second = otherClient().subscribeControl(open)) {
            await().atMost(TIMEOUT).until(() -> closed.subscribed.get() >= 1 && open.subscribed.get() >= 1);
            first.close();

            get(store.publishControl(DisconnectRequest.user(user)));

            // Both hear a message at the same moment: once the open one has it, the closed one would have too.
            await().atMost(TIMEOUT).until(() -> !open.of(user).isEmpty());
            assertThat(closed.of(user)).isEmpty();
        }
    }

    // ---------------------------------------------------------------- presence, channels, nodes

    @Test
    void presenceListsTheMembersOfEveryLiveGatewayAndSumsTheirCounts() {
        String room = name("room");
        String gw1 = name("gw");
        String gw2 = name("gw");
        assertThat(get(store.presence(room))).isEqualTo(PresenceSnapshot.EMPTY);
        PresenceMember a1 = new PresenceMember("c-1", "alice", "{\"name\":\"Alice\"}");
        PresenceMember a2 = new PresenceMember("c-2", "alice", null);
        PresenceMember b = new PresenceMember("c-3", "bob 弹幕\n", null);

        get(store.reportOnline(gw1, Map.of(room, 2), LONG_TTL));
        get(store.reportOnline(gw2, Map.of(room, 1), LONG_TTL));
        get(store.reportPresence(gw1, Map.of(room, new RoomPresence(2, 1, List.of(a1, a2))), LONG_TTL));
        get(store.reportPresence(gw2, Map.of(room, new RoomPresence(1, 1, List.of(b))), LONG_TTL));

        PresenceSnapshot p = get(store.presence(room));
        assertThat(p.clients()).isEqualTo(3);
        assertThat(p.users()).isEqualTo(2);
        assertThat(p.complete()).isTrue();
        assertThat(p.members()).containsExactlyInAnyOrder(a1, a2, b);

        // a gateway that stops listing (above the cap) keeps its counts in the sums; the list is incomplete
        get(store.reportOnline(gw2, Map.of(room, 5), LONG_TTL));
        get(store.reportPresence(gw2, Map.of(room, new RoomPresence(5, 4, null)), LONG_TTL));
        p = get(store.presence(room));
        assertThat(p.clients()).isEqualTo(7);
        assertThat(p.users()).isEqualTo(5);
        assertThat(p.complete()).isFalse();
        assertThat(p.members()).containsExactlyInAnyOrder(a1, a2);

        // a gateway whose online count is gone no longer counts, whatever its presence entry says
        get(store.reportOnline(gw2, Map.of(room, 0), LONG_TTL));
        p = get(store.presence(room));
        assertThat(p.clients()).isEqualTo(2);
        assertThat(p.complete()).isTrue();
        assertThat(p.members()).containsExactlyInAnyOrder(a1, a2);

        // zero clients removes the entry: the live gateway is then counted but not listed
        get(store.reportPresence(gw1, Map.of(room, RoomPresence.EMPTY), LONG_TTL));
        p = get(store.presence(room));
        assertThat(p.clients()).isEqualTo(2);
        assertThat(p.users()).isEqualTo(2);
        assertThat(p.complete()).isFalse();
        assertThat(p.members()).isEmpty();
    }

    @Test
    void anExpiredPresenceEntryIsNotListed() {
        String room = name("room");
        String gw = name("gw");
        get(store.reportOnline(gw, Map.of(room, 1), LONG_TTL));
        get(store.reportPresence(gw, Map.of(room, new RoomPresence(1, 1, List.of(new PresenceMember("c", "u", null)))),
                SHORT_TTL));

        await().atMost(TIMEOUT).until(() -> !get(store.presence(room)).complete());
        assertThat(get(store.presence(room)).members()).isEmpty();
    }

    @Test
    void channelsListsLiveRoomsMatchingThePatternUpToTheLimitPlusOne() {
        String prefix = name("ch").replace("-", "_");
        String a = prefix + ":a";
        String b = prefix + ":b#alice";
        String c = prefix + "-c";
        get(store.reportOnline(name("gw"), Map.of(a, 2, b, 1, c, 4), LONG_TTL));
        get(store.reportOnline(name("gw"), Map.of(a, 3), LONG_TTL));

        assertThat(get(store.channels(new RoomPattern(prefix + ":*"), 10))).isEqualTo(Map.of(a, 5L, b, 1L));
        assertThat(get(store.channels(new RoomPattern(prefix + "*"), 10))).isEqualTo(Map.of(a, 5L, b, 1L, c, 4L));
        assertThat(get(store.channels(new RoomPattern("*#alice"), 1000))).containsEntry(b, 1L);
        assertThat(get(store.channels(new RoomPattern(prefix + "*"), 1))).hasSize(2);
        assertThat(get(store.channels(new RoomPattern(prefix + "x*"), 10))).isEmpty();
    }

    @Test
    void removeHistoryDropsTheRecordsAndKeepsThePosition() {
        String room = name("room");
        append(room, EPOCH, 1, 2, 3);

        get(store.removeHistory(room));
        HistoryPage page = get(store.history(HistoryQuery.after(room, 0, 10)));
        assertThat(page.records()).isEmpty();
        assertThat(page.epoch()).isEqualTo(EPOCH);
        assertThat(page.topOffset()).isEqualTo(3);
        assertThat(page.covers(3, EPOCH)).isTrue();
        assertThat(page.covers(2, EPOCH)).isFalse();

        append(room, EPOCH, 2, 3, 4); // a replay of removed records stays a no-op
        assertThat(offsets(get(store.history(HistoryQuery.after(room, 0, 10))))).containsExactly(4L);
        get(store.removeHistory(name("room"))); // a room without history: nothing to do
    }

    @Test
    void retractRemovesTheNamedRecordsAndKeepsThePosition() {
        String room = name("room");
        append(room, EPOCH, 1, 2, 3, 4);

        assertThat(get(store.retract(room, List.of("m2", "m4", "m9")))).as("m9 was never stored").isEqualTo(2);
        HistoryPage page = get(store.history(HistoryQuery.after(room, 0, 10)));
        assertThat(offsets(page)).containsExactly(1L, 3L);
        assertThat(page.topOffset()).as("the top stays where it was").isEqualTo(4);
        assertThat(page.covers(1, EPOCH)).as("recovery across a removed record is still complete").isTrue();
        assertThat(offsets(get(store.history(HistoryQuery.latest(room, 10))))).containsExactly(3L, 1L);
        assertThat(get(otherClient().history(HistoryQuery.after(room, 0, 10))).records()).hasSize(2);

        append(room, EPOCH, 2, 4, 5); // a replay of retracted records stays a no-op
        assertThat(offsets(get(store.history(HistoryQuery.after(room, 0, 10))))).containsExactly(1L, 3L, 5L);
        assertThat(get(store.retract(room, List.of("m2")))).as("retracting again").isZero();
        assertThat(get(store.retract(name("room"), List.of("m1")))).as("a room without history").isZero();
        assertThat(get(store.retract(room, List.of()))).as("no ids").isZero();
        assertThat(offsets(get(store.history(HistoryQuery.after(room, 0, 10))))).containsExactly(1L, 3L, 5L);
    }

    @Test
    void aStreamStartIsSharedReplacedAndOutlivesRemovedHistory() {
        String room = name("room");
        assertThat(get(store.streamStart(room))).isEmpty();

        get(store.setStreamStart(room, 1_700_000_000_000L));
        assertThat(get(otherClient().streamStart(room))).hasValue(1_700_000_000_000L);
        get(otherClient().setStreamStart(room, 1_700_000_360_000L));
        assertThat(get(store.streamStart(room))).hasValue(1_700_000_360_000L);

        append(room, EPOCH, 1, 2);
        get(store.removeHistory(room));
        assertThat(get(store.streamStart(room))).hasValue(1_700_000_360_000L);
        assertThat(get(store.streamStart(name("room")))).as("another room").isEmpty();
    }

    @Test
    void aNegativeStreamStartOrABadRoomIsRefused() {
        String room = name("room");
        assertThat(store.setStreamStart(room, -1)).failsWithin(TIMEOUT)
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(IllegalArgumentException.class)
                .withMessageContaining("startMillis");
        assertThat(store.streamStart("bad room")).failsWithin(TIMEOUT)
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(IllegalArgumentException.class);
        assertThat(get(store.streamStart(room))).isEmpty();
    }

    @Test
    void nodesAreListedUntilTheirReportExpires() {
        NodeInfo gw = new NodeInfo(name("node"), "gateway", "0.1.0", 1_700_000_000_000L, 10, 7, 3);
        NodeInfo logic = new NodeInfo(name("node"), "logic", "0.1.0", 1_700_000_000_001L, 0, 0, 0);
        get(store.reportNode(gw, LONG_TTL));
        get(otherClient().reportNode(logic, SHORT_TTL));

        assertThat(get(store.nodes())).contains(gw);
        await().atMost(TIMEOUT).until(() -> !get(store.nodes()).contains(logic));
        NodeInfo again = new NodeInfo(gw.id(), "gateway", "0.1.0", gw.startedAtMillis(), 11, 8, 4);
        get(store.reportNode(again, LONG_TTL));
        assertThat(get(store.nodes())).contains(again).doesNotContain(gw);
    }

    // ---------------------------------------------------------------- rate limits

    @Test
    void aBucketAllowsItsBurstThenRefusesWithATimeToWait() {
        String key = name("rate");
        RateLimit limit = new RateLimit(3, 0.5);
        for (int i = 0; i < 3; i++) {
            assertThat(get(store.acquire(key, limit)).allowed()).as("token %d", i).isTrue();
        }
        RateDecision refused = get(store.acquire(key, limit));
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(2));

        assertThat(get(store.acquire(name("rate"), limit)).allowed()).as("another key").isTrue();
    }

    @Test
    void aBucketRefillsOverTime() {
        String key = name("rate");
        RateLimit limit = new RateLimit(1, 2);
        assertThat(get(store.acquire(key, limit)).allowed()).isTrue();
        assertThat(get(store.acquire(key, limit)).allowed()).isFalse();

        await().atMost(TIMEOUT).until(() -> get(store.acquire(key, limit)).allowed());
    }

    @Test
    void aLeaseGrantsWhatTheBucketHoldsUpToWhatIsWantedThenNoneWithATimeToWait() {
        String key = name("rate");
        RateLimit limit = new RateLimit(5, 0.5);
        assertThat(get(store.lease(key, limit, 3))).isEqualTo(new TokenLease(3, Duration.ZERO));
        assertThat(get(store.lease(key, limit, 3))).as("partly").isEqualTo(new TokenLease(2, Duration.ZERO));
        TokenLease none = get(store.lease(key, limit, 3));
        assertThat(none.granted()).isZero();
        assertThat(none.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(2));

        assertThat(get(store.lease(name("rate"), limit, 100)).granted()).as("a new bucket, up to its burst")
                .isEqualTo(5);
    }

    @Test
    void leasesAndAcquisitionsShareOneBucket() {
        String key = name("rate");
        RateLimit limit = new RateLimit(4, 0.5);
        assertThat(get(store.acquire(key, limit)).allowed()).isTrue();
        assertThat(get(store.lease(key, limit, 10)).granted()).isEqualTo(3);
        assertThat(get(store.acquire(key, limit)).allowed()).isFalse();
        assertThat(get(store.lease(key, limit, 1)).granted()).isZero();
    }

    @Test
    void leasedTokensRefillUpToTheBurst() {
        String key = name("rate");
        RateLimit limit = new RateLimit(2, 20);
        assertThat(get(store.lease(key, limit, 2)).granted()).isEqualTo(2);
        assertThat(get(store.lease(key, limit, 2)).granted()).isZero();

        // 20 tokens per second refill the bucket in 100 ms; after 300 ms it holds its burst, no more.
        await().pollDelay(Duration.ofMillis(300)).atMost(TIMEOUT).until(() -> true);
        assertThat(get(store.lease(key, limit, 10)).granted()).isEqualTo(2);
    }

    @Test
    void aLeaseOfNoTokenFails() {
        assertThat(store.lease(name("rate"), new RateLimit(1, 1), 0)).failsWithin(TIMEOUT)
                .withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- dedupe

    @Test
    void markOnceIsTrueOnlyTheFirstTime() {
        String key = name("once");
        assertThat(get(store.markOnce(key, LONG_TTL))).isTrue();
        assertThat(get(store.markOnce(key, LONG_TTL))).isFalse();
        assertThat(get(store.markOnce(key, LONG_TTL))).isFalse();
        assertThat(get(store.markOnce(name("once"), LONG_TTL))).isTrue();
    }

    @Test
    void markOnceIsTrueAgainAfterItsTtl() {
        String key = name("once");
        assertThat(get(store.markOnce(key, SHORT_TTL))).isTrue();

        await().atMost(TIMEOUT).until(() -> get(store.markOnce(key, SHORT_TTL)));
    }

    @Test
    void unmarkMakesTheNextMarkOnceAFirstSightingAgain() {
        String key = name("once");
        assertThat(get(store.markOnce(key, LONG_TTL))).isTrue();
        get(store.unmark(key));
        assertThat(get(store.markOnce(key, LONG_TTL))).isTrue();
        assertThat(get(store.markOnce(key, LONG_TTL))).isFalse();
        get(store.unmark(name("absent")));
    }

    // ---------------------------------------------------------------- once-claims

    @Test
    void aOnceKeyIsClaimedOnceThenPendingThenAnswersItsResult() {
        String key = name("claim");
        byte[] result = "{\"offset\":7}".getBytes(StandardCharsets.UTF_8);
        assertThat(get(store.claimOnce(key, LONG_TTL)).state()).isEqualTo(OnceClaim.State.CLAIMED);
        assertThat(get(store.claimOnce(key, LONG_TTL)).state()).isEqualTo(OnceClaim.State.PENDING);
        assertThat(get(otherClient().claimOnce(key, LONG_TTL)).state()).isEqualTo(OnceClaim.State.PENDING);

        get(store.completeOnce(key, result, LONG_TTL));

        OnceClaim seen = get(otherClient().claimOnce(key, LONG_TTL));
        assertThat(seen.state()).isEqualTo(OnceClaim.State.DONE);
        assertThat(seen.result()).isEqualTo(result);
        assertThat(get(store.claimOnce(name("claim"), LONG_TTL)).state()).isEqualTo(OnceClaim.State.CLAIMED);
    }

    @Test
    void concurrentClaimsOfOneKeyHaveExactlyOneWinner() {
        String key = name("claim");
        List<CompletableFuture<OnceClaim>> claims = IntStream.range(0, 20)
                .mapToObj(i -> (i % 2 == 0 ? store : otherClient()).claimOnce(key, LONG_TTL)).toList();
        List<OnceClaim.State> states = claims.stream().map(c -> get(c).state()).toList();
        assertThat(states).filteredOn(s -> s == OnceClaim.State.CLAIMED).hasSize(1);
        assertThat(states).filteredOn(s -> s == OnceClaim.State.PENDING).hasSize(19);
    }

    @Test
    void aReleasedClaimCanBeClaimedAgain() {
        String key = name("claim");
        assertThat(get(store.claimOnce(key, LONG_TTL)).state()).isEqualTo(OnceClaim.State.CLAIMED);
        get(store.releaseOnce(key));
        assertThat(get(otherClient().claimOnce(key, LONG_TTL)).state()).isEqualTo(OnceClaim.State.CLAIMED);
        get(store.releaseOnce(name("absent")));
    }

    @Test
    void anEmptyResultIsAResultToo() {
        String key = name("claim");
        get(store.claimOnce(key, LONG_TTL));
        get(store.completeOnce(key, new byte[0], LONG_TTL));
        OnceClaim seen = get(store.claimOnce(key, LONG_TTL));
        assertThat(seen.state()).isEqualTo(OnceClaim.State.DONE);
        assertThat(seen.result()).isEmpty();
    }

    @Test
    void onceClaimsAndResultsExpire() {
        String pending = name("claim");
        String done = name("claim");
        get(store.claimOnce(pending, SHORT_TTL));
        get(store.claimOnce(done, LONG_TTL));
        get(store.completeOnce(done, new byte[] {1}, SHORT_TTL));

        await().atMost(TIMEOUT).until(() -> get(store.claimOnce(pending, LONG_TTL)).state() == OnceClaim.State.CLAIMED);
        await().atMost(TIMEOUT).until(() -> get(store.claimOnce(done, LONG_TTL)).state() == OnceClaim.State.CLAIMED);
    }

    // ---------------------------------------------------------------- helpers

    /** Records what a subscription delivers; called on store threads. */
    public static final class RecordingListener implements RestrictionListener {
        public final AtomicInteger resets = new AtomicInteger();
        private final List<RestrictionChange> changes = new CopyOnWriteArrayList<>();

        @Override
        public void changed(RestrictionChange change) {
            changes.add(change);
        }

        @Override
        public void reset() {
            resets.incrementAndGet();
        }

        /** The changes of these users, in order of delivery (other tests may change other users meanwhile). */
        public List<RestrictionChange> changesOf(String... users) {
            List<String> wanted = List.of(users);
            return changes.stream().filter(c -> wanted.contains(c.userId())).toList();
        }
    }

    /** Records the control messages a subscription delivers; called on store threads. */
    public static final class ControlRecorder implements ControlListener {
        public final AtomicInteger subscribed = new AtomicInteger();
        private final List<ControlMessage> requests = new CopyOnWriteArrayList<>();

        @Override
        public void control(ControlMessage message) {
            requests.add(message);
        }

        @Override
        public void subscribed() {
            subscribed.incrementAndGet();
        }

        /** The messages for these users, in order of delivery. */
        public List<ControlMessage> of(String... users) {
            List<String> wanted = List.of(users);
            return requests.stream().filter(r -> wanted.contains(r.userId())).toList();
        }
    }

    protected static String name(String tag) {
        return "ct-" + tag + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    protected static <T> T get(CompletableFuture<T> future) {
        try {
            return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("store call failed", e.getCause());
        } catch (Exception e) {
            throw new AssertionError("store call did not complete", e);
        }
    }

    protected static RoomRecord record(String room, String epoch, long offset) {
        return new RoomRecord(room, offset, epoch, time(offset), payload(offset).getBytes(StandardCharsets.UTF_8));
    }

    protected void append(String room, String epoch, long... offsets) {
        get(store.appendHistory(room, LongStream.of(offsets).mapToObj(o -> record(room, epoch, o)).toList()));
    }

    protected static List<Long> offsets(HistoryPage page) {
        return page.records().stream().map(RoomRecord::offset).toList();
    }

    private static String payload(long offset) {
        return "{\"id\":\"m" + offset + "\",\"text\":\"弹幕 " + offset + "\"}";
    }

    private static long time(long offset) {
        return 1_700_000_000_000L + offset;
    }
}
