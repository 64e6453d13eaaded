package io.danmaku.gateway.protocol.centrifuge;

import static io.danmaku.gateway.protocol.centrifuge.CentrifugeCodes.DISCONNECT_BAD_REQUEST;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.danmaku.gateway.protocol.centrifuge.pb.ClientInfo;
import io.danmaku.gateway.protocol.centrifuge.pb.Command;
import io.danmaku.gateway.protocol.centrifuge.pb.ConnectResult;
import io.danmaku.gateway.protocol.centrifuge.pb.Disconnect;
import io.danmaku.gateway.protocol.centrifuge.pb.HistoryRequest;
import io.danmaku.gateway.protocol.centrifuge.pb.HistoryResult;
import io.danmaku.gateway.protocol.centrifuge.pb.Join;
import io.danmaku.gateway.protocol.centrifuge.pb.Leave;
import io.danmaku.gateway.protocol.centrifuge.pb.Message;
import io.danmaku.gateway.protocol.centrifuge.pb.PingResult;
import io.danmaku.gateway.protocol.centrifuge.pb.PresenceResult;
import io.danmaku.gateway.protocol.centrifuge.pb.PresenceStatsResult;
import io.danmaku.gateway.protocol.centrifuge.pb.Publication;
import io.danmaku.gateway.protocol.centrifuge.pb.PublishResult;
import io.danmaku.gateway.protocol.centrifuge.pb.Push;
import io.danmaku.gateway.protocol.centrifuge.pb.RPCResult;
import io.danmaku.gateway.protocol.centrifuge.pb.Refresh;
import io.danmaku.gateway.protocol.centrifuge.pb.RefreshResult;
import io.danmaku.gateway.protocol.centrifuge.pb.Reply;
import io.danmaku.gateway.protocol.centrifuge.pb.SubRefreshResult;
import io.danmaku.gateway.protocol.centrifuge.pb.Subscribe;
import io.danmaku.gateway.protocol.centrifuge.pb.SubscribeResult;
import io.danmaku.gateway.protocol.centrifuge.pb.Unsubscribe;
import io.danmaku.gateway.protocol.centrifuge.pb.UnsubscribeResult;
import io.danmaku.gateway.room.BatchEncoder;
import io.danmaku.protocol.RoomRecord;
import io.danmaku.protocol.json.Json;
import io.danmaku.protocol.store.PresenceMember;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;

/**
 * The Protobuf wire format (WebSocket subprotocol {@code centrifuge-protobuf}): binary frames, each holding one or
 * more varint-length-delimited {@code Command}s from the client, {@code Reply}s from the server (a push is a
 * {@code Reply} with {@code push} set), schema {@code client.proto} of centrifugal/protocol (copied to
 * {@code src/main/proto/centrifugal}). {@code bytes} fields carry JSON: a publication's {@code data} is the same
 * lean danmaku body the JSON format sends, {@code publish.data} must be a JSON object.
 *
 * <p>Bad input, the same codes as the JSON format: a text frame closes with 1003; a length prefix that is not a
 * varint of at most 5 bytes, a length beyond the end of the message, or bytes that are not a {@code Command} close
 * with 3501; a message over the size limit closes with 1009 (before it gets here). A {@code Command} naming no
 * method this server knows (only unknown fields) is error 104 once connected, as in JSON.
 */
public final class CentrifugeProtobufCodec implements CentrifugeCodec {
    public static final CentrifugeProtobufCodec INSTANCE = new CentrifugeProtobufCodec();
    /** The WebSocket subprotocol the SDKs' Protobuf builds ask for. */
    public static final String SUBPROTOCOL = "centrifuge-protobuf";
    static final String PROTOCOL = "centrifuge-protobuf";
    /** The empty {@code Reply} (length 0): the server's ping. */
    private static final byte[] PING = {0};

    private CentrifugeProtobufCodec() {
    }

    @Override
    public String protocol() {
        return PROTOCOL;
    }

    @Override
    public BatchEncoder batchEncoder() {
        return CentrifugeProtobufBatchEncoder.INSTANCE;
    }

