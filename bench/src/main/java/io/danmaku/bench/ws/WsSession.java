package io.danmaku.bench.ws;

import io.netty.buffer.ByteBuf;

/**
 * What a protocol does with one client WebSocket connection. The {@link WsClientHandler} does the upgrade and
 * the framing and calls these methods on the connection's event loop; payload arrives in pieces as it is read,
 * never copied, so a session scans it in place. Control frames (ping, close) are answered by the handler.
 */
public interface WsSession {
    /** The WebSocket subprotocol the handshake asks for ({@code Sec-WebSocket-Protocol}), or null for none. */
    default String subprotocol() {
        return null;
    }

    /** The upgrade succeeded; {@code connection} sends frames from now on. */
    void onOpen(WsConnection connection);

    /**
     * A data frame (opcode 1 text, 2 binary, 0 continuation) of {@code length} payload bytes begins.
     */
    void onFrameStart(int opcode, long length, boolean fin);

    /** The next {@code length} payload bytes of the current frame at {@code buf[index..]}; not to be retained. */
    void onPayload(ByteBuf buf, int index, int length);

    /** The current data frame is complete. */
    void onFrameEnd();

    /**
     * A data frame of {@code wireBytes} (header and payload as they crossed the network, compressed if it was)
     * arrived; called before its payload is handed on.
     */
    default void onWireBytes(long wireBytes) {
    }

    /** The upgrade failed: the handshake answer was not 101, or the connection closed before it. */
    void onUpgradeFailed(String reason);

    /** The connection closed (after or before the upgrade). */
    void onClosed();
}
