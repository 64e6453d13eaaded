package io.danmaku.logic.api;

import static io.danmaku.logic.api.ServerApi.BadRequest;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.danmaku.logic.LogicService;
import io.danmaku.protocol.RoomPattern;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.api.ApiResponse;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.store.ControlMessage;
import io.danmaku.protocol.store.HistoryQuery;
import io.danmaku.protocol.store.HotStore;
import io.danmaku.protocol.store.NodeInfo;
import io.danmaku.protocol.store.PresenceMember;
import io.danmaku.protocol.store.PresenceSnapshot;
import io.danmaku.protocol.store.RefreshRequest;
import io.danmaku.protocol.store.SubscribeRequest;
import io.danmaku.protocol.store.UnsubscribeRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server API's methods about users' connections and the cluster's state, beside {@link ServerApi}'s publish and
 * moderation: {@code subscribe}, {@code unsubscribe}, {@code refresh} (sent to every gateway through the hot store's
 * control channel), {@code presence}, {@code presence_stats}, {@code history}, {@code history_remove},
 * {@code channels} and {@code info} (read from the hot store, where gateways and nodes report). Request and result
 * shapes are Centrifugo's; fields are read with {@link ServerApi}'s helpers, so a bad one is a 107 naming it.
 */
final class ClusterMethods {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterMethods.class);
    /** {@code channels} answers at most this many rooms; more matching is error 106. */
    static final int MAX_CHANNELS = 10_000;
    static final int CODE_LIMIT_EXCEEDED = 106;
    static final int CODE_UNRECOVERABLE_POSITION = 112;

    private final LogicService logic;
    private final HotStore store;
    private final int presenceMaxMembers;

    ClusterMethods(LogicService logic, int presenceMaxMembers) {
        this.logic = requireNonNull(logic, "logic");
        this.store = logic.hotStore();
        this.presenceMaxMembers = presenceMaxMembers;
    }

    /** The methods by name, to add to the server API's table. */
    Map<String, Function<ObjectNode, CompletableFuture<ApiResponse>>> methods() {
        return Map.of(
                "subscribe", this::subscribe,
                "unsubscribe", this::unsubscribe,
                "refresh", this::refresh,
                "presence", this::presence,
                "presence_stats", this::presenceStats,
                "history", this::history,
                "history_remove", this::historyRemove,
                "channels", this::channels,
                "info", this::info);
    }

    // ---- connections of a user, on every gateway

    private CompletableFuture<ApiResponse> subscribe(ObjectNode body) {
        String user = ServerApi.user(body);
        String room = ServerApi.room(body, "channel");
        String client = ServerApi.client(body);
        LOG.info("server API: subscribe user {}{} to room {}", user, client == null ? "" : " client " + client, room);
        return control(new SubscribeRequest(user, client, room));
    }

    private CompletableFuture<ApiResponse> unsubscribe(ObjectNode body) {
        String user = ServerApi.user(body);
        String room = ServerApi.room(body, "channel");
        String client = ServerApi.client(body);
        LOG.info("server API: unsubscribe user {}{} from room {}", user, client == null ? "" : " client " + client,
                room);
        return control(new UnsubscribeRequest(user, client, room));
    }

    private CompletableFuture<ApiResponse> refresh(ObjectNode body) {
        String user = ServerApi.user(body);
        String client = ServerApi.client(body);
        JsonNode expiredNode = body.get("expired");
        if (expiredNode != null && !expiredNode.isNull() && !expiredNode.isBoolean()) {
            throw new BadRequest("expired: " + ServerApi.abbreviate(expiredNode.toString()) + " (expected: a boolean)");
        }
        boolean expired = expiredNode != null && expiredNode.booleanValue();
        JsonNode at = body.get("expire_at");
        long expireAt = 0;
        if (at != null && !at.isNull()) {
            if (!at.isIntegralNumber() || !at.canConvertToLong() || at.longValue() < 0
                    || at.longValue() > 253_402_300_799L) {
                throw new BadRequest("expire_at: " + ServerApi.abbreviate(at.toString())
                        + " (expected: Unix seconds, 0..253402300799; 0 = no expiry)");
            }
            expireAt = at.longValue();
        }
        LOG.info("server API: refresh user {}{}: {}", user, client == null ? "" : " client " + client,
                expired ? "expired" : expireAt == 0 ? "no expiry" : "expires at " + expireAt);
        return control(new RefreshRequest(user, client, expired, expireAt));
    }

    CompletableFuture<ApiResponse> control(ControlMessage message) {
        return logic.control(message).handle((v, e) -> {
            if (e != null) {
                return ApiResponse.error(503, ServerApi.CODE_NOT_AVAILABLE, "unavailable: hot store unavailable, retry");
            }
            return ok(Json.MAPPER.createObjectNode());
        });
    }

    // ---- presence

    private CompletableFuture<ApiResponse> presence(ObjectNode body) {
        String room = ServerApi.room(body, "channel");
        int limit = optionalInt(body, "limit", 1, presenceMaxMembers, presenceMaxMembers);
        String after = optionalText(body, "after", ControlMessage.MAX_CLIENT_ID_LENGTH);
        return read(store.presence(room), snapshot -> {
            if (snapshot.clients() > presenceMaxMembers) {
                return ApiResponse.error(503, ServerApi.CODE_NOT_AVAILABLE, "not available: presence lists rooms of at"
                        + " most " + presenceMaxMembers + " connections (presence.max-members); room " + room
                        + " has " + snapshot.clients() + ": use presence_stats");
            }
            List<PresenceMember> members = new ArrayList<>(snapshot.members());
            members.sort(Comparator.comparing(PresenceMember::clientId));
            ObjectNode result = Json.MAPPER.createObjectNode();
            ObjectNode presence = result.putObject("presence");
            int listed = 0;
            String last = null;
            for (PresenceMember m : members) {
                if (after != null && m.clientId().compareTo(after) <= 0) {
                    continue;
                }
                if (listed == limit) {
                    result.put("next", last);
                    break;
                }
                ObjectNode info = presence.putObject(m.clientId());
                info.put("client", m.clientId());
                info.put("user", m.userId());
                if (m.connInfo() != null) {
                    info.putRawValue("conn_info", new RawValue(m.connInfo()));
                }
                listed++;
                last = m.clientId();
            }
            return ok(result);
        });
    }

    private CompletableFuture<ApiResponse> presenceStats(ObjectNode body) {
        String room = ServerApi.room(body, "channel");
        return read(store.presence(room), snapshot -> {
            ObjectNode result = Json.MAPPER.createObjectNode();
            result.put("num_clients", snapshot.clients());
            result.put("num_users", users(snapshot));
            return ok(result);
        });
    }

    /** Distinct users when every member is listed (anonymous connections one each), else the gateways' sum. */
    static long users(PresenceSnapshot snapshot) {
        if (!snapshot.complete()) {
            return snapshot.users();
        }
        Set<String> users = new HashSet<>();
        long anonymous = 0;
        for (PresenceMember m : snapshot.members()) {
            if (m.userId().isEmpty()) {
                anonymous++;
            } else {
                users.add(m.userId());
            }
        }
        return users.size() + anonymous;
    }

    // ---- history

    private CompletableFuture<ApiResponse> history(ObjectNode body) {
        String room = ServerApi.room(body, "channel");
        int limit = optionalInt(body, "limit", 0, HistoryQuery.MAX_LIMIT, 0);
        JsonNode reverseNode = body.get("reverse");
        if (reverseNode != null && !reverseNode.isNull() && !reverseNode.isBoolean()) {
            throw new BadRequest("reverse: " + ServerApi.abbreviate(reverseNode.toString()) + " (expected: a boolean)");
        }
        boolean reverse = reverseNode != null && reverseNode.booleanValue();
        long since = -1;
        String sinceEpoch = null;
        JsonNode sinceNode = body.get("since");
        if (sinceNode != null && !sinceNode.isNull()) {
            if (!sinceNode.isObject()) {
                throw new BadRequest("since: " + ServerApi.abbreviate(sinceNode.toString())
                        + " (expected: an object {offset, epoch})");
            }
            JsonNode offset = sinceNode.get("offset");
            if (offset == null || !offset.isIntegralNumber() || !offset.canConvertToLong() || offset.longValue() < 0) {
                throw new BadRequest("since.offset: " + (offset == null ? "missing" : ServerApi.abbreviate(
                        offset.toString())) + " (expected: an integer >= 0)");
            }
            JsonNode epoch = sinceNode.get("epoch");
            if (epoch != null && !epoch.isNull() && !epoch.isTextual()) {
                throw new BadRequest("since.epoch: " + ServerApi.abbreviate(epoch.toString()) + " (expected: a string)");
            }
            since = offset.longValue();
            sinceEpoch = epoch == null || epoch.isNull() ? "" : epoch.textValue();
        }
        String busEpoch = logic.bus().epoch(room);
        String clientEpoch = sinceEpoch;
        long from = since;
        return read(store.history(new HistoryQuery(room, since, limit, reverse)), page -> {
            String epoch = page.epoch().isEmpty() ? busEpoch : page.epoch();
            if (clientEpoch != null && !clientEpoch.isEmpty() && !clientEpoch.equals(epoch)) {
                return ApiResponse.error(400, CODE_UNRECOVERABLE_POSITION, "unrecoverable position: since.epoch "
                        + ServerApi.abbreviate(clientEpoch) + " is not the room's epoch " + epoch);
            }
            ObjectNode result = Json.MAPPER.createObjectNode();
            ArrayNode pubs = result.putArray("publications");
            for (RoomRecord r : page.records()) {
                pubs.add(publication(r));
            }
            result.put("epoch", epoch);
            result.put("offset", page.topOffset());
            return ok(result);
        });
    }

    /** {@code {"data":{…message…},"offset":N}} plus the message's {@code tags}, as the client protocol has it. */
    static ObjectNode publication(RoomRecord r) {
        ObjectNode pub = Json.MAPPER.createObjectNode();
        try {
            JsonNode data = Json.MAPPER.readTree(r.payload());
            pub.set("data", data);
            JsonNode tags = data.get("tags");
            if (tags != null && tags.isObject()) {
                pub.set("tags", tags);
            }
        } catch (java.io.IOException e) {
            pub.put("data", r.payloadText());
        }
        pub.put("offset", r.offset());
        return pub;
    }

    private CompletableFuture<ApiResponse> historyRemove(ObjectNode body) {
        String room = ServerApi.room(body, "channel");
        LOG.info("server API: remove the history of room {}", room);
        return read(store.removeHistory(room), v -> ok(Json.MAPPER.createObjectNode()));
    }

    // ---- channels, info

    private CompletableFuture<ApiResponse> channels(ObjectNode body) {
        JsonNode p = body.get("pattern");
        RoomPattern pattern = RoomPattern.ANY;
        if (p != null && !p.isNull() && !(p.isTextual() && p.textValue().isEmpty())) {
            if (!p.isTextual()) {
                throw new BadRequest("pattern: " + ServerApi.abbreviate(p.toString())
                        + " (expected: a room id pattern, * for any run of characters)");
            }
            try {
                pattern = new RoomPattern(p.textValue());
            } catch (IllegalArgumentException e) {
                throw new BadRequest(e.getMessage() + ": " + ServerApi.abbreviate(p.textValue()));
            }
        }
        RoomPattern matching = pattern;
        return read(store.channels(pattern, MAX_CHANNELS), found -> {
            if (found.size() > MAX_CHANNELS) {
                return ApiResponse.error(400, CODE_LIMIT_EXCEEDED, "limit exceeded: more than " + MAX_CHANNELS
                        + " rooms match pattern " + matching.text() + " (narrow the pattern)");
            }
            ObjectNode result = Json.MAPPER.createObjectNode();
            ObjectNode channels = result.putObject("channels");
            new TreeMap<>(found).forEach((room, n) -> channels.putObject(room).put("num_clients", n));
            return ok(result);
        });
    }

    private CompletableFuture<ApiResponse> info(ObjectNode body) {
        return read(store.nodes(), nodes -> {
            long now = System.currentTimeMillis();
            ObjectNode result = Json.MAPPER.createObjectNode();
            ArrayNode list = result.putArray("nodes");
            for (NodeInfo n : nodes) {
                list.addObject()
                        .put("uid", n.id())
                        .put("name", n.id())
                        .put("role", n.role())
                        .put("version", n.version())
                        .put("num_clients", n.clients())
                        .put("num_users", n.users())
                        .put("num_channels", n.rooms())
                        .put("uptime", Math.max(0, (now - n.startedAtMillis()) / 1000));
            }
            return ok(result);
        });
    }

    // ---- helpers

    /** A store read: its answer mapped, or 503 when the store fails. */
    private static <T> CompletableFuture<ApiResponse> read(CompletableFuture<T> call, Function<T, ApiResponse> answer) {
        return call.handle((value, e) -> e != null
                ? ApiResponse.error(503, ServerApi.CODE_NOT_AVAILABLE, "unavailable: hot store unavailable, retry")
                : answer.apply(value));
    }

    private static ApiResponse ok(ObjectNode result) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.set("result", result);
        return ApiResponse.json(200, root);
    }

    private static int optionalInt(ObjectNode body, String field, int min, int max, int absent) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return absent;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < min || n.intValue() > max) {
            throw new BadRequest(field + ": " + ServerApi.abbreviate(n.toString()) + " (expected: an integer, " + min
                    + ".." + max + ")");
        }
        return n.intValue();
    }

    private static String optionalText(ObjectNode body, String field, int maxLength) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual() || n.textValue().length() > maxLength) {
            throw new BadRequest(field + ": " + ServerApi.abbreviate(n.toString()) + " (expected: a string of at most "
                    + maxLength + " characters)");
        }
        return n.textValue();
    }
}
