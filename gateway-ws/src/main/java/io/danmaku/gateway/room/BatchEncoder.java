package io.danmaku.gateway.room;

import io.danmaku.protocol.RoomRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.List;

/**
 * Encodes a batch of one room's records into the exact bytes of one server-to-client WebSocket frame
 * (header included, unmasked), shared by every member speaking this wire format. Implementations are
 * stateless and thread-safe.
 */
public interface BatchEncoder {
    /**
     * Returns a new buffer owned by the caller.
     *
     * @param records ascending by offset, all of {@code room}; never empty
     */
    ByteBuf encode(ByteBufAllocator alloc, String room, List<RoomRecord> records);

    /**
     * Whether deflating this format's frames for {@code permessage-deflate} members is worth trying; false for
     * formats whose bodies are compressed already.
     */
    default boolean compressible() {
        return true;
    }
}
