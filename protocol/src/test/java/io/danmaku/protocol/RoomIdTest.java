package io.danmaku.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RoomIdTest {

    @Test
    void acceptsTheAllowedCharactersUpToSixtyFour() {
        assertThat(RoomId.isValid("a")).isTrue();
        assertThat(RoomId.isValid("live:12345")).isTrue();
        assertThat(RoomId.isValid("Video_2024.ep-01:chat")).isTrue();
        assertThat(RoomId.isValid("x".repeat(64))).isTrue();
        assertThat(RoomId.requireValid("room-1", "room")).isEqualTo("room-1");
    }

    @Test
    void rejectsEmptyTooLongUnicodeSpacesAndNull() {
        assertThat(RoomId.isValid("x".repeat(65))).isFalse();
        assertThat(RoomId.isValid("")).isFalse();
        assertThat(RoomId.isValid(null)).isFalse();
        assertThat(RoomId.isValid("直播间")).isFalse();
        assertThat(RoomId.isValid("room 1")).isFalse();
        assertThat(RoomId.isValid("room/1")).isFalse();
        assertThat(RoomId.isValid("room\n")).isFalse();
        assertThat(RoomId.isValid("{room}")).isFalse();
    }

    @Test
    void theErrorNamesTheFieldTheValueAndThePattern() {
        assertThatThrownBy(() -> RoomId.requireValid("bad room", "post.room"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("post.room: \"bad room\" (expected: a room id matching " + RoomId.PATTERN_TEXT + ")");
        assertThatThrownBy(() -> RoomId.requireValid(null, "room")).hasMessageStartingWith("room: null");
        assertThat(RoomId.describeInvalid("y".repeat(200), "room")).contains("y".repeat(80) + "…")
                .doesNotContain("y".repeat(81));
    }

    @Test
    void aUserLimitedRoomListsItsUsersAfterTheBoundary() {
        assertThat(RoomId.isValid("notifications#alice")).isTrue();
        assertThat(RoomId.isValid("dm#alice,bob@example.com")).isTrue();
        assertThat(RoomId.isValid("x".repeat(64) + "#" + "u".repeat(64) + "," + "v".repeat(64))).isTrue();
        assertThat(RoomId.isValid("x".repeat(64) + "#" + ("u".repeat(64) + ",").repeat(3) + "v")).isFalse(); // > 255
        for (String bad : List.of("#alice", "room#", "room#alice,", "room#,alice", "room#a,,b", "room#a#b",
                "room@x", "room#" + "u".repeat(65), "room#al ice", "room#{a}")) {
            assertThat(RoomId.isValid(bad)).as(bad).isFalse();
        }
        assertThat(RoomId.limitedTo("dm#alice,bob")).containsExactly("alice", "bob");
        assertThat(RoomId.limitedTo("lobby")).isNull();
        assertThat(RoomId.admits("dm#alice,bob", "bob")).isTrue();
        assertThat(RoomId.admits("dm#alice,bob", "alice")).isTrue();
        assertThat(RoomId.admits("dm#alice,bob", "ali")).isFalse();
        assertThat(RoomId.admits("dm#alice,bob", "alice,bob")).isFalse();
        assertThat(RoomId.admits("dm#alice,bob", null)).isFalse();
        assertThat(RoomId.admits("lobby", null)).isTrue();
    }

    @Test
    void aRoomPatternMatchesWithStarsOnly() {
        assertThat(new RoomPattern("live:*").matches("live:1")).isTrue();
        assertThat(new RoomPattern("live:*").matches("live:")).isTrue();
        assertThat(new RoomPattern("live:*").matches("xlive:1")).isFalse();
        assertThat(new RoomPattern("*#alice").matches("notes#alice")).isTrue();
        assertThat(new RoomPattern("*#alice").matches("notes#alice,bob")).isFalse();
        assertThat(new RoomPattern("a*b*c").matches("aXXbYYc")).isTrue();
        assertThat(new RoomPattern("a*b*c").matches("aXXbYY")).isFalse();
        assertThat(RoomPattern.ANY.matches("anything")).isTrue();
        assertThatThrownBy(() -> new RoomPattern("live?")).hasMessageContaining("pattern: character '?'");
        assertThatThrownBy(() -> new RoomPattern("")).hasMessageStartingWith("pattern: 0 characters");
    }
}
