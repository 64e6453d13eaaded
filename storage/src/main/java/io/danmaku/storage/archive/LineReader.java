package io.danmaku.storage.archive;

import java.io.IOException;
import java.io.InputStream;

/**
 * Splits a stream of NDJSON into lines without copying them: after {@link #next()} returned true, the line
 * (without its {@code \n}) is {@code buffer()[offset() .. offset() + length())}, valid until the next call.
 * Reads at most {@code limit} bytes of the stream (the committed part of an open segment). When the data ends
 * without a final {@code \n}, {@link #next()} returns false and {@link #tornTail()} is true: the last line was
 * torn by a crash. Positions count bytes from the start of the stream. Not thread-safe.
 */
final class LineReader {
    private static final int INITIAL_BUFFER = 64 * 1024;

    private final InputStream in;
    private long remaining;
    private byte[] buf = new byte[INITIAL_BUFFER];
    /** Stream position of {@code buf[0]}. */
    private long base;
    private int pos;
    private int end;
    private boolean eof;
    private int lineOffset;
    private int lineLength;
    private boolean tornTail;

    LineReader(InputStream in, long limit) {
        this.in = in;
        this.remaining = limit;
    }

    LineReader(InputStream in) {
        this(in, Long.MAX_VALUE);
    }

    /** Advances to the next complete line; false at the end of the data. */
    boolean next() throws IOException {
        while (true) {
            for (int i = pos; i < end; i++) {
                if (buf[i] == '\n') {
                    lineOffset = pos;
                    lineLength = i - pos;
                    pos = i + 1;
                    return true;
                }
            }
            if (eof || !fill()) {
                tornTail = pos < end;
                return false;
            }
        }
    }

    /** Reads more data behind what is buffered; false when there is none. */
    private boolean fill() throws IOException {
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, end - pos);
            base += pos;
            end -= pos;
            pos = 0;
        }
        if (end == buf.length) {
            byte[] bigger = new byte[buf.length * 2];
            System.arraycopy(buf, 0, bigger, 0, end);
            buf = bigger;
        }
        int want = (int) Math.min(buf.length - end, remaining);
        if (want <= 0) {
            eof = true;
            return false;
        }
        int n = in.read(buf, end, want);
        if (n < 0) {
            eof = true;
            return false;
        }
        end += n;
        remaining -= n;
        return true;
    }

    byte[] buffer() {
        return buf;
    }

    int offset() {
        return lineOffset;
    }

    int length() {
        return lineLength;
    }

    /** Stream position of the first byte of the current line. */
    long linePosition() {
        return base + lineOffset;
    }

    /** Stream position just after the current line's {@code \n}. */
    long lineEnd() {
        return base + lineOffset + lineLength + 1;
    }

    /** After {@link #next()} returned false: whether bytes without a final {@code \n} remained. */
    boolean tornTail() {
        return tornTail;
    }
}
