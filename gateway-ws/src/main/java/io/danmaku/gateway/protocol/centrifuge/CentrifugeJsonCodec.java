package io.danmaku.gateway.protocol.centrifuge;

import static io.danmaku.gateway.protocol.centrifuge.CentrifugeCodes.DISCONNECT_BAD_REQUEST;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.danmaku.gateway.room.BatchEncoder;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.store.PresenceMember;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The JSON wire format (Centrifugo protocol v2, no subprotocol): text frames, each holding one or more command
 * objects separated by newlines; replies and pushes are JSON objects, one per frame, {@code bytes} fields such as
 * {@code data} embedded as raw JSON.
 *
 * <p>Bad input: a binary frame closes with 1003; text that is not UTF-8 with 1007; a line that is not JSON, not
 * an object, or whose {@code id} is not a non-negative integer with 3501. A known method whose parameters are not
 * an object is a command of its own ({@link CentrifugeCommand.Invalid}: error 107, the connection stays).
 */
public final class CentrifugeJsonCodec implements CentrifugeCodec {
    public static final CentrifugeJsonCodec INSTANCE = new CentrifugeJsonCodec();
    static final String PROTOCOL = "centrifuge";
    private static final byte[] PING = "{}".getBytes(StandardCharsets.US_ASCII);

    /** The methods in the order a command naming several is read (the first one counts). */
    private static final String[] METHODS = {"connect", "subscribe", "unsubscribe", "publish", "history",
        "presence_stats", "presence", "refresh", "send", "rpc", "sub_refresh", "ping"};

    private CentrifugeJsonCodec() {
    }

    @Override
    public String protocol() {
        return PROTOCOL;
    }

    @Override
    public BatchEncoder batchEncoder() {
        return CentrifugeBatchEncoder.INSTANCE;
    }

    @Override
    public WebSocketFrame ping() {
        return new TextWebSocketFrame(Unpooled.wrappedBuffer(PING));
    }

    // ---- decoding -----------------------------------------------------------------------------------------------

    @Override
    public void decode(WebSocketFrame message, Sink sink) {
        if (!(message instanceof TextWebSocketFrame text)) {
            sink.malformed(WebSocketCloseStatus.INVALID_MESSAGE_TYPE.code(), "binary_frame",
                    "binary frames are not supported: this endpoint speaks JSON");
            return;
        }
        if (!ByteBufUtil.isText(text.content(), StandardCharsets.UTF_8)) {
            sink.malformed(WebSocketCloseStatus.INVALID_PAYLOAD_DATA.code(), "invalid_utf8",
                    "invalid UTF-8 in a text message");
            return;
        }
        String s = text.text();
        int start = 0;
        int len = s.length();
        while (start <= len) {
            int nl = s.indexOf('\n', start);
            int end = nl < 0 ? len : nl;
            String line = s.substring(start, end).strip();
            if (!line.isEmpty()) {
                JsonNode node;
                try {
                    node = Json.MAPPER.readTree(line);
                } catch (IOException e) {
                    sink.malformed(DISCONNECT_BAD_REQUEST, "malformed_json", "bad request: malformed JSON");
                    return;
                }
                if (node == null || !node.isObject()) {
                    sink.malformed(DISCONNECT_BAD_REQUEST, "not_an_object",
                            "bad request: a command must be a JSON object");
                    return;
                }
                JsonNode idNode = node.get("id");
                if (idNode != null
                        && !(idNode.isIntegralNumber() && idNode.canConvertToLong() && idNode.asLong() >= 0)) {
                    sink.malformed(DISCONNECT_BAD_REQUEST, "bad_id",
                            "bad request: id (expected: a non-negative integer)");
                    return;
                }
                if (!sink.command(command((ObjectNode) node, idNode == null ? 0 : idNode.asLong()))) {
                    return;
                }
            }
            if (nl < 0) {
                break;
            }
            start = nl + 1;
        }
    }

