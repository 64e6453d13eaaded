package io.danmaku.logic.rule;

import io.danmaku.protocol.RoomId;
import io.danmaku.protocol.RoomMessage;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.RejectReason;
import java.util.concurrent.CompletableFuture;

/**
 * The shape of a post, checked without I/O: room id, a user, the text (present, not blank, at most N code
 * points, well-formed UTF-16 — what valid UTF-8 becomes once decoded —, no control characters), color, mode,
 * {@code progress} and the length of {@code clientMsgId}. Messages name the field, the value and what was expected.
 *
 * <p>Control characters are the C0 and C1 ranges and DEL (Unicode category Cc: tabs and newlines included) and
 * the line and paragraph separators U+2028/U+2029: a danmaku is one line. Indexes in messages count code points
 * from 0. A text is blank when it holds only white space or invisible format characters (e.g. U+200B).
 */
public final class ShapeRule implements PostRule {
    public static final int MAX_CLIENT_MSG_ID_LENGTH = 64;
    public static final String ANONYMOUS_MESSAGE = "posting needs a user: connect with a token";

    private final int maxTextCodePoints;

    public ShapeRule(int maxTextCodePoints) {
        if (maxTextCodePoints < 1) {
            throw new IllegalArgumentException("maxTextCodePoints: " + maxTextCodePoints + " (expected: >= 1)");
        }
        this.maxTextCodePoints = maxTextCodePoints;
    }

    @Override
    public CompletableFuture<Void> check(PostBatch batch) {
        for (int i = 0; i < batch.size(); i++) {
            if (batch.passing(i)) {
                Rejection r = validate(batch.post(i));
                if (r != null) {
                    batch.reject(i, r);
                }
            }
        }
        return PostRule.done();
    }

    /** The same check, synchronously: {@code null} when the post's shape is valid. */
    public Rejection validate(PostRequest post) {
        if (!RoomId.isValid(post.room())) {
            return new Rejection(RejectReason.INVALID_ROOM, RoomId.describeInvalid(post.room(), "room"));
        }
        if (post.user() == null) {
            return new Rejection(RejectReason.PERMISSION_DENIED, ANONYMOUS_MESSAGE);
        }
        Rejection r = validateText(post.text());
        if (r != null) {
            return r;
        }
        r = validateColor(post.color());
        if (r != null) {
            return r;
        }
        r = validateMode(post.mode());
        if (r != null) {
            return r;
        }
        r = validateProgress(post.progressMillis());
        if (r != null) {
            return r;
        }
        return validateClientMsgId(post.clientMsgId());
    }

    /** {@code progress}: absent, or 0..{@link PostRequest#MAX_PROGRESS_MILLIS} ms into the video. */
    public static Rejection validateProgress(Long progressMillis) {
        if (progressMillis != null && (progressMillis < 0 || progressMillis > PostRequest.MAX_PROGRESS_MILLIS)) {
            return bad("progress: " + progressMillis + " (expected: milliseconds into the video, 0.."
                    + PostRequest.MAX_PROGRESS_MILLIS + ")");
        }
        return null;
    }

    /** Text rules alone (also used for server API bodies). */
    public Rejection validateText(String text) {
        String expected = "1.." + maxTextCodePoints + " code points";
        if (text == null) {
            return bad("text: missing (expected: " + expected + ")");
        }
        // cheap bound first: a code point is at most two chars
        int codePoints = text.length() > 2 * maxTextCodePoints ? Integer.MAX_VALUE
                : text.codePointCount(0, text.length());
        if (codePoints > maxTextCodePoints) {
            String count = codePoints == Integer.MAX_VALUE ? "more than " + maxTextCodePoints
                    : String.valueOf(codePoints);
            return new Rejection(RejectReason.TOO_LONG, "text: " + count + " code points (expected: " + expected
                    + ")");
        }
        Rejection r = validateCharacters("text", text);
        if (r != null) {
            return r;
        }
        if (isBlank(text)) {
            return bad("text: " + (text.isEmpty() ? "empty" : "only white space") + " (expected: " + expected
                    + " of visible text)");
        }
        return null;
    }

    public static Rejection validateColor(Integer color) {
        if (color != null && (color < 0 || color > 0xFFFFFF)) {
            return bad("color: " + color + " (expected: 0..16777215, i.e. 0xRRGGBB)");
        }
        return null;
    }

    public static Rejection validateMode(Integer mode) {
        if (mode != null && mode != RoomMessage.MODE_SCROLL && mode != RoomMessage.MODE_BOTTOM
                && mode != RoomMessage.MODE_TOP) {
            return bad("mode: " + mode + " (expected: 1 scroll, 4 bottom or 5 top)");
        }
        return null;
    }

    /** An empty {@code clientMsgId} counts as none. */
    public static Rejection validateClientMsgId(String clientMsgId) {
        if (clientMsgId == null || clientMsgId.isEmpty()) {
            return null;
        }
        if (clientMsgId.length() > MAX_CLIENT_MSG_ID_LENGTH) {
            return bad("clientMsgId: " + clientMsgId.length() + " characters (expected: 1.."
                    + MAX_CLIENT_MSG_ID_LENGTH + ")");
        }
        return validateCharacters("clientMsgId", clientMsgId);
    }

    /**
     * Unpaired surrogates and control characters in {@code value}, reported as {@code field}: {@code null} when
     * there are none.
     */
    public static Rejection validateCharacters(String field, String value) {
        int index = 0;
        for (int i = 0; i < value.length(); index++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= value.length() || !Character.isLowSurrogate(value.charAt(i + 1))) {
                    return bad(field + ": unpaired surrogate " + hex(c) + " at index " + index
                            + " (expected: well-formed Unicode text)");
                }
                i += 2;
                continue;
            }
            if (Character.isLowSurrogate(c)) {
                return bad(field + ": unpaired surrogate " + hex(c) + " at index " + index
                        + " (expected: well-formed Unicode text)");
            }
            if (isControl(c)) {
                return bad(field + ": control character " + hex(c) + " at index " + index
                        + " (expected: one line of printable text)");
            }
            i++;
        }
        return null;
    }

    private static boolean isControl(char c) {
        return Character.getType(c) == Character.CONTROL || c == '\u2028' || c == '\u2029';
    }

    private static boolean isBlank(String text) {
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            boolean invisible = Character.isWhitespace(cp) || Character.isSpaceChar(cp)
                    || Character.getType(cp) == Character.FORMAT;
            if (!invisible) {
                return false;
            }
            i += Character.charCount(cp);
        }
        return true;
    }

    private static String hex(char c) {
        return String.format("U+%04X", (int) c);
    }

    private static Rejection bad(String message) {
        return new Rejection(RejectReason.BAD_REQUEST, message);
    }
}