    @Override
    public WebSocketFrame ping() {
        return new BinaryWebSocketFrame(Unpooled.wrappedBuffer(PING));
    }

    // ---- decoding -----------------------------------------------------------------------------------------------

    @Override
    public void decode(WebSocketFrame message, Sink sink) {
        if (!(message instanceof BinaryWebSocketFrame)) {
            sink.malformed(WebSocketCloseStatus.INVALID_MESSAGE_TYPE.code(), "text_frame",
                    "text frames are not supported: this connection speaks " + SUBPROTOCOL);
            return;
        }
        ByteBuf in = message.content();
        while (in.isReadable()) {
            int len = readLength(in);
            if (len == MALFORMED) {
                sink.malformed(DISCONNECT_BAD_REQUEST, "malformed_length",
                        "bad request: malformed length prefix (expected: a varint of at most 5 bytes)");
                return;
            }
            if (len > in.readableBytes()) {
                sink.malformed(DISCONNECT_BAD_REQUEST, "bad_length", "bad request: length prefix " + len
                        + " (expected: at most the " + in.readableBytes() + " bytes left in the message)");
                return;
            }
            Command c;
            try {
                c = Command.parseFrom(in.nioBuffer(in.readerIndex(), len));
            } catch (InvalidProtocolBufferException e) {
                sink.malformed(DISCONNECT_BAD_REQUEST, "malformed_protobuf",
                        "bad request: malformed Protobuf Command");
                return;
            }
            in.skipBytes(len);
            if (!sink.command(command(c))) {
                return;
            }
        }
    }

    private static final int MALFORMED = -1;

