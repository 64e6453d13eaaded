package io.danmaku.protocol.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.bus.BusSubscription;
import io.danmaku.protocol.bus.BusUnavailableException;
import io.danmaku.protocol.bus.MessageBus;
import io.danmaku.protocol.contract.MessageBusContract;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MemoryMessageBusTest extends MessageBusContract {

    @Override
    protected MessageBus newBus() {
        return new MemoryMessageBus();
    }

    private MemoryMessageBus replaceBus(int queueCapacity) {
        bus.close();
        MemoryMessageBus small = new MemoryMessageBus(queueCapacity);
        bus = small;
        return small;
    }

    @Test
    void offsetsAreAContiguousSequencePerRoomStartingAtOne() throws Exception {
        String a = room("seq-a");
        String b = room("seq-b");
        List<BusPosition> positions = publish(msg(a, "1"), msg(b, "1"), msg(a, "2"));
        positions.addAll(publish(msg(a, "3")));

        assertThat(positions).extracting(BusPosition::offset).containsExactly(1L, 1L, 2L, 3L);
    }

    @Test
    void theEpochIsOnePerBusAndLooksLikeAMemoryEpoch() {
        try (MemoryMessageBus other = new MemoryMessageBus()) {
            assertThat(bus.epoch("a")).matches("mem-[0-9a-f]{8}").isEqualTo(bus.epoch("b"));
            assertThat(other.epoch("a")).matches("mem-[0-9a-f]{8}");
        }
    }

    @Test
    void aFullGroupBacklogRefusesTheWholeBatchAndEnqueuesNothing() throws Exception {
        MemoryMessageBus small = replaceBus(4);
        String r = room("full");
        CompletableFuture<Void> firstWrite = new CompletableFuture<>();
        GroupCollector group = new GroupCollector(r) {
            @Override
            public java.util.concurrent.CompletionStage<Void> onRecords(List<RoomRecord> batch) {
                super.onRecords(batch);
                return firstWrite.isDone() ? CompletableFuture.completedFuture(null) : firstWrite;
            }
        };
        small.subscribeGroup("storage", group);
        Collector fanout = new Collector(r);
        small.subscribeAll(fanout);

        publish(msg(r, "1"));
        await().atMost(TIMEOUT).until(() -> group.succeeded().size() == 1);
        publish(msg(r, "2"), msg(r, "3"), msg(r, "4"));

        CompletableFuture<List<BusPosition>> refused = small.publish(List.of(msg(r, "5"), msg(room("x"), "6")));
        assertThat(refused).failsWithin(TIMEOUT).withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(BusUnavailableException.class)
                .withMessageContaining("memory bus full");

        firstWrite.complete(null);
        // refused attempts consume no offset: the first accepted one gets offset 5
        await().atMost(TIMEOUT).until(() -> !small.publish(List.of(msg(r, "7"))).isCompletedExceptionally());
        await().atMost(TIMEOUT).until(() -> group.succeeded().size() == 5 && fanout.records().size() == 5);
        assertThat(group.succeeded()).extracting(RoomRecord::payloadText).containsExactly("1", "2", "3", "4", "7");
        assertThat(fanout.records()).extracting(RoomRecord::payloadText).containsExactly("1", "2", "3", "4", "7");
        assertThat(fanout.records()).extracting(RoomRecord::offset).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(small.droppedFanout()).isZero();
    }

    @Test
    void aBatchLargerThanTheCapacityIsRefused() {
        MemoryMessageBus small = replaceBus(2);
        String r = room("huge");
        assertThat(small.publish(List.of(msg(r, "1"), msg(r, "2"), msg(r, "3")))).failsWithin(TIMEOUT)
                .withThrowableOfType(ExecutionException.class).withCauseInstanceOf(BusUnavailableException.class);
    }

    @Test
    void aFullFanOutQueueDropsForThatSubscriberOnlyAndCountsIt() throws Exception {
        MemoryMessageBus small = replaceBus(2);
        String r = room("drop");
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Collector slow = new Collector(r) {
            @Override
            public void onRecords(List<RoomRecord> batch) {
                super.onRecords(batch);
                entered.countDown();
                try {
                    release.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        small.subscribeAll(slow);

        publish(msg(r, "1"));
        assertThat(entered.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        publish(msg(r, "2"), msg(r, "3"));
        publish(msg(r, "4"));
        publish(msg(r, "5"), msg(r, "6"));
        assertThat(small.droppedFanout()).isEqualTo(3);

        release.countDown();
        await().atMost(TIMEOUT).until(() -> slow.records().size() == 3);
        publish(msg(r, "7"));
        await().atMost(TIMEOUT).until(() -> slow.records().size() == 4);
        assertThat(small.droppedFanout()).isEqualTo(3);
        assertThat(slow.records()).extracting(RoomRecord::payloadText).containsExactly("1", "2", "3", "7");
    }

    @Test
    void aGroupJoiningLateGetsTheNewestRetainedRecords() throws Exception {
        MemoryMessageBus small = replaceBus(4);
        String r = room("late");
        for (int i = 1; i <= 6; i++) {
            publish(msg(r, "m" + i));
        }
        GroupCollector group = new GroupCollector(r);
        small.subscribeGroup("late", group);

        await().atMost(TIMEOUT).until(() -> group.succeeded().size() == 4);
        assertThat(group.succeeded()).extracting(RoomRecord::offset).containsExactly(3L, 4L, 5L, 6L);
    }

    @Test
    void aSecondMemberOfAGroupTakesOverWhenTheFirstCloses() throws Exception {
        String r = room("takeover");
        GroupCollector first = new GroupCollector(r);
        GroupCollector second = new GroupCollector(r);
        BusSubscription firstSubscription = bus.subscribeGroup("g", first);
        bus.subscribeGroup("g", second);

        publish(msg(r, "1"), msg(r, "2"));
        await().atMost(TIMEOUT).until(() -> first.succeeded().size() == 2);
        firstSubscription.close();
        publish(msg(r, "3"));

        await().atMost(TIMEOUT).until(() -> second.succeeded().size() == 1);
        long marker = publish(msg(r, "4")).get(0).offset();
        await().atMost(TIMEOUT).until(() -> offsets(second.succeeded()).contains(marker));
        assertThat(first.succeeded()).extracting(RoomRecord::payloadText).containsExactly("1", "2");
        assertThat(second.succeeded()).extracting(RoomRecord::payloadText).containsExactly("3", "4");
    }

    @Test
    void aFailingFanOutListenerKeepsReceiving() throws Exception {
        String r = room("throws");
        Collector seen = new Collector(r) {
            @Override
            public void onRecords(List<RoomRecord> batch) {
                super.onRecords(batch);
                throw new IllegalStateException("test: listener bug");
            }
        };
        bus.subscribeAll(seen);
        publish(msg(r, "1"));
        await().atMost(TIMEOUT).until(() -> seen.records().size() == 1);
        publish(msg(r, "2"));
        await().atMost(TIMEOUT).until(() -> seen.records().size() == 2);
    }

    @Test
    void subscribingToAClosedBusFails() {
        bus.close();
        assertThatThrownBy(() -> bus.subscribeAll(records -> { })).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> bus.subscribeGroup("g", records -> CompletableFuture.completedFuture(null)))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void argumentsAreChecked() {
        assertThatThrownBy(() -> new MemoryMessageBus(0)).hasMessageContaining("queueCapacity: 0");
        assertThatThrownBy(() -> bus.publish((List<io.danmaku.protocol.bus.BusMessage>) null))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> bus.subscribeGroup(" ", records -> CompletableFuture.completedFuture(null)))
                .hasMessageContaining("group");
    }
}
