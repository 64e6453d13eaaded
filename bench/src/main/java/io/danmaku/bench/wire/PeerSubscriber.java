package io.danmaku.bench.wire;

import io.danmaku.bench.measure.Tally;
import io.danmaku.bench.ws.WsConnection;
import io.netty.buffer.ByteBuf;

/**
 * A subscriber of a plain broadcast server (the Node {@code ws} peers, Nchan): subscribed once the upgrade
 * succeeded; each text frame holds one message or several separated by newlines, scanned for markers.
 */
public final class PeerSubscriber extends SubscriberSession {
    private final MarkerScanner scanner;

    public PeerSubscriber(Fleet fleet, Tally tally) {
        super(fleet, tally);
        this.scanner = new MarkerScanner(tally, false);
    }

    @Override
    public void onOpen(WsConnection c) {
        super.onOpen(c);
        markReady();
    }

    @Override
    void onSmallFrame(byte[] bytes, int length) {
        scanner.reset();
        scanner.scan(smallBuf, 0, length);
        scanner.reset();
    }

    @Override
    void onLargeFrameStart(int opcode, long length) {
        scanner.reset();
    }

    @Override
    void onLargePayload(ByteBuf buf, int index, int length) {
        scanner.scan(buf, index, length);
    }

    @Override
    void onLargeFrameEnd() {
        scanner.reset();
    }
}
