package io.danmaku.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
