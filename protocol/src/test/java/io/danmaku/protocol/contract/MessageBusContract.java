package io.danmaku.protocol.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.bus.BusListener;
import io.danmaku.protocol.bus.BusMessage;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.bus.BusSubscription;
import io.danmaku.protocol.bus.BusUnavailableException;
import io.danmaku.protocol.bus.GroupListener;
import io.danmaku.protocol.bus.MessageBus;
import io.danmaku.protocol.trace.TraceId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link MessageBus} must do. Subclasses return a fresh bus per test; it is closed after the test.
 *
 * <p>The cases hold on a shared broker too: rooms and groups have unique random names, records of other
 * rooms are ignored, offsets are compared with the positions publish returned (increasing, not necessarily
 * contiguous, not starting at any particular number), and "nothing more arrived" is checked by publishing a
 * final marker record and waiting for it, never by sleeping.
 */
public abstract class MessageBusContract {
    /** Generous: the same cases run against a real broker on a busy CI machine. */
    protected static final Duration TIMEOUT = Duration.ofSeconds(60);

    protected MessageBus bus;

    protected abstract MessageBus newBus();

    @BeforeEach
    void openBus() {
        bus = newBus();
    }

    @AfterEach
    void closeBus() {
        if (bus != null) {
            bus.close();
        }
    }

    @Test
    void publishReturnsAscendingPositionsPerRoomWithTheBusEpoch() throws Exception {
        String a = room("pos-a");
        String b = room("pos-b");

        List<BusPosition> first = publish(msg(a, "a1"), msg(b, "b1"), msg(a, "a2"));
        List<BusPosition> second = publish(msg(a, "a3"));

        assertThat(first).extracting(BusPosition::room).containsExactly(a, b, a);
        assertThat(first.get(0).offset()).isLessThan(first.get(2).offset());
        assertThat(first.get(2).offset()).isLessThan(second.get(0).offset());
        assertThat(first.get(0).epoch()).isEqualTo(bus.epoch(a));
        assertThat(first.get(1).epoch()).isEqualTo(bus.epoch(b));
        assertThat(second.get(0).epoch()).isEqualTo(bus.epoch(a));
    }

