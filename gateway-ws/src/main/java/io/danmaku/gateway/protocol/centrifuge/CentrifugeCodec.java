package io.danmaku.gateway.protocol.centrifuge;

import io.danmaku.gateway.room.BatchEncoder;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * One wire format of the Centrifugo client protocol: turns a client's data message into
 * {@link CentrifugeCommand}s and {@link CentrifugeReply}s into frames. Two exist, as in centrifugal/protocol: JSON
 * ({@link CentrifugeJsonCodec}, text frames, newline-separated) and Protobuf ({@link CentrifugeProtobufCodec},
 * subprotocol {@code centrifuge-protobuf}, binary frames of varint-length-delimited messages). The command logic
 * ({@link CentrifugeHandler}) exists once, above both. Implementations are stateless and thread-safe.
 */
public interface CentrifugeCodec {

    /** Receives the decoded commands of one message, in order. */
    interface Sink {
        /**
         * Handles one command; returns whether to go on with the next one of the message (false once the
         * connection closed).
         */
        boolean command(CentrifugeCommand command);

        /**
         * The message cannot be decoded from here on: the connection closes with {@code closeCode} and
         * {@code reason}; {@code kind} is the metric tag ({@code danmaku.gateway.protocol.errors}). Commands before
         * the bad one were handled.
         */
        void malformed(int closeCode, String kind, String reason);
    }

    /** The metric tag of connections speaking this format ({@code centrifuge}, {@code centrifuge-protobuf}). */
    String protocol();

    /** Decodes one whole data message (fragments joined, inflated); does not release it. */
    void decode(WebSocketFrame message, Sink sink);

    /** A frame holding {@code reply}, owned by the caller. */
    WebSocketFrame encode(ByteBufAllocator alloc, CentrifugeReply reply);

    /** The server's ping: an empty reply ({@code {}} in JSON, a zero-length message in Protobuf). */
    WebSocketFrame ping();

    /** The encoder of a room's publication batches for members speaking this format. */
    BatchEncoder batchEncoder();
}
