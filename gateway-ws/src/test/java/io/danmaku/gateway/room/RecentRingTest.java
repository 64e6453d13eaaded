package io.danmaku.gateway.room;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.protocol.RoomRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecentRingTest {
    private static RoomRecord message(long offset) {
        String json = "{\"id\":\"M" + offset + "\",\"room\":\"r\",\"time\":" + (1000 + offset) + ",\"text\":\"t\"}";
        return new RoomRecord("r", offset, "e", 1000 + offset, json.getBytes(StandardCharsets.UTF_8));
    }

    private static RoomRecord retraction(long offset, String... ids) {
        String json = "{\"id\":\"D" + offset + "\",\"room\":\"r\",\"time\":" + (1000 + offset)
                + ",\"cmd\":\"DELETE\",\"ids\":[\"" + String.join("\",\"", ids) + "\"]}";
        return new RoomRecord("r", offset, "e", 1000 + offset, json.getBytes(StandardCharsets.UTF_8));
    }

    private static List<Long> offsets(RingSnapshot s) {
        return s.after().stream().map(RoomRecord::offset).toList();
    }

    @Test
    void aRetractionDropsTheMessagesItNamesAndKeepsTheCoverage() {
        RecentRing ring = new RecentRing(4);
        ring.append(List.of(message(1), message(2), message(3)));
        ring.append(List.of(retraction(4, "M2", "M9")));

        RingSnapshot s = ring.snapshot(0);
        assertThat(offsets(s)).as("M2 gone, the retraction itself kept for recovering clients")
                .containsExactly(1L, 3L, 4L);
        assertThat(s.covers(1, "e")).as("recovery from the ring is still complete").isTrue();
        assertThat(s.top()).isEqualTo(4);

        ring.append(List.of(message(4))); // a replay stays a no-op
        ring.append(List.of(message(5), message(6)));
        assertThat(offsets(ring.snapshot(0))).containsExactly(3L, 4L, 5L, 6L);
        assertThat(ring.snapshot(0).covers(0, "e")).as("1 was evicted").isFalse();
        assertThat(ring.snapshot(0).covers(1, "e")).as("everything after 1 is held").isTrue();
    }

    @Test
    void aSampledSnapshotHasTheSampleAndTheUsersOwnLeftOutPostsAndRecoveryHasEverything() {
        RecentRing ring = new RecentRing(4);
        RoomRecord m2 = message(2);
        RoomRecord m3 = message(3);
        ring.append(List.of(message(1), m2, m3),
                List.of(new FanoutBatch.OwnPost(m2, "ann"), new FanoutBatch.OwnPost(m3, null)));

        assertThat(offsets(ring.snapshot(0))).as("recovery is never sampled").containsExactly(1L, 2L, 3L);
        assertThat(offsets(ring.sampledSnapshot(0, "bob"))).containsExactly(1L);
        assertThat(offsets(ring.sampledSnapshot(0, null))).as("anonymous: nobody's own posts")
                .containsExactly(1L);
        assertThat(offsets(ring.sampledSnapshot(0, "ann"))).containsExactly(1L, 2L);
        assertThat(ring.sampledSnapshot(0, "bob").top()).as("the whole ring's newest").isEqualTo(3);
        assertThat(ring.sampledSnapshot(0, "bob").covers(0, "e")).isTrue();

        // a retraction compacts the ring: the marks move with their records
        ring.append(List.of(retraction(4, "M1")));
        assertThat(offsets(ring.sampledSnapshot(0, "bob"))).containsExactly(4L);
        assertThat(offsets(ring.sampledSnapshot(0, "ann"))).containsExactly(2L, 4L);
        // eviction: the marks leave with their records, the new ones are in the sample
        ring.append(List.of(message(5), message(6), message(7)));
        assertThat(offsets(ring.sampledSnapshot(0, "ann"))).containsExactly(4L, 5L, 6L, 7L);
        assertThat(offsets(ring.sampledSnapshot(0, "bob"))).containsExactly(4L, 5L, 6L, 7L);
    }
}