    private static CentrifugeCommand command(ObjectNode cmd, long id) {
        String method = null;
        for (String m : METHODS) {
            if (cmd.has(m)) {
                method = m;
                break;
            }
        }
        if (method == null) {
            if (id == 0 && cmd.size() == 0) {
                return new CentrifugeCommand.Pong();
            }
            return new CentrifugeCommand.Unknown(id, String.join(",", (Iterable<String>) cmd::fieldNames));
        }
        JsonNode params = cmd.get(method);
        if (!params.isObject()) {
            return new CentrifugeCommand.Invalid(id, method, "bad request: " + method + " (expected: an object)");
        }
        JsonNode p = params;
        return switch (method) {
            case "connect" -> new CentrifugeCommand.Connect(id, p.path("token").asText(""), jsonBytes(p.get("data")),
                    p.path("name").asText(""), p.path("version").asText(""));
            case "subscribe" -> new CentrifugeCommand.Subscribe(id, p.path("channel").asText(null),
                    p.path("token").asText(""), p.path("recover").asBoolean(false), p.path("offset").asLong(0),
                    p.path("epoch").asText(""), p.path("join_leave").asBoolean(false));
            case "unsubscribe" -> new CentrifugeCommand.Unsubscribe(id, p.path("channel").asText(""));
            case "publish" -> new CentrifugeCommand.Publish(id, p.path("channel").asText(null), p.get("data"));
            case "history" -> {
                JsonNode since = p.get("since");
                yield new CentrifugeCommand.History(id, p.path("channel").asText(null), p.path("limit").asInt(0),
                        p.path("reverse").asBoolean(false), since != null && since.isObject()
                                ? new CentrifugeCommand.Since(Math.max(0, since.path("offset").asLong(0)),
                                        since.path("epoch").asText(""))
                                : null);
            }
            case "presence_stats" -> new CentrifugeCommand.PresenceStats(id, p.path("channel").asText(null));
            case "presence" -> new CentrifugeCommand.Presence(id, p.path("channel").asText(null));
            case "refresh" -> new CentrifugeCommand.Refresh(id, p.path("token").asText(""));
            case "sub_refresh" -> new CentrifugeCommand.SubRefresh(id, p.path("channel").asText(null),
                    p.path("token").asText(""));
            case "rpc" -> {
                JsonNode rpcMethod = p.get("method");
                yield rpcMethod != null && !rpcMethod.isNull() && !rpcMethod.isTextual()
                        ? new CentrifugeCommand.Invalid(id, method, "bad request: rpc.method (expected: a string)")
                        : new CentrifugeCommand.Rpc(id, p.path("method").asText(""), jsonBytes(p.get("data")));
            }
            case "send" -> new CentrifugeCommand.Send(id, jsonBytes(p.get("data")));
            case "ping" -> new CentrifugeCommand.Ping(id);
            default -> throw new IllegalStateException("method without a decoder: " + method);
        };
    }

    private static byte[] jsonBytes(JsonNode n) {
        return n == null ? new byte[0] : n.toString().getBytes(StandardCharsets.UTF_8);
    }

    // ---- encoding -----------------------------------------------------------------------------------------------

    @Override
    public WebSocketFrame encode(ByteBufAllocator alloc, CentrifugeReply reply) {
        byte[] bytes;
        try {
            bytes = Json.MAPPER.writeValueAsBytes(tree(reply));
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode reply", e);
        }
        return new TextWebSocketFrame(Unpooled.wrappedBuffer(bytes));
    }

