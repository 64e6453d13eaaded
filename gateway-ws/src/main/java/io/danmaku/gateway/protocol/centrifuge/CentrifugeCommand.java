package io.danmaku.gateway.protocol.centrifuge;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One client command of the Centrifugo protocol, whatever wire format it came in ({@link CentrifugeCodec}): the
 * command handler sees only these. {@code id} is the command's id (0 when absent: no reply is matched to it).
 * Strings a client did not send are null (a channel) or empty (a token, an epoch), as the JSON and Protobuf
 * decoders agree.
 */
public sealed interface CentrifugeCommand {
    long id();

    /** The method name, as counted ({@code danmaku.gateway.commands}) and as Centrifugo's JSON spells it. */
    String method();

    /**
     * {@code connect}: the connection token, empty when none (anonymous, or authenticated by the connect proxy);
     * the client's {@code data} as sent (JSON text in the JSON protocol, the raw bytes in Protobuf; empty when
     * none), its {@code name} and {@code version} (empty when none), which only the connect proxy reads.
     */
    record Connect(long id, String token, byte[] data, String name, String version) implements CentrifugeCommand {
        public String method() {
            return "connect";
        }
    }

    /**
     * {@code subscribe}: {@code offset} and {@code epoch} count only with {@code recover}; {@code joinLeave}: the
     * client asks for the room's join and leave pushes.
     */
    record Subscribe(long id, String channel, String token, boolean recover, long offset, String epoch,
                     boolean joinLeave) implements CentrifugeCommand {
        public String method() {
            return "subscribe";
        }
    }

    record Unsubscribe(long id, String channel) implements CentrifugeCommand {
        public String method() {
            return "unsubscribe";
        }
    }

    /**
     * {@code publish}: {@code data} is the JSON the client sent ({@code {"text":…}}); null when absent or, in
     * Protobuf, when the bytes are not JSON.
     */
    record Publish(long id, String channel, JsonNode data) implements CentrifugeCommand {
        public String method() {
            return "publish";
        }
    }

    record Presence(long id, String channel) implements CentrifugeCommand {
        public String method() {
            return "presence";
        }
    }

    record PresenceStats(long id, String channel) implements CentrifugeCommand {
        public String method() {
            return "presence_stats";
        }
    }

    /** {@code history}: {@code since} is null when the client gave no position. */
    record History(long id, String channel, int limit, boolean reverse, Since since) implements CentrifugeCommand {
        public String method() {
            return "history";
        }
    }

    /** A stream position: {@code offset} at least 0, {@code epoch} empty when not given. */
    record Since(long offset, String epoch) {
    }

    /** {@code refresh}: a new connection token. */
    record Refresh(long id, String token) implements CentrifugeCommand {
        public String method() {
            return "refresh";
        }
    }

    /** {@code sub_refresh}: a new subscription token for a subscribed (private) room. */
    record SubRefresh(long id, String channel, String token) implements CentrifugeCommand {
        public String method() {
            return "sub_refresh";
        }
    }

    /** {@code ping}: the client's own ping, answered by an empty ping result. */
    record Ping(long id) implements CentrifugeCommand {
        public String method() {
            return "ping";
        }
    }

    /** {@code rpc}: {@code data} as sent (JSON text in the JSON protocol, the raw bytes in Protobuf). */
    record Rpc(long id, String rpcMethod, byte[] data) implements CentrifugeCommand {
        public String method() {
            return "rpc";
        }
    }

    /** {@code send}: an asynchronous message, never answered. */
    record Send(long id, byte[] data) implements CentrifugeCommand {
        public String method() {
            return "send";
        }
    }

    /** An empty command: the client's pong to the server's ping. */
    record Pong() implements CentrifugeCommand {
        public long id() {
            return 0;
        }

        public String method() {
            return "pong";
        }
    }

    /** A command naming no method this protocol knows; {@code what} lists what it had, for the error message. */
    record Unknown(long id, String what) implements CentrifugeCommand {
        public String method() {
            return "unknown";
        }
    }

    /**
     * A known method whose parameters have the wrong shape (the JSON protocol's {@code "subscribe":5}): answered
     * with error 107 and {@code message}; the connection stays.
     */
    record Invalid(long id, String method, String message) implements CentrifugeCommand {
    }
}
