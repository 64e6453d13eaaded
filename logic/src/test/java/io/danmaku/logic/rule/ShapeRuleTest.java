package io.danmaku.logic.rule;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.RejectReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ShapeRuleTest {
    private static final UserRef ALICE = new UserRef("u1", "Alice");
    private final ShapeRule rule = new ShapeRule(100);

    private static PostRequest post(String text) {
        return new PostRequest("live.1", ALICE, text, null, null, null);
    }

    private Rejection check(PostRequest post) {
        return Judge.check(rule, post).join();
    }

    @Test
    void aWellFormedPostPasses() {
        assertThat(check(new PostRequest("live.1", ALICE, "hello 弹幕 👋", 0xFF0000, 5, "c-1"))).isNull();
        assertThat(check(new PostRequest("a", ALICE, "x", 0, 1, null))).isNull();
        assertThat(check(new PostRequest("a", ALICE, "x", 0xFFFFFF, 4, ""))).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a b", "room/1", "r\u00e9",
        "x1234567890123456789012345678901234567890123456789012345678901234"})
    void invalidRoomIdIsRejected(String room) {
        Rejection r = check(new PostRequest(room, ALICE, "hi", null, null, null));
        assertThat(r.reason()).isEqualTo(RejectReason.INVALID_ROOM);
        assertThat(r.message()).startsWith("room: ").contains("[A-Za-z0-9_.:-]{1,64}");
    }

    @Test
    void progressIsAbsentOrWithinThirtyDays() {
        assertThat(check(new PostRequest("a", ALICE, "x", null, null, null, null, 0L))).isNull();
        assertThat(check(new PostRequest("a", ALICE, "x", null, null, null, null, PostRequest.MAX_PROGRESS_MILLIS)))
                .isNull();
        for (long bad : new long[] {-1, PostRequest.MAX_PROGRESS_MILLIS + 1, Long.MIN_VALUE}) {
            Rejection r = check(new PostRequest("a", ALICE, "x", null, null, null, null, bad));
            assertThat(r.reason()).as("%d", bad).isEqualTo(RejectReason.BAD_REQUEST);
            assertThat(r.message()).isEqualTo("progress: " + bad + " (expected: milliseconds into the video, 0.."
                    + PostRequest.MAX_PROGRESS_MILLIS + ")");
        }
    }

    @Test
    void anonymousPosterIsDenied() {
        Rejection r = check(new PostRequest("live.1", null, "hi", null, null, null));
        assertThat(r.reason()).isEqualTo(RejectReason.PERMISSION_DENIED);
        assertThat(r.message()).isEqualTo("posting needs a user: connect with a token");
    }

    @Test
    void missingTextIsABadRequest() {
        Rejection r = check(post(null));
        assertThat(r.reason()).isEqualTo(RejectReason.BAD_REQUEST);
        assertThat(r.message()).isEqualTo("text: missing (expected: 1..100 code points)");
    }

    @Test
    void emptyTextIsABadRequest() {
        Rejection r = check(post(""));
        assertThat(r.reason()).isEqualTo(RejectReason.BAD_REQUEST);
        assertThat(r.message()).startsWith("text: empty");
    }

    @ParameterizedTest
    @ValueSource(strings = {" ", "   ", "\u3000", "\u00a0 \u200b", "\ufeff"})
    void whiteSpaceOnlyTextIsABadRequest(String text) {
        Rejection r = check(post(text));
        assertThat(r.reason()).isEqualTo(RejectReason.BAD_REQUEST);
        assertThat(r.message()).startsWith("text: only white space");
    }

    @Test
    void exactlyTheLimitPassesAndOneMoreIsTooLong() {
        assertThat(check(post("a".repeat(100)))).isNull();
        Rejection r = check(post("a".repeat(101)));
        assertThat(r.reason()).isEqualTo(RejectReason.TOO_LONG);
        assertThat(r.message()).isEqualTo("text: 101 code points (expected: 1..100 code points)");
    }

    @Test
    void anEmojiCountsAsOneCodePoint() {
        String hundredEmoji = "😀".repeat(100); // 200 UTF-16 chars
        assertThat(hundredEmoji).hasSize(200);
        assertThat(check(post(hundredEmoji))).isNull();
        Rejection r = check(post(hundredEmoji + "😀"));
        assertThat(r.reason()).isEqualTo(RejectReason.TOO_LONG);
    }

    @Test
    void aHugeTextIsTooLongWithoutCounting() {
        Rejection r = check(post("a".repeat(100_000)));
        assertThat(r.reason()).isEqualTo(RejectReason.TOO_LONG);
        assertThat(r.message()).startsWith("text: more than 100 code points");
    }

    @Test
    void theLimitIsConfigurable() {
        ShapeRule short5 = new ShapeRule(5);
        assertThat(Judge.check(short5, post("12345")).join()).isNull();
        assertThat(Judge.check(short5, post("123456")).join().reason()).isEqualTo(RejectReason.TOO_LONG);
    }

    @Test
    void unpairedSurrogatesAreRejected() {
        Rejection lonelyHigh = check(post("ab\ud83dcd"));
        assertThat(lonelyHigh.reason()).isEqualTo(RejectReason.BAD_REQUEST);
        assertThat(lonelyHigh.message()).startsWith("text: unpaired surrogate U+D83D at index 2");

        Rejection trailingHigh = check(post("abc\ud83d"));
        assertThat(trailingHigh.message()).startsWith("text: unpaired surrogate U+D83D at index 3");

        Rejection lonelyLow = check(post("\ude00x"));
        assertThat(lonelyLow.message()).startsWith("text: unpaired surrogate U+DE00 at index 0");
    }

    @Test
    void controlCharactersAreRejectedNamingTheCodePointAndIndex() {
        Rejection newline = check(post("abc\ndef"));
        assertThat(newline.reason()).isEqualTo(RejectReason.BAD_REQUEST);
        assertThat(newline.message()).startsWith("text: control character U+000A at index 3");

        assertThat(check(post("\tx")).message()).startsWith("text: control character U+0009 at index 0");
        assertThat(check(post("x\u0000")).message()).startsWith("text: control character U+0000 at index 1");
        assertThat(check(post("x\r")).message()).startsWith("text: control character U+000D at index 1");
        assertThat(check(post("x\u007f")).message()).startsWith("text: control character U+007F at index 1");
        assertThat(check(post("x\u2028y")).message()).startsWith("text: control character U+2028 at index 1");
    }

    @Test
    void theIndexCountsCodePoints() {
        // the emoji is two chars but one code point: the newline is at code point index 1
        assertThat(check(post("😀\n")).message()).startsWith("text: control character U+000A at index 1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\u0080", "\u0085", "\u009b", "\u009f"})
    void c1ControlCharactersAreRejected(String c1) {
        Rejection r = check(post("a" + c1 + "b"));
        assertThat(r.reason()).isEqualTo(RejectReason.BAD_REQUEST);
        assertThat(r.message())
                .startsWith(String.format("text: control character U+%04X at index 1", (int) c1.charAt(0)));
    }

    @Test
    void onlyControlCharactersAreReportedAsControlNotBlank() {
        assertThat(check(post("\n\t")).message()).startsWith("text: control character U+000A at index 0");
    }

    @Test
    void colorOutOfRangeIsRejected() {
        Rejection negative = check(new PostRequest("live.1", ALICE, "hi", -1, null, null));
        assertThat(negative.reason()).isEqualTo(RejectReason.BAD_REQUEST);
        assertThat(negative.message()).isEqualTo("color: -1 (expected: 0..16777215, i.e. 0xRRGGBB)");
        assertThat(check(new PostRequest("live.1", ALICE, "hi", 0x1000000, null, null)).message())
                .startsWith("color: 16777216");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2, 3, 6, -1, 100})
    void modeOutsideScrollBottomTopIsRejected(int mode) {
        Rejection r = check(new PostRequest("live.1", ALICE, "hi", null, mode, null));
        assertThat(r.reason()).isEqualTo(RejectReason.BAD_REQUEST);
        assertThat(r.message()).isEqualTo("mode: " + mode + " (expected: 1 scroll, 4 bottom or 5 top)");
    }

    @Test
    void clientMsgIdOver64CharactersIsRejected() {
        assertThat(check(new PostRequest("live.1", ALICE, "hi", null, null, "x".repeat(64)))).isNull();
        Rejection r = check(new PostRequest("live.1", ALICE, "hi", null, null, "x".repeat(65)));
        assertThat(r.reason()).isEqualTo(RejectReason.BAD_REQUEST);
        assertThat(r.message()).isEqualTo("clientMsgId: 65 characters (expected: 1..64)");
    }

    @Test
    void clientMsgIdWithControlCharactersIsRejected() {
        Rejection r = check(new PostRequest("live.1", ALICE, "hi", null, null, "a\nb"));
        assertThat(r.reason()).isEqualTo(RejectReason.BAD_REQUEST);
        assertThat(r.message()).startsWith("clientMsgId: control character U+000A at index 1");
    }

    @Test
    void theRoomIsCheckedFirstThenTheUserThenTheText() {
        assertThat(check(new PostRequest("bad room", null, "", -1, 9, null)).reason())
                .isEqualTo(RejectReason.INVALID_ROOM);
        assertThat(check(new PostRequest("ok", null, "", -1, 9, null)).reason())
                .isEqualTo(RejectReason.PERMISSION_DENIED);
        assertThat(check(new PostRequest("ok", ALICE, "", -1, 9, null)).message()).startsWith("text:");
        assertThat(check(new PostRequest("ok", ALICE, "x", -1, 9, null)).message()).startsWith("color:");
    }
}
