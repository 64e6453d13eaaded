package io.danmaku.bench.wire;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.Decoder;
import io.danmaku.bench.measure.Tally;
import io.danmaku.bench.ws.WsConnection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A Bilibili live protocol client: auth (op 7) with the room and protover, heartbeats (op 2) every 30 s, and
 * the packets of each binary frame parsed as they stream in: {@code ver 0} op-5 bodies are scanned in place
 * (first marker per packet: a {@code DANMU_MSG} repeats its text), {@code ver 2}/{@code ver 3} bodies are
 * gathered, inflated (zlib) or decoded (brotli) and their inner packets scanned, op 8 must say
 * {@code "code":0}.
 */
public final class BilibiliSubscriber extends SubscriberSession {
    public static final long HEARTBEAT_SECONDS = 30;
    private static final int HEADER = 16;
    private static final int MODE_SCAN = 0;
    private static final int MODE_COLLECT = 1;
    private static final ThreadLocal<Inflater> INFLATER = ThreadLocal.withInitial(Inflater::new);
    private static final ThreadLocal<byte[][]> SCRATCH = ThreadLocal.withInitial(() -> new byte[][] {
            new byte[0], new byte[256 * 1024]});

    private final int roomId;
    private final int protover;
    private final String key;
    private final MarkerScanner scanner;
    private final byte[] header = new byte[HEADER];
    private int headerFill;
    private long bodyRemaining;
    private int ver;
    private int op;
    private int mode;
    private byte[] collected;
    private int collectedLength;
    private ScheduledFuture<?> heartbeat;

    public BilibiliSubscriber(Fleet fleet, Tally tally, int roomId, int protover, String key) {
        super(fleet, tally);
        this.roomId = roomId;
        this.protover = protover;
        this.key = key;
        this.scanner = new MarkerScanner(tally, true);
        if (protover == 3) {
            Brotli4jLoader.ensureAvailability();
        }
    }

    static byte[] packet(int ver, int op, byte[] body) {
        ByteBuf b = Unpooled.buffer(HEADER + body.length);
        b.writeInt(HEADER + body.length).writeShort(HEADER).writeShort(ver).writeInt(op).writeInt(1).writeBytes(body);
        return b.array();
    }

    @Override
    public void onOpen(WsConnection c) {
        super.onOpen(c);
        String auth = "{\"uid\":0,\"roomid\":" + roomId + ",\"protover\":" + protover
                + ",\"platform\":\"web\",\"type\":2" + (key == null ? "" : ",\"key\":\"" + key + "\"") + "}";
        c.sendBinary(packet(1, 7, auth.getBytes(StandardCharsets.UTF_8)));
        long firstDelay = java.util.concurrent.ThreadLocalRandom.current().nextLong(HEARTBEAT_SECONDS * 1000);
        heartbeat = c.channel().eventLoop().scheduleAtFixedRate(
                () -> connection.sendBinary(packet(1, 2, "{}".getBytes(StandardCharsets.US_ASCII))),
                firstDelay, HEARTBEAT_SECONDS * 1000, TimeUnit.MILLISECONDS);
    }

    @Override
    void onSessionClosed() {
        if (heartbeat != null) {
            heartbeat.cancel(false);
        }
    }

    @Override
    void onSmallFrame(byte[] bytes, int length) {
        headerFill = 0;
        feed(smallBuf, 0, length);
    }

    @Override
    void onLargeFrameStart(int opcode, long length) {
        headerFill = 0;
    }

    @Override
    void onLargePayload(ByteBuf buf, int index, int length) {
        feed(buf, index, length);
    }

    @Override
    void onLargeFrameEnd() {
    }

    private void feed(ByteBuf buf, int index, int length) {
        while (length > 0) {
            if (headerFill < HEADER) {
                int n = Math.min(HEADER - headerFill, length);
                buf.getBytes(index, header, headerFill, n);
                headerFill += n;
                index += n;
                length -= n;
                if (headerFill == HEADER) {
                    startPacket();
                }
                continue;
            }
            int n = (int) Math.min(bodyRemaining, length);
            if (mode == MODE_SCAN) {
                scanner.scan(buf, index, n);
            } else {
                buf.getBytes(index, collected, collectedLength, n);
                collectedLength += n;
            }
            index += n;
            length -= n;
            bodyRemaining -= n;
            if (bodyRemaining == 0) {
                endPacket();
            }
        }
    }

    private void startPacket() {
        long packLen = ((header[0] & 0xFFL) << 24) | ((header[1] & 0xFF) << 16) | ((header[2] & 0xFF) << 8)
                | (header[3] & 0xFF);
        ver = ((header[6] & 0xFF) << 8) | (header[7] & 0xFF);
        op = ((header[8] & 0xFF) << 24) | ((header[9] & 0xFF) << 16) | ((header[10] & 0xFF) << 8)
                | (header[11] & 0xFF);
        bodyRemaining = packLen - HEADER;
        if (bodyRemaining < 0 || bodyRemaining > 64L << 20) {
            fail("bad packet length " + packLen);
            headerFill = 0;
            return;
        }
        if (ver == 0) {
            mode = MODE_SCAN;
            scanner.rearm();
        } else {
            mode = MODE_COLLECT;
            collected = new byte[(int) bodyRemaining];
            collectedLength = 0;
        }
        if (bodyRemaining == 0) {
            endPacket();
        }
    }

    private void endPacket() {
        headerFill = 0;
        if (mode == MODE_SCAN) {
            return;
        }
        byte[] body = collected;
        int length = collectedLength;
        collected = null;
        if (ver == 2 || ver == 3) {
            try {
                ByteBuf inner = ver == 2 ? inflate(body, length) : Unpooled.wrappedBuffer(Decoder.decompress(body, 0, length));
                scanPackets(inner);
            } catch (IOException | DataFormatException e) {
                fail("cannot decompress a ver " + ver + " body: " + e);
            }
        } else if (op == 8) {
            String reply = text(body, length);
            if (reply.contains("\"code\":0")) {
                markReady();
            } else {
                fail("auth refused: " + reply);
            }
        }
        // op 3 (heartbeat reply: online count) needs nothing
    }

    private static ByteBuf inflate(byte[] body, int length) throws DataFormatException {
        Inflater inflater = INFLATER.get();
        inflater.reset();
        inflater.setInput(body, 0, length);
        byte[][] scratch = SCRATCH.get();
        byte[] out = scratch[1];
        int n = 0;
        while (!inflater.finished()) {
            if (n == out.length) {
                out = java.util.Arrays.copyOf(out, out.length * 2);
                scratch[1] = out;
            }
            int got = inflater.inflate(out, n, out.length - n);
            if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                break;
            }
            n += got;
        }
        return Unpooled.wrappedBuffer(out, 0, n);
    }

    /** The complete inner packets of a compressed body. */
    private void scanPackets(ByteBuf in) {
        int i = in.readerIndex();
        int end = in.writerIndex();
        while (end - i >= HEADER) {
            int packLen = in.getInt(i);
            int v = in.getUnsignedShort(i + 6);
            if (packLen < HEADER || packLen > end - i) {
                fail("bad inner packet length " + packLen);
                return;
            }
            if (v == 0) {
                scanner.rearm();
                scanner.scan(in, i + HEADER, packLen - HEADER);
                scanner.reset();
            }
            i += packLen;
        }
    }
}
