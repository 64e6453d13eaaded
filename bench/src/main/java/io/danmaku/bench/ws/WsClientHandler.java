package io.danmaku.bench.ws;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * Client side of one WebSocket connection on a raw channel: sends the upgrade request when the channel is
 * active, checks for {@code 101}, then parses frames as a state machine over each read buffer and hands data
 * payload to the {@link WsSession} in place. Pings are answered with pongs, a close frame is echoed and the
 * channel closed. Server frames must not be masked (RFC 6455 §5.1); a masked one closes the connection.
 */
public final class WsClientHandler extends ChannelInboundHandlerAdapter {
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

    public WsClientHandler(URI uri, WsSession session) {
        this.uri = requireNonNull(uri, "uri");
        this.session = requireNonNull(session, "session");
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
                    session.onPayload(in, in.readerIndex(), n);
                    in.skipBytes(n);
                    remaining -= n;
                    if (remaining == 0) {
                        state = State.HEADER;
                        session.onFrameEnd();
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
        session.onFrameStart(opcode, remaining, fin);
        if (remaining == 0) {
            session.onFrameEnd();
        } else {
            state = State.PAYLOAD;
        }
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
        session.onClosed();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
