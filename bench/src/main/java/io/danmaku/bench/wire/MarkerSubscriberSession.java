package io.danmaku.bench.wire;

import io.danmaku.bench.measure.Tally;
import io.netty.buffer.ByteBuf;

/**
 * A subscriber whose frames carry each message's marker once, in plain bytes (Centrifugo JSON and Protobuf, the
 * plain broadcast peers): small frames and the pieces of large ones are scanned for markers as they come.
 */
abstract class MarkerSubscriberSession extends SubscriberSession {
    private final MarkerScanner scanner;

    MarkerSubscriberSession(Fleet fleet, Tally tally) {
        super(fleet, tally);
        this.scanner = new MarkerScanner(tally, false);
    }

    /** Counts the markers of a small frame, now in {@code smallBuf}. */
    final void scanSmallFrame(int length) {
        scanner.reset();
        scanner.scan(smallBuf, 0, length);
        scanner.reset();
    }

    @Override
    final void onLargeFrameStart(int opcode, long length) {
        scanner.reset();
    }

    @Override
    final void onLargePayload(ByteBuf buf, int index, int length) {
        scanner.scan(buf, index, length);
    }

    @Override
    final void onLargeFrameEnd() {
        scanner.reset();
    }
}
