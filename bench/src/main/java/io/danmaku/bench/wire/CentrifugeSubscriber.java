package io.danmaku.bench.wire;

import io.danmaku.bench.measure.Tally;
import io.danmaku.bench.ws.WsConnection;

/**
 * A Centrifugo protocol v2 (JSON) client: connect (with a token when given), subscribe to the room, answer the
 * server's {@code {}} pings, and scan publication pushes for markers. Each push carries its message's text
 * once, so every marker counts.
 */
public final class CentrifugeSubscriber extends MarkerSubscriberSession {
    private final String room;
    private final String token;

    public CentrifugeSubscriber(Fleet fleet, Tally tally, String room, String token) {
        super(fleet, tally);
        this.room = room;
        this.token = token;
    }

    @Override
    public void onOpen(WsConnection c) {
        super.onOpen(c);
        String connect = token == null ? "{\"id\":1,\"connect\":{}}"
                : "{\"id\":1,\"connect\":{\"token\":\"" + token + "\"}}";
        c.sendText(connect + "\n{\"id\":2,\"subscribe\":{\"channel\":\"" + room + "\"}}");
    }

    @Override
    void onSmallFrame(byte[] bytes, int length) {
        if (length == 2 && bytes[0] == '{' && bytes[1] == '}') {
            connection.sendText("{}");
            return;
        }
        if (!isReady()) {
            String text = text(bytes, length);
            if (text.contains("\"error\"")) {
                fail("centrifuge error: " + text);
                return;
            }
            if (text.contains("\"id\":2") && text.contains("\"subscribe\"")) {
                markReady();
            }
            return;
        }
        scanSmallFrame(length);
    }
}
