package io.danmaku.bench.wire;

import io.danmaku.bench.measure.Tally;
import io.danmaku.bench.ws.WsConnection;
import io.danmaku.bench.ws.WsSession;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * Base of the subscriber protocols: readiness and disconnect bookkeeping, small frames gathered whole (replies,
 * pings), large ones streamed to the protocol's scanner.
 */
abstract class SubscriberSession implements WsSession {
    /** Frames up to this size are gathered and given whole to {@link #onSmallFrame}. */
    static final int SMALL_FRAME = 256;

    final Fleet fleet;
    final Tally tally;
    WsConnection connection;
    private boolean ready;
    private boolean done;
    private boolean small;
    private final byte[] smallBytes = new byte[SMALL_FRAME];
    /** {@code smallBytes} as a buffer, for scanning a small frame. */
    final ByteBuf smallBuf = Unpooled.wrappedBuffer(smallBytes);
    private int smallLength;

    SubscriberSession(Fleet fleet, Tally tally) {
        this.fleet = fleet;
        this.tally = tally;
    }

    final void markReady() {
        if (!ready && !done) {
            ready = true;
            tally.active = true;
            fleet.ready.incrementAndGet();
        }
    }

    final void fail(String reason) {
        if (!ready && !done) {
            done = true;
            fleet.fail(reason);
        }
        if (connection != null) {
            connection.close();
        }
    }

    boolean isReady() {
        return ready;
    }

    @Override
    public void onOpen(WsConnection c) {
        this.connection = c;
    }

    @Override
    public final void onFrameStart(int opcode, long length, boolean fin) {
        small = length <= SMALL_FRAME;
        smallLength = 0;
        if (!small) {
            tally.nowMicros = Marker.nowMicros();
            onLargeFrameStart(opcode, length);
        }
    }

    @Override
    public final void onWireBytes(long wireBytes) {
        tally.bytes += wireBytes;
    }

    @Override
    public final void onPayload(ByteBuf buf, int index, int length) {
        if (small) {
            buf.getBytes(index, smallBytes, smallLength, length);
            smallLength += length;
        } else {
            tally.nowMicros = Marker.nowMicros();
            onLargePayload(buf, index, length);
        }
    }

    @Override
    public final void onFrameEnd() {
        if (small) {
            tally.nowMicros = Marker.nowMicros();
            onSmallFrame(smallBytes, smallLength);
        } else {
            onLargeFrameEnd();
        }
    }

    static String text(byte[] bytes, int length) {
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }

    abstract void onSmallFrame(byte[] bytes, int length);

    abstract void onLargeFrameStart(int opcode, long length);

    abstract void onLargePayload(ByteBuf buf, int index, int length);

    abstract void onLargeFrameEnd();

    @Override
    public void onUpgradeFailed(String reason) {
        fail("upgrade failed: " + reason);
    }

    @Override
    public void onClosed() {
        if (ready && !done) {
            done = true;
            if (!fleet.closing) {
                fleet.disconnects.incrementAndGet();
            }
        } else if (!done) {
            fail("closed before it was ready");
        }
        onSessionClosed();
    }

    void onSessionClosed() {
    }
}
