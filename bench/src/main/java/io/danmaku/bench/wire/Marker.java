package io.danmaku.bench.wire;

/**
 * The measurement marker every published message carries in its text: {@code #<seq>.<lane>.<sentMicros>;}
 * (sequence number of the run, publisher lane, send time in microseconds of {@code System.nanoTime()} of
 * this process, which both publishes and receives). Only ASCII digits and {@code # . ;}, so it passes every
 * server's text checks and survives JSON unescaped.
 */
public final class Marker {
    public static final byte START = '#';

    private Marker() {
    }

    public static String text(long seq, int lane, long sentMicros) {
        return "#" + seq + "." + lane + "." + sentMicros + ";";
    }

    /** The current time in the marker's unit. */
    public static long nowMicros() {
        return System.nanoTime() / 1000;
    }
}
