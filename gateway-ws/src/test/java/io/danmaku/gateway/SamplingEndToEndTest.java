package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.gateway.room.SamplingRules;
import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.bus.BusMessage;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.json.RoomMessageCodec;
import io.danmaku.protocol.store.HistoryPage;
import io.danmaku.protocol.store.HistoryQuery;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import io.danmaku.testkit.ws.TestTokens;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A hot room sampled to 200 visible chat messages a second, offered 5,000 chat messages and 10 gifts a second for three
 * seconds of message time, watched by real WebSocket clients on a gateway over the memory bus and store.
 *
 * <p>Per second of message time (the messages' own server stamps, not the wall clock: the burst is published as fast
 * as the bus takes it), each member gets at most 200 chat messages and at least 180 (the sample is full when so much
 * more is offered; the tolerance leaves room for windows whose authors run out), every gift, and — for the member who
 * posted — every one of its own posts, including those the sample left out for everyone else. Everything is in the
 * history, and a client that recovers gets the messages the sample left out too.
 */
class SamplingEndToEndTest {
    static final String ROOM = "hot.1";
    static final int RATE = 200;
    static final int CHAT_PER_SECOND = 5_000;
    static final int SECONDS = 3;

    static String token(String user) {
        return TestTokens.hs256(GatewayHarness.SECRET, user, user);
    }

