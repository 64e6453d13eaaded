package io.danmaku.rpc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Which logic instance a user's posts go to, and how few users move when instances come and go. */
class RendezvousTest {
    private static final int USERS = 10_000;
    private static final List<String> FOUR = List.of("10.0.0.1:9090", "10.0.0.2:9090", "10.0.0.3:9090",
            "logic-4.danmaku.svc:9090");

    private static Map<String, String> assign(List<String> members) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < USERS; i++) {
            String user = "user-" + i;
            out.put(user, Rendezvous.pick(user, members));
        }
        return out;
    }

    @Test
    void theSameUserAlwaysGetsTheSameAddressWhateverTheOrderOfTheList() {
        Map<String, String> first = assign(FOUR);
        Random random = new Random(42);
        for (int round = 0; round < 5; round++) {
            List<String> shuffled = new ArrayList<>(FOUR);
            Collections.shuffle(shuffled, random);
            assertThat(assign(shuffled)).isEqualTo(first);
        }
    }

    @Test
    void usersSpreadOverEveryAddress() {
        Map<String, Long> perAddress = new HashMap<>();
        assign(FOUR).values().forEach(a -> perAddress.merge(a, 1L, Long::sum));

        assertThat(perAddress).hasSize(4);
        // a quarter each; 2,000..3,000 is more than 10 standard deviations wide
        assertThat(perAddress.values()).allSatisfy(n -> assertThat(n).isBetween(2_000L, 3_000L));
    }

    @Test
    void anAddedAddressTakesAboutItsShareAndOnlyFromTheOthers() {
        Map<String, String> before = assign(FOUR);
        List<String> five = new ArrayList<>(FOUR);
        five.add(2, "10.0.0.5:9090");
        Map<String, String> after = assign(five);

        int moved = 0;
        for (Map.Entry<String, String> e : before.entrySet()) {
            String now = after.get(e.getKey());
            if (!now.equals(e.getValue())) {
                moved++;
                assertThat(now).as("where %s moved", e.getKey()).isEqualTo("10.0.0.5:9090");
            }
        }
        // 1/5 of the users: 2,000, give or take
        assertThat(moved).isBetween(1_600, 2_400);
    }

    @Test
    void aRemovedAddressHandsOnOnlyItsOwnUsers() {
        Map<String, String> before = assign(FOUR);
        List<String> three = new ArrayList<>(FOUR);
        three.remove("10.0.0.2:9090");
        Map<String, String> after = assign(three);

        for (Map.Entry<String, String> e : before.entrySet()) {
            if (e.getValue().equals("10.0.0.2:9090")) {
                assertThat(after.get(e.getKey())).isNotEqualTo("10.0.0.2:9090");
            } else {
                assertThat(after.get(e.getKey())).as("user %s", e.getKey()).isEqualTo(e.getValue());
            }
        }
    }

    @Test
    void theHashIsTheSameInEveryProcess() {
        // gateways of different builds must route a user alike: this value must never change
        assertThat(Rendezvous.hash("user-1")).isEqualTo(HASH_OF_USER_1);
        assertThat(Rendezvous.hash("")).isEqualTo(Rendezvous.mix(0xcbf29ce484222325L));
    }

    private static final long HASH_OF_USER_1 = 1798793576219936927L;
}
