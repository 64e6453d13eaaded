package io.danmaku.logic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.bus.BusSubscription;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.json.RoomMessageCodec;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.danmaku.protocol.bus.MessageBus;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.RejectReason;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LogicServiceTest {
    private static final UserRef ALICE = new UserRef("u1", "Alice");

    private final TestClock clock = new TestClock();
    private final MemoryHotStore store = new MemoryHotStore(clock, 100);
    private final MemoryMessageBus bus = new MemoryMessageBus();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<RoomRecord> delivered = new CopyOnWriteArrayList<>();
    private final BusSubscription subscription = bus.subscribeAll(delivered::addAll);

    @AfterEach
    void close() {
        subscription.close();
        bus.close();
    }

    private LogicService service(LogicConfig config) {
        return new LogicService(config, bus, store, registry, clock);
    }

    private LogicService service() {
        return service(LogicConfig.defaults());
    }

    private static PostRequest post(String text) {
        return new PostRequest("live.1", ALICE, text, null, null, null);
    }

    private static JsonNode json(RoomRecord r) {
        try {
            return Json.MAPPER.readTree(r.payload());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private double posts(String result) {
        return registry.get("danmaku.logic.posts").tag("result", result).counter().count();
    }

    @Test
    void anAcceptedPostIsOnTheBusWithItsStamp() {
        PostResult result = service().post(new PostRequest("live.1", ALICE, "hello 👋", 0xFF0000, 5, "c1")).join();

        assertThat(result.accepted()).isTrue();
        assertThat(result.id()).hasSize(26);
        assertThat(result.position().room()).isEqualTo("live.1");
        assertThat(result.position().offset()).isEqualTo(1);
        assertThat(result.position().epoch()).startsWith("mem-");

        await().until(() -> delivered.size() == 1);
        RoomRecord record = delivered.get(0);
        assertThat(record.room()).isEqualTo("live.1");
        assertThat(record.offset()).isEqualTo(result.position().offset());
        assertThat(record.epoch()).isEqualTo(result.position().epoch());
        JsonNode m = json(record);
        assertThat(m.get("id").asText()).isEqualTo(result.id());
        assertThat(m.get("room").asText()).isEqualTo("live.1");
        assertThat(m.get("user").get("id").asText()).isEqualTo("u1");
        assertThat(m.get("user").get("name").asText()).isEqualTo("Alice");
        assertThat(m.get("text").asText()).isEqualTo("hello 👋");
        assertThat(m.get("color").asInt()).isEqualTo(0xFF0000);
        assertThat(m.get("mode").asInt()).isEqualTo(5);
        assertThat(m.get("time").asLong()).isEqualTo(clock.millis());
        assertThat(m.has("cmd")).isFalse();
    }

    @Test
    void colorAndModeDefaultToWhiteScrollingAndAreLeftOutOfTheJson() {
        service().post(post("hi")).join();
        await().until(() -> delivered.size() == 1);
        JsonNode m = json(delivered.get(0));
        assertThat(m.has("color")).as("default colour omitted: %s", m).isFalse();
        assertThat(m.has("mode")).as("default mode omitted: %s", m).isFalse();
        RoomMessage decoded = RoomMessageCodec.decode(delivered.get(0).payload());
        assertThat(decoded.color()).isEqualTo(0xFFFFFF);
        assertThat(decoded.mode()).isEqualTo(1);
    }

    @Test
    void postsInARoomGetIncreasingOffsetsAndDistinctIds() {
        LogicService service = service();
        PostResult a = service.post(post("one")).join();
        PostResult b = service.post(post("two")).join();
        assertThat(b.position().offset()).isGreaterThan(a.position().offset());
        assertThat(b.id()).isNotEqualTo(a.id());
    }

    @Test
    void aRejectedPostIsNotPublishedAndIsCountedByReason() {
        LogicService service = service();
        PostResult anonymous = service.post(new PostRequest("live.1", null, "hi", null, null, null)).join();
        assertThat(anonymous.accepted()).isFalse();
        assertThat(anonymous.reason()).isEqualTo(RejectReason.PERMISSION_DENIED);
        assertThat(anonymous.message()).isEqualTo("posting needs a user: connect with a token");
        PostResult tooLong = service.post(post("x".repeat(101))).join();
        assertThat(tooLong.reason()).isEqualTo(RejectReason.TOO_LONG);
        service.post(post("fine")).join();

        assertThat(posts("permission_denied")).isEqualTo(1.0);
        assertThat(posts("too_long")).isEqualTo(1.0);
        assertThat(posts("accepted")).isEqualTo(1.0);
        assertThat(registry.get("danmaku.logic.post.latency").timer().count()).isEqualTo(3);
        await().until(() -> delivered.size() == 1);
        assertThat(json(delivered.get(0)).get("text").asText()).isEqualTo("fine");
    }

    @Test
    void theSixthQuickPostOfAUserIsRateLimitedUntilATokenRefills() {
        LogicService service = service();
        for (int i = 0; i < 5; i++) {
            assertThat(service.post(post("m" + i)).join().accepted()).isTrue();
        }
        PostResult sixth = service.post(post("m5")).join();
        assertThat(sixth.reason()).isEqualTo(RejectReason.RATE_LIMITED);
        assertThat(sixth.message()).contains("retry after 1000 ms");
        clock.advance(Duration.ofSeconds(1));
        assertThat(service.post(post("m6")).join().accepted()).isTrue();
    }

    @Test
    void aBlockedWordIsRejected() {
        LogicService service = service(LogicConfig.defaults().withBlockedWords(List.of("spam")));
        PostResult r = service.post(post("SPAM here")).join();
        assertThat(r.reason()).isEqualTo(RejectReason.BLOCKED_WORD);
        assertThat(r.message()).isEqualTo("text: contains a blocked word");
    }

    @Test
    void aDuplicateClientMsgIdIsRejectedButARefusedPostMayBeRetriedWithTheSameId() {
        LogicService service = service(LogicConfig.defaults().withBlockedWords(List.of("spam")));
        PostRequest refused = new PostRequest("live.1", ALICE, "spam", null, null, "c-1");
        assertThat(service.post(refused).join().reason()).isEqualTo(RejectReason.BLOCKED_WORD);

        PostRequest fixed = new PostRequest("live.1", ALICE, "ham", null, null, "c-1");
        assertThat(service.post(fixed).join().accepted()).isTrue();
        PostResult again = service.post(fixed).join();
        assertThat(again.reason()).isEqualTo(RejectReason.DUPLICATE);
    }

    @Test
    void aBanThroughTheServiceAppliesToTheNextPostDespiteTheCache() {
        LogicService service = service();
        assertThat(service.post(post("before")).join().accepted()).isTrue();
        service.ban("u1", Duration.ofMinutes(10)).join();
        assertThat(service.post(post("after")).join().reason()).isEqualTo(RejectReason.BANNED);
        service.unban("u1").join();
        assertThat(service.post(post("again")).join().accepted()).isTrue();
    }

    @Test
    void aMuteAppliesInItsRoomOnly() {
        LogicService service = service();
        service.mute("live.1", "u1", Duration.ofMinutes(10)).join();
        assertThat(service.post(post("hi")).join().reason()).isEqualTo(RejectReason.MUTED);
        assertThat(service.post(new PostRequest("live.2", ALICE, "hi", null, null, null)).join().accepted()).isTrue();
        service.unmute("live.1", "u1").join();
        assertThat(service.post(post("hi")).join().accepted()).isTrue();
    }

    @Test
    void aFailingBusIsUnavailable() {
        ControlledBus failing = new ControlledBus(ControlledBus.Mode.FAIL);
        LogicService service = new LogicService(LogicConfig.defaults(), failing, store, registry, clock);
        PostResult r = service.post(post("hi")).join();
        assertThat(r.reason()).isEqualTo(RejectReason.UNAVAILABLE);
        assertThat(r.message()).isEqualTo("message bus unavailable, retry");
        assertThat(failing.published).hasSize(1);
        assertThat(posts("unavailable")).isEqualTo(1.0);
    }

    @Test
    void aRetryWithTheSameClientMsgIdPassesWhenTheBusRefusedTheFirstTryBeforeWritingAnything() {
        PostRequest withId = new PostRequest("live.1", ALICE, "hi", null, null, "c-1");
        java.util.concurrent.atomic.AtomicReference<RuntimeException> failure = new java.util.concurrent.atomic.AtomicReference<>(
                io.danmaku.protocol.bus.BusUnavailableException.notPublished("queue full (test)"));
        try (LogicService logic = new LogicService(LogicConfig.defaults(), failingOnce(failure), store, registry,
                clock)) {
            assertThat(logic.post(withId).join().reason()).isEqualTo(RejectReason.UNAVAILABLE);
            PostResult retry = logic.post(withId).join();
            assertThat(retry.accepted()).as("%s", retry).isTrue();
            assertThat(logic.post(withId).join().reason()).isEqualTo(RejectReason.DUPLICATE);
        }
    }

    @Test
    void aRetryOfAPostThatMayHaveBeenWrittenIsADuplicateNotASecondCopy() {
        PostRequest withId = new PostRequest("live.1", ALICE, "hi", null, null, "c-1");
        java.util.concurrent.atomic.AtomicReference<RuntimeException> failure = new java.util.concurrent.atomic.AtomicReference<>(
                new io.danmaku.protocol.bus.BusUnavailableException("deadline passed in flight (test)"));
        try (LogicService logic = new LogicService(LogicConfig.defaults(), failingOnce(failure), store, registry,
                clock)) {
            assertThat(logic.post(withId).join().reason()).isEqualTo(RejectReason.UNAVAILABLE);
            assertThat(logic.post(withId).join().reason()).isEqualTo(RejectReason.DUPLICATE);
        }
    }

    /** The shared memory bus, whose next publish fails with {@code failure} (once). */
    private MessageBus failingOnce(java.util.concurrent.atomic.AtomicReference<RuntimeException> failure) {
        return (MessageBus) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {MessageBus.class}, (proxy, method, args) -> {
                    RuntimeException next = method.getName().equals("publish") ? failure.getAndSet(null) : null;
                    if (next != null) {
                        return java.util.concurrent.CompletableFuture.failedFuture(next);
                    }
                    try {
                        return method.invoke(bus, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void aBusThatNeverAcknowledgesIsUnavailableAfterTheDeadline() {
        ControlledBus hanging = new ControlledBus(ControlledBus.Mode.HANG);
        LogicService service = new LogicService(LogicConfig.defaults().withPublishTimeout(Duration.ofMillis(50)),
                hanging, store, registry, clock);
        PostResult r = service.post(post("hi")).join();
        assertThat(r.reason()).isEqualTo(RejectReason.UNAVAILABLE);
        assertThat(r.message()).isEqualTo("message bus did not acknowledge in time, retry");
    }

    @Test
    void aBusThatThrowsIsUnavailableToo() {
        MessageBus throwing = new ControlledBus(ControlledBus.Mode.THROW);
        LogicService service = new LogicService(LogicConfig.defaults(), throwing, store, registry, clock);
        assertThat(service.post(post("hi")).join().reason()).isEqualTo(RejectReason.UNAVAILABLE);
    }

    @Test
    void aStoreThatIsDownFailsClosedForBans() {
        FaultyHotStore faulty = new FaultyHotStore(store);
        faulty.down = true;
        LogicService service = new LogicService(LogicConfig.defaults(), bus, faulty, registry, clock);
        PostResult r = service.post(post("hi")).join();
        assertThat(r.reason()).isEqualTo(RejectReason.UNAVAILABLE);
        assertThat(r.message()).isEqualTo("hot store unavailable, retry");
    }

    // ---- server API publishing

    private static ObjectNode data(String json) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aCustomEventKeepsEveryFieldAndGetsOneIdPerRoom() {
        PublishOutcome out = service().publishData(List.of("a", "b"), data(
                "{\"cmd\":\"GIFT\",\"giftName\":\"rocket\",\"num\":3,\"user\":{\"id\":\"u9\",\"vip\":true},"
                        + "\"id\":\"spoofed\",\"time\":1}")).join();
        assertThat(out.accepted()).isTrue();
        assertThat(out.ids()).hasSize(2).doesNotHaveDuplicates();
        assertThat(out.positions()).extracting(p -> p.room()).containsExactly("a", "b");

        await().until(() -> delivered.size() == 2);
        for (int i = 0; i < 2; i++) {
            JsonNode m = json(delivered.get(i));
            assertThat(m.get("id").asText()).isEqualTo(out.ids().get(i));
            assertThat(m.get("room").asText()).isEqualTo(i == 0 ? "a" : "b");
            assertThat(m.get("time").asLong()).isEqualTo(clock.millis());
            assertThat(m.get("cmd").asText()).isEqualTo("GIFT");
            assertThat(m.get("giftName").asText()).isEqualTo("rocket");
            assertThat(m.get("num").asInt()).isEqualTo(3);
            assertThat(m.get("user").get("vip").asBoolean()).isTrue();
            assertThat(m.has("text")).isFalse();
        }
        assertThat(registry.get("danmaku.logic.api.messages").tag("kind", "event").counter().count()).isEqualTo(2);
    }

    @Test
    void aDanmakuBodyWithoutUserIsStampedWithoutUserAndKeepsUnknownFields() {
        PublishOutcome out = service().publishData(List.of("live.1"), data(
                "{\"text\":\"welcome\",\"color\":255,\"mode\":4,\"badge\":{\"level\":3}}")).join();
        assertThat(out.accepted()).isTrue();
        await().until(() -> delivered.size() == 1);
        JsonNode m = json(delivered.get(0));
        assertThat(m.has("user")).as("no user is made up: %s", m).isFalse();
        assertThat(m.get("text").asText()).isEqualTo("welcome");
        assertThat(m.get("color").asInt()).isEqualTo(255);
        assertThat(m.get("mode").asInt()).isEqualTo(4);
        assertThat(m.get("badge").get("level").asInt()).isEqualTo(3);
    }

    @Test
    void aDanmakuBodyWithAUserIsNotRateLimitedNorRestricted() {
        LogicService service = service();
        service.ban("u1", Duration.ofMinutes(1)).join();
        for (int i = 0; i < 10; i++) {
            PublishOutcome out = service.publishData(List.of("live.1"),
                    data("{\"text\":\"t" + i + "\",\"user\":{\"id\":\"u1\",\"name\":\"Alice\"}}")).join();
            assertThat(out.accepted()).as("publish %d", i).isTrue();
        }
        await().until(() -> delivered.size() == 10);
        assertThat(json(delivered.get(0)).get("user").get("name").asText()).isEqualTo("Alice");
    }

    @Test
    void aDanmakuBodyIsCheckedForShapeAndBlockedWords() {
        LogicService service = service(LogicConfig.defaults().withBlockedWords(List.of("spam")));
        List<String> rooms = List.of("live.1");
        assertThat(service.publishData(rooms, data("{\"text\":\"" + "x".repeat(101) + "\"}")).join())
                .satisfies(o -> {
                    assertThat(o.reason()).isEqualTo(RejectReason.TOO_LONG);
                    assertThat(o.message()).startsWith("data.text: 101 code points");
                });
        assertThat(service.publishData(rooms, data("{\"text\":\"spam!\"}")).join().reason())
                .isEqualTo(RejectReason.BLOCKED_WORD);
        assertThat(service.publishData(rooms, data("{\"text\":\"a\\nb\"}")).join().message())
                .startsWith("data.text: control character U+000A at index 1");
        assertThat(service.publishData(rooms, data("{\"text\":\"ok\",\"color\":-5}")).join().message())
                .startsWith("data.color: -5");
        assertThat(service.publishData(rooms, data("{\"text\":\"ok\",\"mode\":2}")).join().message())
                .startsWith("data.mode: 2");
        assertThat(service.publishData(rooms, data("{\"text\":\"ok\",\"color\":\"red\"}")).join().message())
                .isEqualTo("data.color: \"red\" (expected: an integer)");
        assertThat(service.publishData(rooms, data("{\"color\":1}")).join().message())
                .startsWith("data.text: missing");
        assertThat(service.publishData(rooms, data("{\"text\":5}")).join().message())
                .isEqualTo("data.text: a number (expected: a string)");
        assertThat(service.publishData(rooms, data("{\"text\":\"ok\",\"user\":{\"name\":\"x\"}}")).join().message())
                .startsWith("data.user.id: missing");
        assertThat(service.publishData(rooms, data("{\"text\":\"ok\",\"user\":\"u1\"}")).join().message())
                .startsWith("data.user: a string");
        assertThat(service.publishData(rooms, data("{\"cmd\":7}")).join().message())
                .startsWith("data.cmd: a number");
        assertThat(service.publishData(rooms, data("{\"cmd\":\"\"}")).join().message())
                .startsWith("data.cmd: \"\"");
        assertThat(service.publishData(List.of("bad room"), data("{\"text\":\"ok\"}")).join().reason())
                .isEqualTo(RejectReason.INVALID_ROOM);
        assertThat(delivered).isEmpty();
    }

    @Test
    void aServerPublishOnAFailingBusIsUnavailable() {
        LogicService service = new LogicService(LogicConfig.defaults(), new ControlledBus(ControlledBus.Mode.FAIL),
                store, registry, clock);
        PublishOutcome out = service.publishData(List.of("a", "b"), data("{\"cmd\":\"NOTICE\"}")).join();
        assertThat(out.reason()).isEqualTo(RejectReason.UNAVAILABLE);
    }

    @Test
    void aBatchIsJudgedPerPostAnsweredInOrderAndPublishedAsOneBusBatch() {
        store.ban("banned", Duration.ofMinutes(1)).join();
        List<List<?>> publishes = new CopyOnWriteArrayList<>();
        MessageBus counting = (MessageBus) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {MessageBus.class}, (proxy, method, args) -> {
                    if (method.getName().equals("publish") && args[0] instanceof List<?> batch) {
                        publishes.add(batch);
                    }
                    try {
                        return method.invoke(bus, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        try (LogicService logic = new LogicService(LogicConfig.defaults(), counting, store, registry, clock)) {
            List<PostRequest> batch = List.of(
                    new PostRequest("live.1", ALICE, "one", null, null, "m1"),
                    new PostRequest("live.1", new UserRef("banned", "B"), "two", null, null, null),
                    new PostRequest("live.2", ALICE, "", null, null, null),
                    new PostRequest("live.1", ALICE, "again", null, null, "m1"),
                    new PostRequest("live.2", new UserRef("u2", "C"), "three", null, null, null));
            List<PostResult> results = logic.postBatch(batch).join();
            assertThat(results).extracting(r -> r.accepted() ? "ok" : r.reason().code())
                    .containsExactly("ok", "banned", "bad_request", "duplicate", "ok");
            assertThat(publishes).hasSize(1);
            assertThat(publishes.get(0)).hasSize(2);
            assertThat(results.get(0).position().room()).isEqualTo("live.1");
            assertThat(results.get(4).position().room()).isEqualTo("live.2");
            assertThat(registry.get("danmaku.logic.batch.size").summary().max()).isEqualTo(5.0);
        }
    }

    @Test
    void anEmptyBatchIsAnsweredWithNoResults() {
        assertThat(service().postBatch(List.of()).join()).isEmpty();
    }

    @Test
    void beyondThePostsInFlightABatchIsRefusedAtOnceAndNothingOfItIsPublished() {
        ControlledBus hanging = new ControlledBus(ControlledBus.Mode.HANG);
        LogicService logic = new LogicService(LogicConfig.defaults().withMaxPostsInFlight(3), hanging, store,
                registry, clock);
        List<PostRequest> two = List.of(new PostRequest("live.1", ALICE, "a", null, null, null),
                new PostRequest("live.1", new UserRef("u2", "B"), "b", null, null, null));
        var first = logic.postBatch(two);
        assertThat(first).isNotDone(); // the bus never acknowledges
        List<PostResult> shed = logic.postBatch(two).join();
        assertThat(shed).hasSize(2).allSatisfy(r -> {
            assertThat(r.reason()).isEqualTo(RejectReason.UNAVAILABLE);
            assertThat(r.message()).isEqualTo(LogicService.OVERLOADED_MESSAGE);
        });
        assertThat(hanging.published).hasSize(1);
        assertThat(registry.get("danmaku.logic.shed").counter().count()).isEqualTo(2.0);
        // a batch that fits is still taken
        assertThat(logic.postBatch(List.of(new PostRequest("live.1", new UserRef("u3", "C"), "c", null, null,
                null)))).isNotDone();
    }

    @Test
    void aUserMovedToAnotherInstanceGetsAtMostOneExtraBurstAndOneRepeatOfAClientMsgId() {
        // two logic instances on one store and bus; the gateways move the user from the first to the second (an
        // instance joined): the second starts with a fresh bucket and no memory of the user's ids
        LogicConfig config = LogicConfig.defaults().withUserRate(new io.danmaku.protocol.store.RateLimit(3, 0.001));
        try (LogicService first = service(config); LogicService second = service(config)) {
            int accepted = 0;
            for (int i = 0; i < 10; i++) {
                accepted += first.post(new PostRequest("live.1", ALICE, "a" + i, null, null, "id-" + i)).join()
                        .accepted() ? 1 : 0;
            }
            assertThat(accepted).isEqualTo(3);
            PostResult retried = second.post(new PostRequest("live.1", ALICE, "a0", null, null, "id-0")).join();
            assertThat(retried.accepted()).as("a retry of a post accepted before the move passes once").isTrue();
            for (int i = 10; i < 20; i++) {
                accepted += second.post(new PostRequest("live.1", ALICE, "b" + i, null, null, null)).join()
                        .accepted() ? 1 : 0;
            }
            assertThat(accepted).as("one burst per instance: the bound stated in docs/DECISIONS.md").isEqualTo(3 + 2);
            assertThat(second.post(new PostRequest("live.1", ALICE, "a0", null, null, "id-0")).join().reason())
                    .isEqualTo(RejectReason.RATE_LIMITED);
        }
    }
}