    @Test
    void publishingAnEmptyBatchGivesNoPositions() throws Exception {
        assertThat(bus.publish(List.of()).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isEmpty();
    }

    @Test
    void singleMessagePublishGivesItsPosition() throws Exception {
        String r = room("single");
        BusPosition p = bus.publish(msg(r, "one")).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(p.room()).isEqualTo(r);
        assertThat(p.epoch()).isEqualTo(bus.epoch(r));
        assertThat(p.offset()).isNotNegative();
    }

    @Test
    void theFirstMessageOfAFreshStreamIsAtAPositionAboveZero() throws Exception {
        // 0 means "nothing seen yet" to the hot store and to clients: a record there would never be delivered
        String r = room("first");
        Collector seen = new Collector(r);
        bus.subscribeAll(seen);
        BusPosition p = bus.publish(msg(r, "first")).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(p.offset()).isPositive();
        await().atMost(TIMEOUT).until(() -> seen.records().size() == 1);
        assertThat(seen.records().get(0).offset()).isEqualTo(p.offset());
    }

    @Test
    void subscribeAllReceivesOnlyWhatWasPublishedAfterSubscribingInOrder() throws Exception {
        String r = room("after");
        publish(msg(r, "before"));
        Collector seen = new Collector(r);
        bus.subscribeAll(seen);

        List<BusMessage> sent = IntStream.range(0, 10).mapToObj(i -> msg(r, "after-" + i)).toList();
        List<BusPosition> positions = new ArrayList<>();
        for (BusMessage m : sent) {
            positions.addAll(publish(m));
        }

        await().atMost(TIMEOUT).until(() -> seen.records().size() >= sent.size());
        assertMatches(seen.records(), sent, positions);
    }

    @Test
    void batchOrderIsPreserved() throws Exception {
        String r = room("batch");
        Collector seen = new Collector(r);
        bus.subscribeAll(seen);

        List<BusMessage> sent = IntStream.range(0, 50).mapToObj(i -> msg(r, "m" + i)).toList();
        List<BusPosition> positions = publish(sent);

        assertThat(positions).extracting(BusPosition::offset).isSorted().doesNotHaveDuplicates();
        await().atMost(TIMEOUT).until(() -> seen.records().size() >= sent.size());
        assertMatches(seen.records(), sent, positions);
    }

    @Test
    void twoFanOutSubscribersBothReceiveEverything() throws Exception {
        String r = room("two");
        Collector one = new Collector(r);
        Collector two = new Collector(r);
        bus.subscribeAll(one);
        bus.subscribeAll(two);

        List<BusMessage> sent = IntStream.range(0, 20).mapToObj(i -> msg(r, "m" + i)).toList();
        List<BusPosition> positions = publish(sent.subList(0, 10));
        positions.addAll(publish(sent.subList(10, 20)));

        await().atMost(TIMEOUT).until(() -> one.records().size() >= 20 && two.records().size() >= 20);
        assertMatches(one.records(), sent, positions);
        assertMatches(two.records(), sent, positions);
    }

    @Test
    void manyInterleavedRoomsEachKeepTheirOrder() throws Exception {
        List<String> rooms = IntStream.range(0, 20).mapToObj(i -> room("many" + i)).toList();
        Collector seen = new Collector(rooms);
        bus.subscribeAll(seen);

        Map<String, List<BusMessage>> sentByRoom = new LinkedHashMap<>();
        Map<String, List<BusPosition>> positionsByRoom = new LinkedHashMap<>();
        for (int batch = 0; batch < 10; batch++) {
            List<BusMessage> messages = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                for (String r : rooms) {
                    messages.add(msg(r, r + "-" + batch + "-" + i));
                }
            }
            List<BusPosition> positions = publish(messages);
            for (int i = 0; i < messages.size(); i++) {
                BusMessage m = messages.get(i);
                sentByRoom.computeIfAbsent(m.room(), k -> new ArrayList<>()).add(m);
                positionsByRoom.computeIfAbsent(m.room(), k -> new ArrayList<>()).add(positions.get(i));
            }
        }

        await().atMost(TIMEOUT).until(() -> seen.records().size() >= 1000);
        Map<String, List<RoomRecord>> byRoom = seen.records().stream()
                .collect(Collectors.groupingBy(RoomRecord::room));
        for (String r : rooms) {
            assertMatches(byRoom.get(r), sentByRoom.get(r), positionsByRoom.get(r));
        }
    }

    @Test
    void groupSubscriberReceivesEveryRecordExactlyOnceWhenItsWritesSucceed() throws Exception {
        String r = room("group");
        List<BusMessage> sent = IntStream.range(0, 10).mapToObj(i -> msg(r, "m" + i)).toList();
        List<BusPosition> positions = publish(sent.subList(0, 5));
        GroupCollector group = new GroupCollector(r);
        bus.subscribeGroup(group("exactly-once"), group);
        positions.addAll(publish(sent.subList(5, 10)));

        await().atMost(TIMEOUT).until(() -> group.succeeded().size() >= 10);
        List<BusPosition> marker = publish(msg(r, "marker"));
        await().atMost(TIMEOUT).until(() -> offsets(group.succeeded()).contains(marker.get(0).offset()));

        List<RoomRecord> got = group.succeeded();
        assertMatches(got.subList(0, 10), sent, positions);
        assertThat(got).hasSize(11);
    }

    @Test
    void groupSubscribersGetTheTraceIdEachMessageWasPublishedWith() throws Exception {
        String r = room("trace");
        TraceId first = TraceId.random();
        TraceId third = TraceId.random();
        List<BusMessage> sent = List.of(
                new BusMessage(r, "traced".getBytes(StandardCharsets.UTF_8), first),
                msg(r, "untraced"),
                new BusMessage(r, "traced too".getBytes(StandardCharsets.UTF_8), third));
        GroupCollector group = new GroupCollector(r);
        bus.subscribeGroup(group("trace"), group);
        List<BusPosition> positions = publish(sent);

        await().atMost(TIMEOUT).until(() -> group.succeeded().size() >= 3);
        List<RoomRecord> got = group.succeeded();
        assertMatches(got, sent, positions);
        assertThat(got).extracting(RoomRecord::traceId).containsExactly(first, null, third);
    }

