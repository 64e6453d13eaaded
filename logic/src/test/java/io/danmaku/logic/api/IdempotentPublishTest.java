package io.danmaku.logic.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.logic.FaultyHotStore;
import io.danmaku.logic.LogicConfig;
import io.danmaku.logic.LogicService;
import io.danmaku.logic.TestClock;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.api.ApiRequest;
import io.danmaku.protocol.api.ApiResponse;
import io.danmaku.protocol.bus.BusListener;
import io.danmaku.protocol.bus.BusMessage;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.bus.BusSubscription;
import io.danmaku.protocol.bus.BusUnavailableException;
import io.danmaku.protocol.bus.GroupListener;
import io.danmaku.protocol.bus.MessageBus;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code idempotency_key} on {@code /api/publish} and {@code /api/broadcast}, as a backend sees it. */
class IdempotentPublishTest {
    private static final String KEY = "s3cret-key";
    private static final Duration DEADLINE = Duration.ofMillis(300);

    private final TestClock clock = new TestClock();
    private final MemoryHotStore memoryStore = new MemoryHotStore(clock, 100);
    private final FaultyHotStore store = new FaultyHotStore(memoryStore);
    private final MemoryMessageBus memoryBus = new MemoryMessageBus();
    private final HeldBus bus = new HeldBus(memoryBus);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final LogicConfig config = LogicConfig.defaults().withApiKey(KEY).withPublishTimeout(DEADLINE);
    private final List<RoomRecord> delivered = new CopyOnWriteArrayList<>();
    private final BusSubscription subscription = memoryBus.subscribeAll(delivered::addAll);

    @AfterEach
    void close() {
        subscription.close();
        memoryBus.close();
    }

    private ServerApi newInstance() {
        LogicService logic = new LogicService(config, bus, store, registry, clock);
        return new ServerApi(config, logic, registry);
    }

    private record Reply(int status, JsonNode body) {
        String errorMessage() {
            return body.path("error").path("message").asText(null);
        }
    }

    private static Reply post(ServerApi api, String path, String json) {
        ApiResponse r = api.handle(new ApiRequest("POST", path, Map.of(), Map.of("x-api-key", KEY),
                json.getBytes(StandardCharsets.UTF_8))).join();
        try {
            return new Reply(r.status(), Json.MAPPER.readTree(r.body()));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static final String GIFT = "{\"channel\":\"live.1\",\"idempotency_key\":\"order-17\","
            + "\"data\":{\"cmd\":\"SEND_GIFT\",\"giftName\":\"rocket\"}}";

    @Test
    void theSamePublishWithTheSameKeyTwiceIsPublishedOnceAndAnsweredTheSame() {
        ServerApi api = newInstance();
        Reply first = post(api, "/api/publish", GIFT);
        Reply again = post(api, "/api/publish", GIFT);

        assertThat(first.status()).isEqualTo(200);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.body()).isEqualTo(first.body());
        await().until(() -> delivered.size() == 1);
        assertThat(bus.publishes.get()).isEqualTo(1);

        Reply otherKey = post(api, "/api/publish", GIFT.replace("order-17", "order-18"));
        Reply otherChannel = post(api, "/api/publish", GIFT.replace("live.1", "live.2"));
        Reply noKey = post(api, "/api/publish", GIFT.replace("\"idempotency_key\":\"order-17\",", ""));
        assertThat(List.of(otherKey.status(), otherChannel.status(), noKey.status())).containsOnly(200);
        await().until(() -> delivered.size() == 4);
    }

    @Test
    void aRepeatOnAnotherLogicInstanceAnswersTheFirstResult() {
        Reply first = post(newInstance(), "/api/broadcast", "{\"channels\":[\"a\",\"b\"],\"idempotency_key\":\"k\","
                + "\"data\":{\"text\":\"hi\"}}");
        Reply again = post(newInstance(), "/api/broadcast", "{\"channels\":[\"a\",\"b\"],\"idempotency_key\":\"k\","
                + "\"data\":{\"text\":\"hi\"}}");

        assertThat(first.status()).isEqualTo(200);
        assertThat(first.body().get("result").get("responses")).hasSize(2);
        assertThat(again.body()).isEqualTo(first.body());
        await().until(() -> delivered.size() == 2);
        assertThat(bus.publishes.get()).isEqualTo(1);
    }

    @Test
    void aTimeoutSaysTheOutcomeIsUnknownAndARetryNeverPublishesASecondCopy() {
        ServerApi api = newInstance();
        bus.hold = true;
        Reply timedOut = post(api, "/api/publish", GIFT);
        assertThat(timedOut.status()).isEqualTo(503);
        assertThat(timedOut.errorMessage()).isEqualTo("unavailable: message bus did not acknowledge in time: the"
                + " message may have been published; retry with the same idempotency_key");

        Reply whileHeld = post(api, "/api/publish", GIFT);
        assertThat(whileHeld.status()).isEqualTo(503);
        assertThat(whileHeld.errorMessage()).startsWith("unavailable: in progress: a publish with this"
                + " idempotency_key has not finished yet");
        assertThat(bus.publishes.get()).isEqualTo(1);

        bus.release(); // the bus acknowledges late: the retry gets that result
        await().until(() -> post(api, "/api/publish", GIFT).status() == 200);
        Reply settled = post(api, "/api/publish", GIFT);
        assertThat(settled.body().get("result").get("offset").asLong()).isEqualTo(1);
        assertThat(bus.publishes.get()).isEqualTo(1);
        assertThat(delivered).hasSize(1);
    }

    @Test
    void concurrentIdenticalPublishesPublishOnce() {
        ServerApi api = newInstance();
        bus.hold = true;
        List<CompletableFuture<ApiResponse>> calls = java.util.stream.IntStream.range(0, 5)
                .mapToObj(i -> api.handle(new ApiRequest("POST", "/api/publish", Map.of(), Map.of("x-api-key", KEY),
                        GIFT.getBytes(StandardCharsets.UTF_8))))
                .toList();
        bus.release();
        List<Integer> statuses = calls.stream().map(c -> c.join().status()).toList();

        assertThat(bus.publishes.get()).isEqualTo(1);
        assertThat(statuses).contains(200);
        await().until(() -> delivered.size() == 1);
        assertThat(post(api, "/api/publish", GIFT).status()).isEqualTo(200);
        assertThat(delivered).hasSize(1);
    }

    @Test
    void aBusFailureReleasesTheKeySoTheRetryPublishes() {
        ServerApi api = newInstance();
        bus.failNext = true;
        Reply failed = post(api, "/api/publish", GIFT);
        assertThat(failed.status()).isEqualTo(503);
        assertThat(failed.errorMessage()).isEqualTo("unavailable: message bus unavailable, nothing was published;"
                + " retry");

        assertThat(post(api, "/api/publish", GIFT).status()).isEqualTo(200);
        assertThat(bus.publishes.get()).isEqualTo(2);
        await().until(() -> delivered.size() == 1);
    }

    @Test
    void aBusFailureThatMayHavePublishedIsRememberedAsUnknownAndNeverRepublished() {
        ServerApi api = newInstance();
        bus.failNextAmbiguously = true;
        Reply failed = post(api, "/api/publish", GIFT);
        assertThat(failed.status()).isEqualTo(503);
        assertThat(failed.errorMessage()).contains("may have been published");

        Reply retry = post(api, "/api/publish", GIFT);
        assertThat(retry.status()).isEqualTo(503);
        assertThat(retry.errorMessage()).startsWith("unavailable: outcome unknown: the first publish with this"
                + " idempotency_key failed");
        assertThat(bus.publishes.get()).isEqualTo(1);
        assertThat(post(api, "/api/publish", GIFT.replace("order-17", "order-17b")).status()).isEqualTo(200);
    }

    @Test
    void aStoreThatCannotCheckTheKeyPublishesNothing() {
        ServerApi api = newInstance();
        store.down = true;
        Reply r = post(api, "/api/publish", GIFT);
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.errorMessage()).startsWith("unavailable: hot store unavailable: the idempotency_key cannot be"
                + " checked, nothing was published");
        assertThat(bus.publishes.get()).isZero();
    }