    /**
     * Reads a varint32 length prefix: at most 5 bytes, at most {@link Integer#MAX_VALUE}; {@link #MALFORMED} when
     * it is longer, larger or cut off by the end of the message.
     */
    static int readLength(ByteBuf in) {
        long value = 0;
        for (int i = 0; i < 5; i++) {
            if (!in.isReadable()) {
                return MALFORMED;
            }
            int b = in.readByte();
            value |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) {
                return value > Integer.MAX_VALUE ? MALFORMED : (int) value;
            }
        }
        return MALFORMED;
    }

    private static CentrifugeCommand command(Command c) {
        long id = Integer.toUnsignedLong(c.getId());
        if (c.hasConnect()) {
            var connect = c.getConnect();
            return new CentrifugeCommand.Connect(id, connect.getToken(), connect.getData().toByteArray(),
                    connect.getName(), connect.getVersion());
        }
        if (c.hasSubscribe()) {
            var s = c.getSubscribe();
            return new CentrifugeCommand.Subscribe(id, s.getChannel(), s.getToken(), s.getRecover(), s.getOffset(),
                    s.getEpoch(), s.getJoinLeave());
        }
        if (c.hasUnsubscribe()) {
            return new CentrifugeCommand.Unsubscribe(id, c.getUnsubscribe().getChannel());
        }
        if (c.hasPublish()) {
            return new CentrifugeCommand.Publish(id, c.getPublish().getChannel(), json(c.getPublish().getData()));
        }
        if (c.hasPresence()) {
            return new CentrifugeCommand.Presence(id, c.getPresence().getChannel());
        }
        if (c.hasPresenceStats()) {
            return new CentrifugeCommand.PresenceStats(id, c.getPresenceStats().getChannel());
        }
        if (c.hasHistory()) {
            HistoryRequest h = c.getHistory();
            return new CentrifugeCommand.History(id, h.getChannel(), h.getLimit(), h.getReverse(), h.hasSince()
                    ? new CentrifugeCommand.Since(Math.max(0, h.getSince().getOffset()), h.getSince().getEpoch())
                    : null);
        }
        if (c.hasPing()) {
            return new CentrifugeCommand.Ping(id);
        }
        if (c.hasSend()) {
            return new CentrifugeCommand.Send(id, c.getSend().getData().toByteArray());
        }
        if (c.hasRpc()) {
            return new CentrifugeCommand.Rpc(id, c.getRpc().getMethod(), c.getRpc().getData().toByteArray());
        }
        if (c.hasRefresh()) {
            return new CentrifugeCommand.Refresh(id, c.getRefresh().getToken());
        }
        if (c.hasSubRefresh()) {
            return new CentrifugeCommand.SubRefresh(id, c.getSubRefresh().getChannel(),
                    c.getSubRefresh().getToken());
        }
        if (id == 0 && c.getUnknownFields().asMap().isEmpty()) {
            return new CentrifugeCommand.Pong();
        }
        return new CentrifugeCommand.Unknown(id, "field " + c.getUnknownFields().asMap().keySet());
    }

    /** The JSON in {@code bytes}, or null when empty or not JSON. */
    private static JsonNode json(ByteString bytes) {
        if (bytes.isEmpty()) {
            return null;
        }
        try {
            return Json.MAPPER.readTree(bytes.toByteArray());
        } catch (IOException e) {
            return null;
        }
    }

    // ---- encoding -----------------------------------------------------------------------------------------------

    @Override
    public WebSocketFrame encode(ByteBufAllocator alloc, CentrifugeReply reply) {
        Reply r = message(reply);
        int size = r.getSerializedSize();
        byte[] out = new byte[CodedOutputStream.computeUInt32SizeNoTag(size) + size];
        CodedOutputStream cos = CodedOutputStream.newInstance(out);
        try {
            cos.writeUInt32NoTag(size);
            r.writeTo(cos);
            cos.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode reply", e);
        }
        return new BinaryWebSocketFrame(Unpooled.wrappedBuffer(out));
    }

    /** The {@code Reply} message of {@code reply}. */
    static Reply message(CentrifugeReply reply) {
        if (reply instanceof CentrifugeReply.Error e) {
            return reply(e.id()).setError(io.danmaku.gateway.protocol.centrifuge.pb.Error.newBuilder()
                    .setCode(e.code()).setMessage(e.message()).setTemporary(e.temporary())).build();
        } else if (reply instanceof CentrifugeReply.Connect c) {
            ConnectResult.Builder b = ConnectResult.newBuilder().setClient(c.client()).setVersion(c.version())
                    .setPing((int) c.pingSeconds()).setPong(c.pong());
            if (c.data() != null) {
                b.setData(ByteString.copyFrom(c.data()));
            }
            return reply(c.id()).setConnect(b).build();
        } else if (reply instanceof CentrifugeReply.Refresh c) {
            return reply(c.id()).setRefresh(RefreshResult.newBuilder().setClient(c.client())
                    .setVersion(c.version())).build();
        } else if (reply instanceof CentrifugeReply.Subscribe s) {
            CentrifugeReply.SubscribeResult res = s.result();
            if (s.id() == CentrifugeReply.Subscribe.PUSH) {
                Subscribe.Builder b = Subscribe.newBuilder().setRecoverable(true).setPositioned(true).setEpoch(res.epoch())
                        .setOffset(res.offset());
                return Reply.newBuilder().setPush(Push.newBuilder().setChannel(s.channel()).setSubscribe(b)).build();
            }
            SubscribeResult.Builder b = SubscribeResult.newBuilder().setRecoverable(true).setPositioned(true).setEpoch(res.epoch())
                    .setOffset(res.offset());
            if (res.wasRecovering()) {
                b.setWasRecovering(true).setRecovered(res.recovered());
            }
            if (res.ttlSeconds() > 0) {
                b.setExpires(true).setTtl(saturatedInt(res.ttlSeconds()));
            }
            for (RoomRecord rec : res.publications()) {
                b.addPublications(publication(rec));
            }
            return reply(s.id()).setSubscribe(b).build();
        } else if (reply instanceof CentrifugeReply.Unsubscribe u) {
            return reply(u.id()).setUnsubscribe(UnsubscribeResult.getDefaultInstance()).build();
        } else if (reply instanceof CentrifugeReply.Publish p) {
            return reply(p.id()).setPublish(PublishResult.getDefaultInstance()).build();
        } else if (reply instanceof CentrifugeReply.Ping p) {
            return reply(p.id()).setPing(PingResult.getDefaultInstance()).build();
        } else if (reply instanceof CentrifugeReply.History h) {
            HistoryResult.Builder b = HistoryResult.newBuilder().setEpoch(h.epoch()).setOffset(h.offset());
            for (RoomRecord rec : h.publications()) {
                b.addPublications(publication(rec));
            }
            return reply(h.id()).setHistory(b).build();
        } else if (reply instanceof CentrifugeReply.PresenceStats p) {
            return reply(p.id()).setPresenceStats(PresenceStatsResult.newBuilder()
                    .setNumClients(saturatedInt(p.numClients())).setNumUsers(saturatedInt(p.numUsers()))).build();
        } else if (reply instanceof CentrifugeReply.Presence p) {
            PresenceResult.Builder b = PresenceResult.newBuilder();
            for (PresenceMember m : p.members()) {
                b.putPresence(m.clientId(), clientInfo(m));
            }
            return reply(p.id()).setPresence(b).build();
        } else if (reply instanceof CentrifugeReply.SubRefresh s) {
            return reply(s.id()).setSubRefresh(SubRefreshResult.newBuilder().setExpires(s.expires())
                    .setTtl(s.expires() ? saturatedInt(s.ttlSeconds()) : 0)).build();
        } else if (reply instanceof CentrifugeReply.Rpc r) {
            return reply(r.id()).setRpc(RPCResult.newBuilder().setData(bytes(r.data()))).build();
        } else if (reply instanceof CentrifugeReply.UnsubscribePush u) {
            return push(Push.newBuilder().setChannel(u.channel()).setUnsubscribe(Unsubscribe.newBuilder()
                    .setCode(u.code()).setReason(u.reason())));
        } else if (reply instanceof CentrifugeReply.JoinPush j) {
            return push(Push.newBuilder().setChannel(j.channel()).setJoin(Join.newBuilder()
                    .setInfo(clientInfo(j.info()))));
        } else if (reply instanceof CentrifugeReply.LeavePush l) {
            return push(Push.newBuilder().setChannel(l.channel()).setLeave(Leave.newBuilder()
                    .setInfo(clientInfo(l.info()))));
        } else if (reply instanceof CentrifugeReply.MessagePush m) {
            return push(Push.newBuilder().setMessage(Message.newBuilder().setData(bytes(m.data()))));
        } else if (reply instanceof CentrifugeReply.DisconnectPush d) {
            return push(Push.newBuilder().setDisconnect(Disconnect.newBuilder().setCode(d.code())
                    .setReason(d.reason()).setReconnect(d.reconnect())));
        } else if (reply instanceof CentrifugeReply.RefreshPush r) {
            return push(Push.newBuilder().setRefresh(Refresh.newBuilder().setExpires(r.expires())
                    .setTtl(r.expires() ? saturatedInt(r.ttlSeconds()) : 0)));
        }
        throw new IllegalArgumentException("no Protobuf form for " + reply.getClass().getSimpleName());
    }

    private static Reply.Builder reply(long id) {
        return Reply.newBuilder().setId((int) id);
    }

    private static Reply push(Push.Builder push) {
        return Reply.newBuilder().setPush(push).build();
    }

    private static ClientInfo clientInfo(PresenceMember m) {
        ClientInfo.Builder b = ClientInfo.newBuilder().setClient(m.clientId()).setUser(m.userId());
        if (m.connInfo() != null) {
            b.setConnInfo(ByteString.copyFromUtf8(m.connInfo()));
        }
        return b.build();
    }

    /** A stored publication: {@code data} the lean danmaku JSON ({@link PublicationJson}), offset, tags. */
    static Publication publication(RoomRecord rec) {
        ByteBuf data = Unpooled.buffer(PublicationJson.dataLength(rec));
        try {
            PublicationJson.writeData(data, rec);
            return Publication.newBuilder()
                    .setData(ByteString.copyFrom(data.nioBuffer()))
                    .setOffset(rec.offset())
                    .putAllTags(PublicationTags.map(rec))
                    .build();
        } finally {
            data.release();
        }
    }

    private static ByteString bytes(byte[] b) {
        return b == null ? ByteString.EMPTY : ByteString.copyFrom(b);
    }

    private static int saturatedInt(long v) {
        return (int) Math.min(Math.max(v, 0), 0xFFFF_FFFFL);
    }
}
