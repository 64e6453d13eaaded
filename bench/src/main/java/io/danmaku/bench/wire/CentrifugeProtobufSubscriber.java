package io.danmaku.bench.wire;

import io.danmaku.bench.measure.Tally;
import io.danmaku.bench.ws.WsConnection;
import io.danmaku.gateway.protocol.centrifuge.pb.Command;
import io.danmaku.gateway.protocol.centrifuge.pb.ConnectRequest;
import io.danmaku.gateway.protocol.centrifuge.pb.Reply;
import io.danmaku.gateway.protocol.centrifuge.pb.SubscribeRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * A Centrifugo protocol client speaking the Protobuf variant, as the SDKs' Protobuf builds do: it asks for the
 * subprotocol {@code centrifuge-protobuf}, sends a varint-delimited connect and subscribe {@code Command}, answers
 * the server's ping (an empty {@code Reply}, the one byte {@code 0x00}) with an empty {@code Command}, and scans
 * the binary publication pushes for markers. A publication's {@code data} carries the danmaku JSON as bytes, so
 * its text (and marker) is there once per push, unescaped: every marker counts, as in the JSON client.
 */
public final class CentrifugeProtobufSubscriber extends MarkerSubscriberSession {
    private static final byte[] PONG = {0};
    private final String room;
    private final String token;

    public CentrifugeProtobufSubscriber(Fleet fleet, Tally tally, String room, String token) {
        super(fleet, tally);
        this.room = room;
        this.token = token;
    }

    @Override
    public String subprotocol() {
        return "centrifuge-protobuf";
    }

    @Override
    public void onOpen(WsConnection c) {
        super.onOpen(c);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            Command.newBuilder().setId(1).setConnect(ConnectRequest.newBuilder().setToken(token == null ? "" : token))
                    .build().writeDelimitedTo(out);
            Command.newBuilder().setId(2).setSubscribe(SubscribeRequest.newBuilder().setChannel(room)).build()
                    .writeDelimitedTo(out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        c.sendBinary(out.toByteArray());
    }

    @Override
    void onSmallFrame(byte[] bytes, int length) {
        if (length == 1 && bytes[0] == 0) {
            connection.sendBinary(PONG);
            return;
        }
        if (!isReady()) {
            try {
                ByteArrayInputStream in = new ByteArrayInputStream(bytes, 0, length);
                Reply r;
                while ((r = Reply.parseDelimitedFrom(in)) != null) {
                    if (r.hasError()) {
                        fail("centrifuge error: " + r.getError().getCode() + " " + r.getError().getMessage());
                        return;
                    }
                    if (r.getId() == 2 && r.hasSubscribe()) {
                        markReady();
                    }
                }
            } catch (IOException e) {
                fail("not a Protobuf reply: " + e.getMessage());
            }
            return;
        }
        scanSmallFrame(length);
    }
}