    @Test
    void refusedDataDoesNotUseTheKeyUp() {
        ServerApi api = newInstance();
        Reply refused = post(api, "/api/publish", "{\"channel\":\"live.1\",\"idempotency_key\":\"k1\","
                + "\"data\":{\"text\":\"\"}}");
        assertThat(refused.status()).isEqualTo(400);
        Reply ok = post(api, "/api/publish", "{\"channel\":\"live.1\",\"idempotency_key\":\"k1\","
                + "\"data\":{\"text\":\"fixed\"}}");
        assertThat(ok.status()).isEqualTo(200);
    }

    @Test
    void aKeyMustBeANonEmptyString() {
        ServerApi api = newInstance();
        for (String key : List.of("1", "\"\"", "[\"a\"]", "\"" + "k".repeat(257) + "\"")) {
            Reply r = post(api, "/api/publish", "{\"channel\":\"a\",\"idempotency_key\":" + key
                    + ",\"data\":{\"text\":\"x\"}}");
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.errorMessage()).startsWith("idempotency_key: ")
                    .endsWith("(expected: a string of 1..256 characters)");
        }
        assertThat(bus.publishes.get()).isZero();
    }

    @Test
    void aTimeoutWithoutKeySaysARetryMayPublishTwice() {
        ServerApi api = newInstance();
        bus.hold = true;
        Reply r = post(api, "/api/publish", "{\"channel\":\"a\",\"data\":{\"text\":\"x\"}}");
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.errorMessage()).contains("may have been published")
                .contains("unless it carries an idempotency_key");
        bus.release();
    }

    /** A bus that can hold publishes until released, or fail the next one; otherwise the memory bus. */
    private static final class HeldBus implements MessageBus {
        private final MessageBus delegate;
        final AtomicInteger publishes = new AtomicInteger();
        volatile boolean hold;
        volatile boolean failNext;
        volatile boolean failNextAmbiguously;
        private final List<Runnable> held = new CopyOnWriteArrayList<>();

        HeldBus(MessageBus delegate) {
            this.delegate = delegate;
        }

        @Override
        public CompletableFuture<List<BusPosition>> publish(List<BusMessage> batch) {
            publishes.incrementAndGet();
            if (failNext) {
                failNext = false;
                return CompletableFuture.failedFuture(BusUnavailableException.notPublished("queue full (test)"));
            }
            if (failNextAmbiguously) {
                failNextAmbiguously = false;
                return CompletableFuture.failedFuture(new BusUnavailableException("no ack in time (test)"));
            }
            if (!hold) {
                return delegate.publish(batch);
            }
            CompletableFuture<List<BusPosition>> answer = new CompletableFuture<>();
            held.add(() -> delegate.publish(batch).whenComplete((p, e) -> {
                if (e != null) {
                    answer.completeExceptionally(e);
                } else {
                    answer.complete(p);
                }
            }));
            return answer;
        }

        void release() {
            hold = false;
            held.forEach(Runnable::run);
            held.clear();
        }

        @Override
        public String epoch(String room) {
            return delegate.epoch(room);
        }

        @Override
        public BusSubscription subscribeAll(BusListener listener) {
            return delegate.subscribeAll(listener);
        }

        @Override
        public BusSubscription subscribeGroup(String group, GroupListener listener) {
            return delegate.subscribeGroup(group, listener);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
