package io.danmaku.protocol;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A retraction: the room event by which a moderator deletes messages that were already sent,
 * {@code {"id","room","time","cmd":"DELETE","ids":["<message id>",…]}}. It travels in the room's own stream like
 * any message (so it is ordered after the messages it names, on every gateway and in storage), and whoever holds
 * those messages drops them when it sees it: clients take them off the screen, the gateways' recent rings and the
 * hot history forget them, the archive marks them (a tombstone), so no history, recovery or timeline serves them
 * again. The event itself stays in the stream and the hot history: a client that recovers after a reconnect
 * receives it too.
 *
 * <p>Only the server API makes retractions ({@code /api/delete}, {@code /api/delete_user_messages}); a published
 * event with {@code "cmd":"DELETE"} is refused.
 */
public final class Retraction {
    /** The {@code cmd} of a retraction event. */
    public static final String CMD = "DELETE";
    /** The field listing the deleted messages' ids. */
    public static final String IDS = "ids";
    /** At most this many ids in one retraction. */
    public static final int MAX_IDS = 1000;

    private static final byte[] TIME_KEY = "\"time\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CMD_AFTER_TIME = (",\"cmd\":\"" + CMD + "\"").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ID_PREFIX = "{\"id\":\"".getBytes(StandardCharsets.US_ASCII);

    private Retraction() {
    }

    /** The retraction event of {@code ids} (1..{@value #MAX_IDS} message ids of {@code room}). */
    public static RoomMessage event(String id, String room, long timeMillis, Collection<String> ids) {
        requireNonNull(ids, "ids");
        if (ids.isEmpty() || ids.size() > MAX_IDS) {
            throw new IllegalArgumentException("ids: " + ids.size() + " (expected: 1.." + MAX_IDS + ")");
        }
        ObjectNode fields = Json.MAPPER.createObjectNode();
        ArrayNode list = fields.putArray(IDS);
        for (String i : ids) {
            list.add(requireNonNull(i, "ids element"));
        }
        return RoomMessage.event(id, room, timeMillis, CMD, fields);
    }

    /**
     * Whether {@code payload} (a room message's compact JSON as {@code RoomMessageCodec} writes it) is a
     * retraction. Looks at the few bytes after the stamp's {@code time} only, so it is cheap enough for every
     * record of the fan-out; the stamp is written in the fixed order {@code id, room, time, cmd}, and neither
     * the id nor the room can hold a quote.
     */
    public static boolean isRetraction(byte[] payload) {
        int at = indexOf(payload, TIME_KEY, 0);
        if (at < 0) {
            return false;
        }
        int i = at + TIME_KEY.length;
        while (i < payload.length && (payload[i] == '-' || (payload[i] >= '0' && payload[i] <= '9'))) {
            i++;
        }
        if (i + CMD_AFTER_TIME.length > payload.length) {
            return false;
        }
        for (int k = 0; k < CMD_AFTER_TIME.length; k++) {
            if (payload[i + k] != CMD_AFTER_TIME[k]) {
                return false;
            }
        }
        return true;
    }

    /** The message ids a retraction names; empty for any other payload (or one that is not JSON). */
    public static List<String> ids(byte[] payload) {
        if (!isRetraction(payload)) {
            return List.of();
        }
        try {
            JsonNode ids = Json.MAPPER.readTree(payload).get(IDS);
            if (ids == null || !ids.isArray()) {
                return List.of();
            }
            List<String> out = new ArrayList<>(ids.size());
            for (JsonNode n : ids) {
                if (n.isTextual()) {
                    out.add(n.textValue());
                }
            }
            return out;
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * The message id of a room message's payload ({@code {"id":"…",…}}, as {@code RoomMessageCodec} writes it),
     * read from its first bytes; null when the payload does not start that way.
     */
    public static String messageId(byte[] payload) {
        if (payload.length < ID_PREFIX.length) {
            return null;
        }
        for (int k = 0; k < ID_PREFIX.length; k++) {
            if (payload[k] != ID_PREFIX[k]) {
                return null;
            }
        }
        for (int i = ID_PREFIX.length; i < payload.length; i++) {
            byte b = payload[i];
            if (b == '"') {
                return new String(payload, ID_PREFIX.length, i - ID_PREFIX.length, StandardCharsets.UTF_8);
            }
            if (b == '\\') {
                return null; // an escape: not an id the server made
            }
        }
        return null;
    }

    private static int indexOf(byte[] a, byte[] key, int from) {
        outer:
        for (int i = from; i + key.length <= a.length; i++) {
            for (int k = 0; k < key.length; k++) {
                if (a[i + k] != key[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
