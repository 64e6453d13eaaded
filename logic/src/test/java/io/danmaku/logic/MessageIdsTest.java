package io.danmaku.logic;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MessageIdsTest {

    @Test
    void idsAre26Base32CharactersCarryingTheTime() {
        TestClock clock = new TestClock();
        String id = new MessageIds(clock).next();
        assertThat(id).hasSize(26).matches("[0-9A-HJKMNP-TV-Z]{26}");
        assertThat(MessageIds.timeMillis(id)).isEqualTo(clock.millis());
    }

    @Test
    void idsSortByTime() {
        TestClock clock = new TestClock();
        MessageIds ids = new MessageIds(clock);
        List<String> generated = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            generated.add(ids.next());
            clock.advance(Duration.ofMillis(1));
        }
        assertThat(generated).isSorted();
    }

    @Test
    void idsOfTheSameMillisecondAreDistinct() {
        MessageIds ids = new MessageIds(new TestClock());
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            assertThat(seen.add(ids.next())).isTrue();
        }
    }

    @Test
    void theLayoutIsFixed() {
        assertThat(MessageIds.format(0, 0, 0)).isEqualTo("00000000000000000000000000");
        assertThat(MessageIds.format(0xFFFF_FFFF_FFFFL, 0xFFFF, -1L)).isEqualTo("7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
        assertThat(MessageIds.format(1, 0, 1)).isEqualTo("00000000010000000000000001");
    }
}
