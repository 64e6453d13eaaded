package io.danmaku.bench.load;

import io.danmaku.bench.wire.Fleet;
import io.danmaku.bench.wire.Marker;
import io.danmaku.bench.ws.WsConnection;
import io.danmaku.bench.ws.WsSession;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A posting client of the Centrifugo JSON protocol: connects with its own user's token, then, once
 * {@link #startPosting} is called, publishes marked danmaku to its room at its share of the target rate (the
 * posts due at each 10 ms tick go in one frame, newline-separated), with at most {@code maxInFlight}
 * unanswered. Each reply is matched to its post by id: {@code {"id":N,"publish":{}}} is an accepted post, an
 * error's reason is the first word of its message ({@code rate_limited: …}).
 */
public final class PostingSession implements WsSession {
    private static final int TICK_MILLIS = 10;
    /** Posts of one tick go in frames of at most about this many characters (ASCII: bytes). */
    private static final int MAX_FRAME_CHARS = 32 * 1024;

    private final Fleet fleet;
    private final IngestStats stats;
    private final AtomicLong seqs;
    private final String token;
    private final String room;
    private final String runId;
    private final int maxInFlight;
    private final int ringMask;
    private final long[] sentMicros;
    private final long[] seqOfId;
    private WsConnection connection;
    private boolean ready;
    private boolean done;
    private byte[] frame = new byte[4096];
    private int frameLength;
    private long nextId = 2;
    private long inFlight;
    private long posted;
    private double ratePerSecond;
    private long startNanos;
    private long stopNanos;
    private ScheduledFuture<?> ticker;
    /** Set once the last post due before the stop time was sent (or the session can post no more). */
    private volatile boolean postingDone;

    /** {@code runId} makes client message ids unique across runs (the server drops a repeated id as a duplicate). */
    public PostingSession(Fleet fleet, IngestStats stats, AtomicLong seqs, String token, String room, String runId,
                          int maxInFlight) {
        this.fleet = fleet;
        this.stats = stats;
        this.seqs = seqs;
        this.token = token;
        this.room = room;
        this.runId = runId;
        this.maxInFlight = maxInFlight;
        int ring = Integer.highestOneBit(Math.max(16, maxInFlight * 2 - 1)) << 1;
        this.ringMask = ring - 1;
        this.sentMicros = new long[ring];
        this.seqOfId = new long[ring];
    }

    public long inFlight() {
        return inFlight;
    }

    /** Whether this session sent its last post: the answers to wait for are all counted in {@code sent}. */
    public boolean postingDone() {
        return postingDone || !ready || done;
    }

    /** Posts at {@code ratePerSecond} for {@code seconds} from now; runs on the connection's event loop. */
    public void startPosting(double ratePerSecond, double seconds) {
        if (connection == null) {
            return;
        }
        connection.channel().eventLoop().execute(() -> {
            if (!ready) {
                return;
            }
            this.ratePerSecond = ratePerSecond;
            this.startNanos = System.nanoTime();
            this.stopNanos = startNanos + (long) (seconds * 1e9);
            long phase = java.util.concurrent.ThreadLocalRandom.current().nextLong(TICK_MILLIS);
            ticker = connection.channel().eventLoop().scheduleAtFixedRate(this::tick, phase, TICK_MILLIS,
                    TimeUnit.MILLISECONDS);
        });
    }

    private void tick() {
        long now = System.nanoTime();
        long due = (long) (ratePerSecond * (Math.min(now, stopNanos) - startNanos) / 1e9);
        if (now >= stopNanos && ticker != null) {
            ticker.cancel(false);
        }
        if (due <= posted) {
            if (now >= stopNanos) {
                postingDone = true;
            }
            return;
        }
        StringBuilder sb = new StringBuilder();
        long micros = now / 1000;
        while (posted < due) {
            posted++;
            if (inFlight >= maxInFlight) {
                stats.skippedInFlightCap.increment();
                continue;
            }
            long id = nextId++;
            long seq = seqs.getAndIncrement();
            int slot = (int) (id & ringMask);
            sentMicros[slot] = micros;
            seqOfId[slot] = seq;
            inFlight++;
            stats.sent.increment();
            if (sb.length() > MAX_FRAME_CHARS) {
                // a late tick (GC, busy cores) may owe many posts: stay below the server's frame limit
                // (gateway.ws.max-frame-bytes, 64 KiB by default) or it closes the connection with 1009
                connection.sendText(sb.toString());
                sb.setLength(0);
            }
            if (sb.length() > 0) {
                sb.append('\n');
            }
            sb.append("{\"id\":").append(id).append(",\"publish\":{\"channel\":\"").append(room)
                    .append("\",\"data\":{\"text\":\"").append(Marker.text(seq, 0, micros))
                    .append("\",\"clientMsgId\":\"").append(runId).append('-').append(id).append("\"}}}");
        }
        if (sb.length() > 0) {
            connection.sendText(sb.toString());
        }
        if (now >= stopNanos) {
            postingDone = true;
        }
    }