    @Test
    void aHotRoomShowsEachMemberTheSameFairSampleEveryGiftAndTheirOwnPosts() throws Exception {
        GatewayConfig config = GatewayConfig.builder()
                .batchWindow(Duration.ofMillis(20))
                .sampling(SamplingRules.parse(List.of(ROOM.substring(0, 4) + "*=" + RATE)))
                .build();
        try (GatewayHarness gw = new GatewayHarness(config, true, 20_000);
             CentrifugeTestClient anonymous = CentrifugeTestClient.connect(gw.port(), null);
             CentrifugeTestClient bob = CentrifugeTestClient.connect(gw.port(), token("bob"));
             CentrifugeTestClient alice = CentrifugeTestClient.connect(gw.port(), token("alice"))) {
            String epoch = anonymous.subscribe(ROOM).path("subscribe").path("epoch").asText();
            bob.subscribe(ROOM);
            alice.subscribe(ROOM);

            // three whole seconds of message time, long past (the sample depends on the stamps only)
            long t0 = (System.currentTimeMillis() / 1000 - 100) * 1000;
            Random random = new Random(7);
            List<BusMessage> burst = new ArrayList<>();
            int n = CHAT_PER_SECOND * SECONDS;
            int alicePosts = 0;
            int gifts = 0;
            for (int i = 0; i < n; i++) {
                long time = t0 + (long) i * 1000 / CHAT_PER_SECOND;
                if (i % (CHAT_PER_SECOND / 10) == 0) {
                    burst.add(message(RoomMessage.event("g" + i, ROOM, time, "SEND_GIFT",
                            Json.MAPPER.createObjectNode().put("giftName", "rose"))));
                    gifts++;
                }
                String author = i % 100 == 7 ? "alice" : "u" + random.nextInt(300);
                alicePosts += author.equals("alice") ? 1 : 0;
                burst.add(message(RoomMessage.danmaku("c" + i, ROOM, time, new UserRef(author, author), "chat " + i,
                        0xFFFFFF, 1, null)));
            }
            for (int from = 0; from < burst.size(); from += 1000) {
                gw.bus.publish(burst.subList(from, Math.min(burst.size(), from + 1000))).join();
            }
            // alice's own posts through her connection, stamped in the burst's last window (its sample is full)
            gw.postClock = () -> t0 + SECONDS * 1000L - 1;
            for (int k = 1; k <= 3; k++) {
                assertThat(alice.publish(ROOM, "real " + k).has("publish")).isTrue();
            }
            // the end: a notice (a priority message) after everything, so a member that has it has all before it
            gw.bus.publish(message(RoomMessage.event("end", ROOM, t0 + SECONDS * 1000L, "NOTICE", null))).join();
            int total = burst.size() + 3 + 1;

            List<JsonNode> seenByAnonymous = untilTheEnd(anonymous);
            List<JsonNode> seenByBob = untilTheEnd(bob);
            List<JsonNode> seenByAlice = untilTheEnd(alice);

            // one sample for every member, on whichever event loop it is
            assertThat(offsets(seenByBob)).isEqualTo(offsets(seenByAnonymous));
            for (List<JsonNode> seen : List.of(seenByAnonymous, seenByAlice)) {
                assertThat(seen.stream().filter(p -> p.path("data").has("cmd")).count()).as("every gift and the end")
                        .isEqualTo(gifts + 1);
                assertThat(offsets(seen)).isSorted().doesNotHaveDuplicates();
            }
            Map<Long, Integer> chatPerSecond = new TreeMap<>();
            for (JsonNode p : seenByAnonymous) {
                JsonNode data = p.path("data");
                if (!data.has("cmd")) {
                    chatPerSecond.merge((data.path("time").asLong() - t0) / 1000, 1, Integer::sum);
                }
            }
            assertThat(chatPerSecond).as("chat per second of message time").hasSize(SECONDS)
                    .allSatisfy((second, count) -> assertThat(count).isBetween(RATE * 9 / 10, RATE));

            // alice: the same sample, plus every post of her own
            TreeSet<Long> mine = new TreeSet<>(offsets(seenByAlice));
            assertThat(mine).containsAll(offsets(seenByAnonymous));
            List<String> aliceTexts = texts(seenByAlice, "alice");
            assertThat(aliceTexts).hasSize(alicePosts + 3).contains("real 1", "real 2", "real 3");
            List<String> othersSeeOfAlice = texts(seenByAnonymous, "alice");
            assertThat(othersSeeOfAlice).as("a spammer's share: one a window").hasSizeLessThanOrEqualTo(SECONDS * 10)
                    .doesNotContain("real 1", "real 2", "real 3");
            assertThat(mine).hasSize(seenByAnonymous.size() + aliceTexts.size() - othersSeeOfAlice.size());

            // everything is stored
            await().atMost(Duration.ofSeconds(60)).until(() -> gw.storedTop(ROOM) == total);
            HistoryPage stored = gw.store.history(HistoryQuery.position(ROOM)).join();
            assertThat(stored.floorOffset()).as("nothing trimmed").isZero();

            // and recoverable: a client that saw the last 100 messages' predecessor gets all 100, sampled out or not
            try (CentrifugeTestClient back = CentrifugeTestClient.connect(gw.port(), token("carol"))) {
                JsonNode sub = back.subscribeRecover(ROOM, total - 100, epoch).path("subscribe");
                assertThat(sub.path("recovered").asBoolean()).as("%s", sub).isTrue();
                assertThat(sub.path("publications")).hasSize(100);
            }

            var meters = gw.meters;
            assertThat(meters.get("danmaku.gateway.sampling.offered").tag("class", "chat").counter().count())
                    .isEqualTo(n + 3);
            assertThat(meters.get("danmaku.gateway.sampling.offered").tag("class", "priority").counter().count())
                    .isEqualTo(gifts + 1);
            assertThat(meters.get("danmaku.gateway.sampling.sampled.out").tag("class", "priority").counter().count())
                    .isZero();
            assertThat(meters.get("danmaku.gateway.sampling.sampled.out").tag("class", "chat").counter().count())
                    .isGreaterThan(n - RATE * SECONDS - 1);
            assertThat(meters.get("danmaku.gateway.sampling.own").counter().count())
                    .isEqualTo(aliceTexts.size() - othersSeeOfAlice.size());
        }
    }

    static BusMessage message(RoomMessage m) {
        return new BusMessage(m.room(), RoomMessageCodec.encode(m));
    }

    /** The member's publications up to the closing notice. */
    static List<JsonNode> untilTheEnd(CentrifugeTestClient c) {
        return await().atMost(Duration.ofSeconds(60)).until(() -> c.publications(ROOM),
                pubs -> !pubs.isEmpty() && "NOTICE".equals(pubs.get(pubs.size() - 1).path("data").path("cmd").asText()));
    }

    static List<Long> offsets(List<JsonNode> pubs) {
        return pubs.stream().map(p -> p.path("offset").asLong()).collect(Collectors.toList());
    }

    static List<String> texts(List<JsonNode> pubs, String user) {
        return pubs.stream().map(p -> p.path("data"))
                .filter(d -> !d.has("cmd") && d.path("user").path("id").asText().equals(user))
                .map(d -> d.path("text").asText()).collect(Collectors.toList());
    }
}
