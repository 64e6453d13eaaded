package io.danmaku.protocol;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A stamped room message, as logic hands it to the bus. Two kinds share the shape:
 * <ul>
 *   <li>a danmaku post ({@code cmd == null}): {@code user}, {@code text}, {@code color} (0xRRGGBB),
 *       {@code mode} (1 scroll, 4 bottom, 5 top, as in Bilibili's layout);</li>
 *   <li>a custom event from the server API ({@code cmd} set, e.g. {@code GIFT}, {@code NOTICE}): the fields
 *       the backend sent are kept as they are in {@code extra}; {@code user} and {@code text} may be absent.</li>
 * </ul>
 * Both carry the server stamp: {@code id} (unique), {@code room} and {@code timeMillis} (server time). Fields
 * the server does not model are kept in {@code extra} and written back out unchanged. The position in the
 * room's stream (offset, epoch) is not part of the message: the bus assigns it, see {@link RoomRecord}.
 *
 * <p>{@code priority}: a backend published the message with the server API's {@code priority} flag. Whether a
 * message is a <em>priority</em> message (never sampled out of a hot room's fan-out) is decided in one place,
 * {@link #isPriority()}.
 */
public record RoomMessage(String id, String room, long timeMillis, UserRef user, String text, int color, int mode,
                          String cmd, boolean priority, ObjectNode extra) {
    public static final int DEFAULT_COLOR = 0xFFFFFF;
    public static final int MODE_SCROLL = 1;
    public static final int MODE_BOTTOM = 4;
    public static final int MODE_TOP = 5;
    public static final int DEFAULT_MODE = MODE_SCROLL;
    /**
     * The field of {@code extra} holding a danmaku's {@code progress}: milliseconds into the video when the viewer
     * posted it (a video that is not live), its position on the room's timeline.
     */
    public static final String PROGRESS = "progress";

    public RoomMessage {
        requireNonNull(id, "id");
        requireNonNull(room, "room");
        extra = extra == null ? JsonNodeFactory.instance.objectNode() : extra;
    }

    /** A message without the priority flag. */
    public RoomMessage(String id, String room, long timeMillis, UserRef user, String text, int color, int mode,
                       String cmd, ObjectNode extra) {
        this(id, room, timeMillis, user, text, color, mode, cmd, false, extra);
    }

    public static RoomMessage danmaku(String id, String room, long timeMillis, UserRef user, String text, int color,
                                      int mode, ObjectNode extra) {
        requireNonNull(text, "text");
        return new RoomMessage(id, room, timeMillis, user, text, color, mode, null, extra);
    }

    public static RoomMessage event(String id, String room, long timeMillis, String cmd, ObjectNode fields) {
        requireNonNull(cmd, "cmd");
        return new RoomMessage(id, room, timeMillis, null, null, DEFAULT_COLOR, DEFAULT_MODE, cmd, fields);
    }

    /** True for a danmaku post, false for a custom event with a {@code cmd}. */
    public boolean isDanmaku() {
        return cmd == null;
    }

    /** This message with the server API's priority flag set. */
    public RoomMessage withPriority() {
        return priority ? this : new RoomMessage(id, room, timeMillis, user, text, color, mode, cmd, true, extra);
    }

    /**
     * Whether this is a priority message, which a hot room's fan-out never samples out: see
     * {@link #isPriority(boolean, boolean, boolean)}. Everything else is ordinary chat.
     */
    public boolean isPriority() {
        return isPriority(cmd != null, user != null, priority);
    }

    /**
     * The rule for {@link #isPriority()}, for readers that have only these three facts of a message (the fan-out
     * reads them from the payload without decoding it whole, {@code RoomMessageCodec.classify}). A message is a
     * priority message when it is
     * <ul>
     *   <li>an event ({@code hasCmd}): gifts, notices, retractions, anything a backend sends with a {@code cmd};</li>
     *   <li>a system message ({@code !hasUser}): a danmaku a backend published without a user (clients always post
     *       as a user);</li>
     *   <li>flagged ({@code priorityFlag}): published through the server API with {@code "priority": true}, the way
     *       a backend sends a moderator's or host's message.</li>
     * </ul>
     */
    public static boolean isPriority(boolean hasCmd, boolean hasUser, boolean priorityFlag) {
        return hasCmd || !hasUser || priorityFlag;
    }
}
