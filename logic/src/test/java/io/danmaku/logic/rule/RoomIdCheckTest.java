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
 * pattern ({@link RoomId#PATTERN_TEXT}) for every string, so that no client sees a room accepted or refused
 * differently than before.
 */
class RoomIdCheckTest {
    private static final Pattern DOCUMENTED = Pattern.compile(RoomId.PATTERN_TEXT);
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
        }
        assertThat(RoomId.isValid(null)).isFalse();
    }

    @Test
    void randomMixesAreJudgedAsThePatternDoes() {
        Random random = new Random(20261127L);
        String alphabet = "aZ09_.:-/ 弹\u0000\uD83D\uDE00é+#";
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
        boolean expected = DOCUMENTED.matcher(room).matches();
        assertThat(RoomId.isValid(room)).as("room %s", room).isEqualTo(expected);
        Rejection r = shape.validate(new PostRequest(room, new UserRef("u1", "A"), "hi", null, null, null));
        if (expected) {
            assertThat(r).as("room %s", room).isNull();
        } else {
            assertThat(r.reason()).as("room %s", room).isEqualTo(RejectReason.INVALID_ROOM);
        }
    }
}