    /** The JSON object of {@code reply}. */
    static ObjectNode tree(CentrifugeReply reply) {
        if (reply instanceof CentrifugeReply.Error e) {
            ObjectNode root = root(e.id());
            ObjectNode err = root.putObject("error");
            err.put("code", e.code());
            err.put("message", e.message());
            if (e.temporary()) {
                err.put("temporary", true);
            }
            return root;
        } else if (reply instanceof CentrifugeReply.Connect c) {
            ObjectNode root = root(c.id());
            ObjectNode r = root.putObject("connect");
            r.put("client", c.client());
            r.put("version", c.version());
            if (c.data() != null) {
                r.putRawValue("data", new RawValue(new String(c.data(), StandardCharsets.UTF_8)));
            }
            r.put("ping", c.pingSeconds());
            r.put("pong", c.pong());
            return root;
        } else if (reply instanceof CentrifugeReply.Refresh c) {
            ObjectNode root = root(c.id());
            ObjectNode r = root.putObject("refresh");
            r.put("client", c.client());
            r.put("version", c.version());
            return root;
        } else if (reply instanceof CentrifugeReply.Subscribe s) {
            ObjectNode root;
            ObjectNode r;
            if (s.id() == CentrifugeReply.Subscribe.PUSH) {
                root = Json.MAPPER.createObjectNode();
                ObjectNode push = root.putObject("push");
                push.put("channel", s.channel());
                r = push.putObject("subscribe");
            } else {
                root = root(s.id());
                r = root.putObject("subscribe");
            }
            subscribeResult(r, s.result());
            return root;
        } else if (reply instanceof CentrifugeReply.Unsubscribe u) {
            return empty(u.id(), "unsubscribe");
        } else if (reply instanceof CentrifugeReply.Publish p) {
            return empty(p.id(), "publish");
        } else if (reply instanceof CentrifugeReply.Ping p) {
            return empty(p.id(), "ping");
        } else if (reply instanceof CentrifugeReply.History h) {
            ObjectNode root = root(h.id());
            ObjectNode r = root.putObject("history");
            publications(r.putArray("publications"), h.publications());
            r.put("epoch", h.epoch());
            r.put("offset", h.offset());
            return root;
        } else if (reply instanceof CentrifugeReply.PresenceStats p) {
            ObjectNode root = root(p.id());
            ObjectNode r = root.putObject("presence_stats");
            r.put("num_clients", p.numClients());
            r.put("num_users", p.numUsers());
            return root;
        } else if (reply instanceof CentrifugeReply.Presence p) {
            ObjectNode root = root(p.id());
            ObjectNode members = root.putObject("presence").putObject("presence");
            for (PresenceMember m : p.members()) {
                clientInfo(members.putObject(m.clientId()), m);
            }
            return root;
        } else if (reply instanceof CentrifugeReply.SubRefresh s) {
            ObjectNode root = root(s.id());
            ObjectNode r = root.putObject("sub_refresh");
            if (s.expires()) {
                r.put("expires", true);
                r.put("ttl", s.ttlSeconds());
            }
            return root;
        } else if (reply instanceof CentrifugeReply.Rpc r) {
            ObjectNode root = root(r.id());
            ObjectNode res = root.putObject("rpc");
            if (r.data() != null && r.data().length > 0) {
                res.putRawValue("data", new RawValue(new String(r.data(), StandardCharsets.UTF_8)));
            }
            return root;
        } else if (reply instanceof CentrifugeReply.UnsubscribePush u) {
            ObjectNode root = push(u.channel());
            ((ObjectNode) root.get("push")).putObject("unsubscribe").put("code", u.code()).put("reason", u.reason());
            return root;
        } else if (reply instanceof CentrifugeReply.JoinPush j) {
            ObjectNode root = push(j.channel());
            clientInfo(((ObjectNode) root.get("push")).putObject("join").putObject("info"), j.info());
            return root;
        } else if (reply instanceof CentrifugeReply.LeavePush l) {
            ObjectNode root = push(l.channel());
            clientInfo(((ObjectNode) root.get("push")).putObject("leave").putObject("info"), l.info());
            return root;
        } else if (reply instanceof CentrifugeReply.MessagePush m) {
            ObjectNode root = push(null);
            ((ObjectNode) root.get("push")).putObject("message")
                    .putRawValue("data", new RawValue(new String(m.data(), StandardCharsets.UTF_8)));
            return root;
        } else if (reply instanceof CentrifugeReply.DisconnectPush d) {
            ObjectNode root = push(null);
            ObjectNode r = ((ObjectNode) root.get("push")).putObject("disconnect");
            r.put("code", d.code());
            r.put("reason", d.reason());
            if (d.reconnect()) {
                r.put("reconnect", true);
            }
            return root;
        } else if (reply instanceof CentrifugeReply.RefreshPush r) {
            ObjectNode root = push(null);
            ObjectNode res = ((ObjectNode) root.get("push")).putObject("refresh");
            if (r.expires()) {
                res.put("expires", true);
                res.put("ttl", r.ttlSeconds());
            }
            return root;

        }
        throw new IllegalArgumentException("no JSON form for " + reply.getClass().getSimpleName());
    }

    private static ObjectNode root(long id) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        if (id != 0) {
            root.put("id", id);
        }
        return root;
    }

    private static ObjectNode empty(long id, String field) {
        ObjectNode root = root(id);
        root.putObject(field);
        return root;
    }

    private static ObjectNode push(String channel) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode push = root.putObject("push");
        if (channel != null) {
            push.put("channel", channel);
        }
        return root;
    }

    private static void clientInfo(ObjectNode info, PresenceMember m) {
        info.put("client", m.clientId());
        info.put("user", m.userId());
        if (m.connInfo() != null) {
            info.putRawValue("conn_info", new RawValue(m.connInfo()));
        }
    }

    /** A subscribe result's fields into {@code r}: a subscribe reply's or push's, or a uni connect's per room. */
    static void subscribeResult(ObjectNode r, CentrifugeReply.SubscribeResult res) {
        if (res.ttlSeconds() > 0) {
            r.put("expires", true);
            r.put("ttl", res.ttlSeconds());
        }
        // every room is recoverable, and so positioned: a continuous stream or the insufficient-state signal
        r.put("recoverable", true);
        r.put("positioned", true);
        r.put("epoch", res.epoch());
        r.put("offset", res.offset());
        if (res.wasRecovering()) {
            r.put("was_recovering", true);
            r.put("recovered", res.recovered());
        }
        if (!res.publications().isEmpty()) {
            publications(r.putArray("publications"), res.publications());
        }
    }

    private static void publications(ArrayNode arr, List<RoomRecord> records) {
        for (RoomRecord rec : records) {
            ObjectNode pub = arr.addObject();
            pub.putRawValue("data", new RawValue(PublicationJson.dataString(rec)));
            pub.put("offset", rec.offset());
            byte[] tags = PublicationTags.of(rec);
            if (tags.length > 0) {
                pub.putRawValue("tags", new RawValue(new String(tags, 8, tags.length - 8, StandardCharsets.UTF_8)));
            }
        }
    }
}
