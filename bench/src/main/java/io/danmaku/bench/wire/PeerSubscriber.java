package io.danmaku.bench.wire;

import io.danmaku.bench.measure.Tally;
import io.danmaku.bench.ws.WsConnection;

/**
 * A subscriber of a plain broadcast server (the Node {@code ws} peers, Nchan): subscribed once the upgrade
 * succeeded; each text frame holds one message or several separated by newlines, scanned for markers.
 */
public final class PeerSubscriber extends MarkerSubscriberSession {

    public PeerSubscriber(Fleet fleet, Tally tally) {
        super(fleet, tally);
    }

    @Override
    public void onOpen(WsConnection c) {
        super.onOpen(c);
        markReady();
    }

    @Override
    void onSmallFrame(byte[] bytes, int length) {
        scanSmallFrame(length);
    }
}
