package io.danmaku.bench.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.bench.measure.Latencies;
import io.danmaku.bench.measure.Ledger;
import io.danmaku.bench.measure.Tally;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MarkerScannerTest {
    private final Ledger ledger = new Ledger(1000, 2);
    private final Tally tally = new Tally(ledger, new Latencies());

    private static ByteBuf ascii(String s) {
        return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void countsEveryMarkerOfACentrifugeBatchEvenWhenSplitAcrossReads() {
        MarkerScanner scanner = new MarkerScanner(tally, false);
        String frame = "{\"push\":{\"pub\":{\"data\":{\"text\":\"" + Marker.text(1, 0, 10) + "\"}}}}\n"
                + "{\"push\":{\"pub\":{\"data\":{\"text\":\"" + Marker.text(2, 1, 10) + "\"}}}}";
        ByteBuf buf = ascii(frame);
        int cut = frame.indexOf("#2.") + 2; // inside the second marker
        scanner.scan(buf, 0, cut);
        scanner.scan(buf, cut, buf.readableBytes() - cut);

        assertThat(tally.received).isEqualTo(2);
        assertThat(tally.distinct(0, 1000)).isEqualTo(2);
        assertThat(tally.duplicates).isZero();
    }

    @Test
    void countsOnlyTheFirstMarkerOfAPacketWhenAskedTo() {
        MarkerScanner scanner = new MarkerScanner(tally, true);
        String text = Marker.text(5, 0, 10);
        ByteBuf packet = ascii("{\"info\":[[\"" + text + "\"],\"" + text + "\"],\"danmaku\":{\"text\":\"" + text + "\"}}");

        scanner.rearm();
        scanner.scan(packet, 0, packet.readableBytes());

        assertThat(tally.received).isEqualTo(1);
        assertThat(tally.duplicates).isZero();
    }

    @Test
    void seesDuplicatesGapsAndOrderPerLane() {
        tally.onMessage(1, 0, 0);
        tally.onMessage(3, 0, 0);
        tally.onMessage(2, 0, 0); // older than 3 on lane 0: out of order
        tally.onMessage(3, 0, 0); // again
        tally.onMessage(4, 1, 0); // another lane

        assertThat(tally.distinct(0, 10)).isEqualTo(4);
        assertThat(tally.distinct(2, 4)).isEqualTo(2);
        assertThat(tally.duplicates).isEqualTo(1);
        assertThat(tally.orderViolations).isEqualTo(1);
    }

    @Test
    void ignoresTextThatOnlyLooksLikeAMarker() {
        MarkerScanner scanner = new MarkerScanner(tally, false);
        ByteBuf buf = ascii("#tag #12 #1.x #1.2.3 " + Marker.text(7, 1, 99));

        scanner.scan(buf, 0, buf.readableBytes());

        assertThat(tally.received).isEqualTo(1);
        assertThat(tally.saw(7)).isTrue();
    }
}
