package io.danmaku.logic.rule;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.protocol.RoomId;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.RejectReason;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The room id check that runs on every post is written by hand; it must give exactly the answers of the documented
 * pattern ({@link RoomId#REGEX} and at most {@link RoomId#MAX_LENGTH} characters) for every string, so that no client sees a room accepted or refused
 * differently than before.
 */
class RoomIdCheckTest {
    private static final Pattern DOCUMENTED = Pattern.compile(RoomId.REGEX);
    private final ShapeRule shape = new ShapeRule(100);

    @Test
    void everySingleCharacterIsJudgedAsThePatternDoes() {
        for (int c = 0; c <= Character.MAX_VALUE; c++) {
            assertSameAnswer(String.valueOf((char) c));
            assertSameAnswer("room" + (char) c + "1");
        }
    }

    @Test
    void lengthsAroundTheBoundsAreJudgedAsThePatternDoes() {
        for (int n = 0; n <= 70; n++) {
            assertSameAnswer("a".repeat(n));
            assertSameAnswer("-".repeat(n));
            assertSameAnswer("a#" + "u".repeat(n));
            assertSameAnswer("a#u," + "@".repeat(n));
        }
        for (int k = 50; k <= 66; k++) { // 193 + k characters: across the 255 limit, and a user past 64
            assertSameAnswer("r".repeat(64) + "#" + ("u".repeat(63) + ",").repeat(2) + "v".repeat(k));
        }
        assertThat(RoomId.isValid(null)).isFalse();
    }

    @Test
    void randomMixesAreJudgedAsThePatternDoes() {
        Random random = new Random(20261127L);
        String alphabet = "aZ09_.:-/ 弹\u0000\uD83D\uDE00é+#,@#,";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder b = new StringBuilder();
            int n = random.nextInt(70);
            for (int j = 0; j < n; j++) {
                b.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            assertSameAnswer(b.toString());
        }
    }

    private void assertSameAnswer(String room) {
        boolean expected = DOCUMENTED.matcher(room).matches() && room.length() <= RoomId.MAX_LENGTH;
        assertThat(RoomId.isValid(room)).as("room %s", room).isEqualTo(expected);
        Rejection r = shape.validate(new PostRequest(room, new UserRef("u1", "A"), "hi", null, null, null));
        if (expected) {
            assertThat(r).as("room %s", room).isNull();
        } else {
            assertThat(r.reason()).as("room %s", room).isEqualTo(RejectReason.INVALID_ROOM);
        }
    }
}