    @Override
    public void onOpen(WsConnection c) {
        this.connection = c;
        c.sendText("{\"id\":1,\"connect\":{\"token\":\"" + token + "\"}}");
    }

    @Override
    public void onFrameStart(int opcode, long length, boolean fin) {
        frameLength = 0;
    }

    @Override
    public void onPayload(ByteBuf buf, int index, int length) {
        if (frameLength + length > frame.length) {
            frame = java.util.Arrays.copyOf(frame, Math.max(frame.length * 2, frameLength + length));
        }
        buf.getBytes(index, frame, frameLength, length);
        frameLength += length;
    }

    @Override
    public void onFrameEnd() {
        long now = Marker.nowMicros();
        int start = 0;
        for (int i = 0; i <= frameLength; i++) {
            if (i == frameLength || frame[i] == '\n') {
                if (i > start) {
                    onReply(new String(frame, start, i - start, StandardCharsets.UTF_8), now);
                }
                start = i + 1;
            }
        }
    }

    private void onReply(String line, long nowMicros) {
        if (line.equals("{}")) {
            connection.sendText("{}");
            return;
        }
        long id = idOf(line);
        if (id == 1) {
            if (line.contains("\"error\"")) {
                fail("connect refused: " + line);
            } else if (!ready) {
                ready = true;
                fleet.ready.incrementAndGet();
            }
            return;
        }
        if (id < 2 || id >= nextId) {
            return;
        }
        int slot = (int) (id & ringMask);
        inFlight--;
        int err = line.indexOf("\"error\"");
        if (err < 0) {
            stats.accept(seqOfId[slot], nowMicros - sentMicros[slot]);
        } else {
            stats.reject(reason(line));
        }
    }

    private static long idOf(String line) {
        int at = line.indexOf("\"id\":");
        if (at < 0) {
            return -1;
        }
        long v = 0;
        for (int i = at + 5; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c < '0' || c > '9') {
                break;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /** The reason code a rejection's message starts with, else {@code error_<code>}. */
    private static String reason(String line) {
        int m = line.indexOf("\"message\":\"");
        if (m >= 0) {
            int from = m + 11;
            int colon = line.indexOf(':', from);
            int quote = line.indexOf('"', from);
            int end = colon < 0 ? quote : quote < 0 ? colon : Math.min(colon, quote);
            if (end > from && end - from <= 40) {
                String word = line.substring(from, end);
                if (word.matches("[a-z_]+")) {
                    // which limit refused it: rate_limited_user / rate_limited_room
                    if (word.equals("rate_limited")) {
                        int scope = line.indexOf(" rate limit", end);
                        if (scope > end) {
                            String s = line.substring(line.lastIndexOf(' ', scope - 1) + 1, scope);
                            if (s.matches("[a-z]+")) {
                                return word + "_" + s;
                            }
                        }
                    }
                    return word;
                }
            }
        }
        int c = line.indexOf("\"code\":");
        return c < 0 ? "error" : "error_" + idOf(line.substring(c).replace("\"code\":", "\"id\":"));
    }

    private void fail(String reason) {
        if (!ready && !done) {
            done = true;
            fleet.failed.incrementAndGet();
            fleet.firstFailure.compareAndSet(null, reason);
        }
        connection.close();
    }

    @Override
    public void onUpgradeFailed(String reason) {
        if (!ready && !done) {
            done = true;
            fleet.failed.incrementAndGet();
            fleet.firstFailure.compareAndSet(null, "upgrade failed: " + reason);
        }
    }

    @Override
    public void onClosed() {
        if (ticker != null) {
            ticker.cancel(false);
        }
        if (ready && !done) {
            done = true;
            if (!fleet.closing) {
                fleet.disconnects.incrementAndGet();
            }
        }
    }
}
