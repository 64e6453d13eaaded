package io.danmaku.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which room ids the {@code gateway.private-rooms} patterns make private. */
class PrivateRoomsTest {

    @Test
    void aStarStandsForAnyRunOfCharactersIncludingNone() {
        PrivateRooms rooms = PrivateRooms.of(List.of("private.*", "*.staff", "team-*-ops", "exact"));

        assertThat(rooms.isPrivate("private.a")).isTrue();
        assertThat(rooms.isPrivate("private.")).isTrue();
        assertThat(rooms.isPrivate("red.staff")).isTrue();
        assertThat(rooms.isPrivate("team-a-b-ops")).isTrue();
        assertThat(rooms.isPrivate("team--ops")).isTrue();
        assertThat(rooms.isPrivate("exact")).isTrue();

        assertThat(rooms.isPrivate("privateroom")).isFalse();
        assertThat(rooms.isPrivate("Private.a")).as("case-sensitive").isFalse();
        assertThat(rooms.isPrivate("red.staff2")).isFalse();
        assertThat(rooms.isPrivate("team-ops")).as("the two literal parts may not overlap").isFalse();
        assertThat(rooms.isPrivate("exact2")).isFalse();
        assertThat(rooms.isPrivate("room1")).isFalse();
    }

    @Test
    void severalStarsMatchInOrder() {
        PrivateRooms rooms = PrivateRooms.of(List.of("a*b*c"));

        assertThat(rooms.isPrivate("abc")).isTrue();
        assertThat(rooms.isPrivate("a.b.b.c")).isTrue();
        assertThat(rooms.isPrivate("acb")).isFalse();
        assertThat(rooms.isPrivate("abcb")).isFalse();
        assertThat(PrivateRooms.of(List.of("*")).isPrivate("anything")).isTrue();
    }

    @Test
    void noPatternsNoPrivateRooms() {
        assertThat(PrivateRooms.of(List.of())).isSameAs(PrivateRooms.NONE);
        assertThat(PrivateRooms.NONE.isPrivate("private.a")).isFalse();
    }

    @Test
    void aPatternOutsideTheRoomAlphabetIsRefusedNamingTheSetting() {
        assertThatThrownBy(() -> PrivateRooms.of(List.of("private/*")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gateway.private-rooms")
                .hasMessageContaining("private/*");
        assertThatThrownBy(() -> PrivateRooms.of(List.of(""))).isInstanceOf(IllegalArgumentException.class);
    }
}
