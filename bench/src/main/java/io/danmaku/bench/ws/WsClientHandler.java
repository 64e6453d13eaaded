package io.danmaku.bench.ws;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Client side of one WebSocket connection on a raw channel: sends the upgrade request when the channel is
 * active, checks for {@code 101}, then parses frames as a state machine over each read buffer and hands data
 * payload to the {@link WsSession} in place. Pings are answered with pongs, a close frame is echoed and the
 * channel closed. Server frames must not be masked (RFC 6455 §5.1); a masked one closes the connection.
 *
 * <p>With {@code offerDeflate}, the handshake offers {@code permessage-deflate}; when the server accepts it, a
 * message sent compressed (RSV1) is inflated (RFC 7692 §7.2.2) with its event loop's inflater and handed to the
 * session whole, as one frame. Each data frame's bytes as they crossed the network (header and payload,
 * compressed or not) go to {@link WsSession#onWireBytes} first. A server that keeps its compression context
 * between messages gets an inflater per connection.
 */
public final class WsClientHandler extends ChannelInboundHandlerAdapter {
    /** Time spent inflating and messages inflated, over every connection of the process. */
    public static final LongAdder INFLATE_NANOS = new LongAdder();
    public static final LongAdder INFLATED_MESSAGES = new LongAdder();
    private static final byte[] TAIL = {0, 0, (byte) 0xFF, (byte) 0xFF};
    /** One inflater and output buffer per event loop thread (messages never interleave within one call). */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    private static final int MAX_HANDSHAKE_BYTES = 16 * 1024;
    private static final int MAX_CONTROL_PAYLOAD = 125;

    private enum State { HANDSHAKE, HEADER, PAYLOAD, CONTROL, CLOSED }

    private final URI uri;
    private final WsSession session;
    private State state = State.HANDSHAKE;
    private ByteBuf handshake;
    private final byte[] header = new byte[10];
    private int headerLength;
    private int headerNeeded = 2;
    private int opcode;
    private boolean fin;
    private long remaining;
    private final byte[] control = new byte[MAX_CONTROL_PAYLOAD];
    private int controlLength;
    private WsConnection connection;
    private boolean upgradeFailed;
    private final boolean offerDeflate;
    /** The server accepted permessage-deflate; and whether it keeps no context between messages. */
    private boolean deflate;
    private boolean noContextTakeover;
    private Inflater ownInflater;
    /** The message being received is compressed; its opcode; its compressed bytes when split over reads. */
    private boolean compressed;
    private int compressedOpcode;
    private byte[] pending;
    private int pendingLength;

    public WsClientHandler(URI uri, WsSession session) {
        this(uri, session, false);
    }

    public WsClientHandler(URI uri, WsSession session, boolean offerDeflate) {
        this.uri = requireNonNull(uri, "uri");
        this.session = requireNonNull(session, "session");
        this.offerDeflate = offerDeflate;
    }

    private static final class Scratch {
        final Inflater inflater = new Inflater(true);
        byte[] out = new byte[64 * 1024];
        ByteBuf outBuf = Unpooled.wrappedBuffer(out);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            path += "?" + uri.getRawQuery();
        }
        String request = "GET " + path + " HTTP/1.1\r\n"
                + "Host: " + uri.getHost() + ":" + uri.getPort() + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + (offerDeflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "")
                + (session.subprotocol() != null ? "Sec-WebSocket-Protocol: " + session.subprotocol() + "\r\n" : "")
                + "\r\n";
        ctx.writeAndFlush(Unpooled.wrappedBuffer(request.getBytes(StandardCharsets.US_ASCII)), ctx.voidPromise());
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            if (state == State.HANDSHAKE && !readHandshake(ctx, in)) {
                return;
            }
            readFrames(ctx, in);
        } finally {
            in.release();
        }
    }

    /** True once the upgrade is complete (what follows in {@code in} is frames). */
    private boolean readHandshake(ChannelHandlerContext ctx, ByteBuf in) {
        if (handshake == null) {
            handshake = ctx.alloc().heapBuffer(512);
        }
        while (in.isReadable()) {
            handshake.writeByte(in.readByte());
            int n = handshake.writerIndex();
            if (n >= 4 && handshake.getByte(n - 4) == '\r' && handshake.getByte(n - 3) == '\n'
                    && handshake.getByte(n - 2) == '\r' && handshake.getByte(n - 1) == '\n') {
                String head = handshake.toString(StandardCharsets.US_ASCII);
                handshake.release();
                handshake = null;
                int eol = head.indexOf("\r\n");
                String status = eol < 0 ? head : head.substring(0, eol);
                if (!status.startsWith("HTTP/1.1 101")) {
                    state = State.CLOSED;
                    upgradeFailed = true;
                    session.onUpgradeFailed(status);
                    ctx.close();
                    return false;
                }
                for (String line : head.split("\r\n")) {
                    String lower = line.toLowerCase(java.util.Locale.ROOT);
                    if (lower.startsWith("sec-websocket-extensions:") && lower.contains("permessage-deflate")) {
                        deflate = true;
                        noContextTakeover = lower.contains("server_no_context_takeover");
                    }
                }
                state = State.HEADER;
                connection = new WsConnection(ctx.channel());
                session.onOpen(connection);
                return true;
            }
            if (n > MAX_HANDSHAKE_BYTES) {
                state = State.CLOSED;
                upgradeFailed = true;
                session.onUpgradeFailed("handshake answer over " + MAX_HANDSHAKE_BYTES + " bytes");
                ctx.close();
                return false;
            }
        }
        return false;
    }

    private void readFrames(ChannelHandlerContext ctx, ByteBuf in) {
        while (in.isReadable() && state != State.CLOSED) {
            switch (state) {
                case HEADER -> readHeader(ctx, in);
                case PAYLOAD -> {
                    int n = (int) Math.min(remaining, in.readableBytes());
                    if (compressed) {
                        compressedPayload(in, n);
                    } else {
                        session.onPayload(in, in.readerIndex(), n);
                    }
                    in.skipBytes(n);
                    remaining -= n;
                    if (remaining == 0) {
                        state = State.HEADER;
                        if (compressed) {
                            compressedFrameEnd(ctx);
                        } else {
                            session.onFrameEnd();
                        }
                    }
                }
                case CONTROL -> {
                    int n = (int) Math.min(remaining, in.readableBytes());
                    in.readBytes(control, controlLength, n);
                    controlLength += n;
                    remaining -= n;
                    if (remaining == 0) {
                        onControl(ctx);
                    }
                }
                default -> throw new IllegalStateException(state.name());
            }
        }
    }

    private void readHeader(ChannelHandlerContext ctx, ByteBuf in) {
        while (headerLength < headerNeeded && in.isReadable()) {
            header[headerLength++] = in.readByte();
            if (headerLength == 2) {
                if ((header[1] & 0x80) != 0) {
                    state = State.CLOSED;
                    ctx.close();
                    return;
                }
                int len7 = header[1] & 0x7F;
                headerNeeded = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
            }
        }
        if (headerLength < headerNeeded) {
            return;
        }
        fin = (header[0] & 0x80) != 0;
        opcode = header[0] & 0x0F;
        int len7 = header[1] & 0x7F;
        if (len7 == 126) {
            remaining = ((header[2] & 0xFF) << 8) | (header[3] & 0xFF);
        } else if (len7 == 127) {
            long v = 0;
            for (int i = 2; i < 10; i++) {
                v = (v << 8) | (header[i] & 0xFF);
            }
            remaining = v;
        } else {
            remaining = len7;
        }
        headerLength = 0;
        headerNeeded = 2;
        if (opcode >= 8) {
            if (remaining > MAX_CONTROL_PAYLOAD) {
                state = State.CLOSED;
                ctx.close();
                return;
            }
            controlLength = 0;
            state = State.CONTROL;
            if (remaining == 0) {
                onControl(ctx);
            }
            return;
        }
        session.onWireBytes(headerLengthOf(header[1] & 0x7F) + remaining);
        boolean rsv1 = (header[0] & 0x40) != 0;
        if (rsv1 && (!deflate || opcode == 0)) {
            state = State.CLOSED; // RSV1 without the extension, or on a continuation
            ctx.close();
            return;
        }
        if (rsv1 || (compressed && opcode == 0)) {
            if (rsv1) {
                compressed = true;
                compressedOpcode = opcode;
                pendingLength = 0;
            }
            if (remaining > Integer.MAX_VALUE - 16) {
                state = State.CLOSED;
                ctx.close();
                return;
            }
            if (remaining == 0) {
                compressedFrameEnd(ctx);
            } else {
                state = State.PAYLOAD;
            }
            return;
        }
        session.onFrameStart(opcode, remaining, fin);
        if (remaining == 0) {
            session.onFrameEnd();
        } else {
            state = State.PAYLOAD;
        }
    }

    private static int headerLengthOf(int len7) {
        return len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
    }

    /** A piece of a compressed message: kept until the message is whole (it is inflated in one go). */
    private void compressedPayload(ByteBuf in, int n) {
        if (pending == null || pending.length < pendingLength + n) {
            int want = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(pendingLength + remaining, 256));
            pending = pending == null ? new byte[want] : Arrays.copyOf(pending, Math.max(want, pending.length * 2));
        }
        in.getBytes(in.readerIndex(), pending, pendingLength, n);
        pendingLength += n;
    }

    private void compressedFrameEnd(ChannelHandlerContext ctx) {
        if (!fin) {
            return; // more fragments of this message follow
        }
        compressed = false;
        long start = System.nanoTime();
        Scratch sc = SCRATCH.get();
        Inflater inflater = noContextTakeover ? sc.inflater : ownInflater();
        int total = 0;
        try {
            if (noContextTakeover) {
                inflater.reset();
            }
            inflater.setInput(pending, 0, pendingLength);
            total = inflateAll(inflater, sc, total);
            inflater.setInput(TAIL);
            total = inflateAll(inflater, sc, total);
        } catch (DataFormatException e) {
            state = State.CLOSED;
            ctx.close();
            return;
        } finally {
            pendingLength = 0;
            if (pending != null && pending.length > 64 * 1024) {
                pending = null; // a large message's buffer is not kept for the connection's life
            }
            INFLATE_NANOS.add(System.nanoTime() - start);
            INFLATED_MESSAGES.increment();
        }
        session.onFrameStart(compressedOpcode, total, true);
        if (total > 0) {
            session.onPayload(sc.outBuf, 0, total);
        }
        session.onFrameEnd();
    }

    private static int inflateAll(Inflater inflater, Scratch sc, int total) throws DataFormatException {
        while (true) {
            if (total == sc.out.length) {
                sc.out = Arrays.copyOf(sc.out, sc.out.length * 2);
                sc.outBuf = Unpooled.wrappedBuffer(sc.out);
            }
            int got = inflater.inflate(sc.out, total, sc.out.length - total);
            total += got;
            if (got == 0) {
                return total; // it had room to write and wrote nothing: all input is inflated
            }
        }
    }

    private Inflater ownInflater() {
        if (ownInflater == null) {
            ownInflater = new Inflater(true);
        }
        return ownInflater;
    }

    private void onControl(ChannelHandlerContext ctx) {
        state = State.HEADER;
        byte[] payload = java.util.Arrays.copyOf(control, controlLength);
        if (opcode == WsConnection.OP_PING) {
            connection.send(WsConnection.OP_PONG, payload, true);
        } else if (opcode == WsConnection.OP_CLOSE) {
            state = State.CLOSED;
            ctx.writeAndFlush(WsConnection.encode(ctx.channel(), WsConnection.OP_CLOSE, payload))
                    .addListener(f -> ctx.close());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (handshake != null) {
            handshake.release();
            handshake = null;
        }
        if (connection == null && !upgradeFailed) {
            session.onUpgradeFailed("closed before the upgrade");
        }
        state = State.CLOSED;
        if (ownInflater != null) {
            ownInflater.end();
            ownInflater = null;
        }
        pending = null;
        session.onClosed();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