    @Test
    void aFailedWriteIsDeliveredAgainAndNothingIsLost() throws Exception {
        String r = room("redeliver");
        List<RoomRecord> failedBatch = new CopyOnWriteArrayList<>();
        AtomicBoolean failNext = new AtomicBoolean(true);
        GroupCollector group = new GroupCollector(r) {
            @Override
            protected boolean fail(List<RoomRecord> ours) {
                if (failNext.compareAndSet(true, false)) {
                    failedBatch.addAll(ours);
                    return true;
                }
                return false;
            }
        };
        bus.subscribeGroup(group("redeliver"), group);

        List<BusPosition> positions = publish(IntStream.range(0, 5).mapToObj(i -> msg(r, "early" + i)).toList());
        await().atMost(TIMEOUT).until(() -> !failedBatch.isEmpty());
        positions.addAll(publish(IntStream.range(0, 5).mapToObj(i -> msg(r, "late" + i)).toList()));

        Set<Long> expected = new HashSet<>(offsets(positions));
        await().atMost(TIMEOUT).until(() -> new HashSet<>(offsets(group.succeeded())).containsAll(expected));
        assertThat(offsets(group.succeeded())).containsAll(offsets(failedBatch));
        assertThat(new HashSet<>(offsets(group.succeeded()))).isEqualTo(expected);
        assertThat(group.succeeded()).extracting(RoomRecord::payloadText).contains("late0", "late4");
    }

    @Test
    void aNewMemberOfTheGroupResumesAfterTheCommittedPosition() throws Exception {
        String r = room("resume");
        String name = group("resume");
        GroupCollector first = new GroupCollector(r);
        BusSubscription firstSubscription = bus.subscribeGroup(name, first);
        List<Long> firstOffsets = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            long offset = publish(msg(r, "first" + i)).get(0).offset();
            firstOffsets.add(offset);
            await().atMost(TIMEOUT).until(() -> offsets(first.succeeded()).contains(offset));
        }
        firstSubscription.close();
        Set<Long> maybeUncommitted = new HashSet<>(offsets(first.lastBatch()));

        List<BusMessage> later = IntStream.range(0, 5).mapToObj(i -> msg(r, "second" + i)).toList();
        List<BusPosition> laterPositions = publish(later);
        GroupCollector second = new GroupCollector(r);
        bus.subscribeGroup(name, second);

        await().atMost(TIMEOUT).until(() -> offsets(second.succeeded()).containsAll(offsets(laterPositions)));
        long marker = publish(msg(r, "marker")).get(0).offset();
        await().atMost(TIMEOUT).until(() -> offsets(second.succeeded()).contains(marker));

        List<RoomRecord> fromFirstRound = second.succeeded().stream()
                .filter(rec -> firstOffsets.contains(rec.offset())).toList();
        assertThat(offsets(fromFirstRound)).allMatch(maybeUncommitted::contains);
        List<RoomRecord> fresh = second.succeeded().stream()
                .filter(rec -> !firstOffsets.contains(rec.offset())).toList();
        assertThat(fresh).hasSize(later.size() + 1);
        assertMatches(fresh.subList(0, later.size()), later, laterPositions);
    }

    @Test
    void closedSubscriptionReceivesNothingMore() throws Exception {
        String r = room("unsub");
        Collector closed = new Collector(r);
        Collector open = new Collector(r);
        BusSubscription s = bus.subscribeAll(closed);
        bus.subscribeAll(open);
        long before = publish(msg(r, "before")).get(0).offset();
        await().atMost(TIMEOUT).until(() -> offsets(closed.records()).contains(before));

        s.close();
        long after = publish(msg(r, "after")).get(0).offset();
        await().atMost(TIMEOUT).until(() -> offsets(open.records()).contains(after));

        assertThat(offsets(closed.records())).containsExactly(before);
    }

    @Test
    void publishAfterCloseFailsAsUnavailable() {
        bus.close();
        CompletableFuture<List<BusPosition>> f = bus.publish(List.of(msg(room("closed"), "late")));
        assertThat(f).failsWithin(TIMEOUT).withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(BusUnavailableException.class);
    }

    // ---------------------------------------------------------------- helpers

    /** A room name unique to this run: {@code ct-<tag>-<random>}. */
    protected static String room(String tag) {
        return "ct-" + tag + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    protected static String group(String tag) {
        return "ct-group-" + tag + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    protected static BusMessage msg(String room, String text) {
        return new BusMessage(room, text.getBytes(StandardCharsets.UTF_8));
    }

    protected List<BusPosition> publish(BusMessage... messages) throws Exception {
        return publish(List.of(messages));
    }

    protected List<BusPosition> publish(List<BusMessage> messages) throws Exception {
        List<BusPosition> positions = bus.publish(messages).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(positions).hasSameSizeAs(messages);
        return new ArrayList<>(positions);
    }

    protected static List<Long> offsets(Collection<?> recordsOrPositions) {
        return recordsOrPositions.stream()
                .map(o -> o instanceof RoomRecord rec ? rec.offset() : ((BusPosition) o).offset())
                .toList();
    }

    /** The records are exactly the sent messages, in order, at the published positions. */
    protected void assertMatches(List<RoomRecord> records, List<BusMessage> sent, List<BusPosition> positions) {
        assertThat(records).hasSameSizeAs(sent);
        for (int i = 0; i < sent.size(); i++) {
            RoomRecord rec = records.get(i);
            assertThat(rec.room()).isEqualTo(sent.get(i).room());
            assertThat(rec.payloadText()).isEqualTo(new String(sent.get(i).payload(), StandardCharsets.UTF_8));
            assertThat(rec.offset()).isEqualTo(positions.get(i).offset());
            assertThat(rec.epoch()).isEqualTo(positions.get(i).epoch()).isEqualTo(bus.epoch(rec.room()));
            assertThat(rec.timeMillis()).isPositive();
        }
    }

    /** Keeps the fan-out records of the given rooms, in arrival order. */
    protected static class Collector implements BusListener {
        private final Set<String> rooms;
        private final List<RoomRecord> records = new CopyOnWriteArrayList<>();

        public Collector(String room) {
            this(List.of(room));
        }

        public Collector(Collection<String> rooms) {
            this.rooms = Set.copyOf(rooms);
        }

        @Override
        public void onRecords(List<RoomRecord> batch) {
            for (RoomRecord rec : batch) {
                if (rooms.contains(rec.room())) {
                    records.add(rec);
                }
            }
        }

        public List<RoomRecord> records() {
            return List.copyOf(records);
        }
    }

    /**
     * A group member that keeps the records of one room from the batches it acknowledged, in order; a batch
     * for which {@link #fail} says so is acknowledged with a failed stage instead.
     */
    protected static class GroupCollector implements GroupListener {
        private final String room;
        private final List<RoomRecord> succeeded = new CopyOnWriteArrayList<>();
        private final AtomicReference<List<RoomRecord>> lastBatch = new AtomicReference<>(List.of());

        public GroupCollector(String room) {
            this.room = room;
        }

        /** Whether to fail the batch whose records of this room are {@code ours} (never empty). */
        protected boolean fail(List<RoomRecord> ours) {
            return false;
        }

        @Override
        public CompletionStage<Void> onRecords(List<RoomRecord> batch) {
            List<RoomRecord> ours = batch.stream().filter(rec -> rec.room().equals(room)).toList();
            if (!ours.isEmpty()) {
                if (fail(ours)) {
                    return CompletableFuture.failedFuture(new IllegalStateException("test: write failed"));
                }
                lastBatch.set(ours);
                succeeded.addAll(ours);
            }
            return CompletableFuture.completedFuture(null);
        }

        public List<RoomRecord> succeeded() {
            return List.copyOf(succeeded);
        }

        public List<RoomRecord> lastBatch() {
            return lastBatch.get();
        }
    }
}
