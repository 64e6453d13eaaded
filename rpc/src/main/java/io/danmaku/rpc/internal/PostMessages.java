package io.danmaku.rpc.internal;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.bus.BusPosition;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.PostResult;
import io.danmaku.protocol.post.RejectReason;
import io.danmaku.protocol.trace.TraceId;
import io.danmaku.rpc.v1.Accepted;
import io.danmaku.rpc.v1.PostReply;
import io.danmaku.rpc.v1.Rejected;
import io.danmaku.rpc.v1.User;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * The mapping between the seam's records ({@link PostRequest}, {@link PostResult}) and their protobuf messages
 * ({@code danmaku/logic.proto}), both ways, field for field: {@code null} stays absent, empty stays empty.
 *
 * <p>A text or {@code clientMsgId} holding an unpaired surrogate (a client can send one as a JSON {@code \ud800}
 * escape) cannot travel as a protobuf string, which is UTF-8 and would turn it into {@code ?}; such a string goes
 * as its UTF-16 code units instead, so logic judges exactly what the client sent (and rejects it). Other strings
 * (room, user) are sent as they are: logic rejects any room id with such a character anyway. The trace id travels
 * as two {@code fixed64} halves, both zero when the post has none.
 */
public final class PostMessages {
    private static final Map<String, RejectReason> REASONS = new HashMap<>();

    static {
        for (RejectReason r : RejectReason.values()) {
            REASONS.put(r.code(), r);
        }
    }

    private PostMessages() {
    }

    public static io.danmaku.rpc.v1.PostRequest toProto(PostRequest request) {
        requireNonNull(request, "request");
        io.danmaku.rpc.v1.PostRequest.Builder b = io.danmaku.rpc.v1.PostRequest.newBuilder().setRoom(request.room());
        if (request.user() != null) {
            b.setUser(User.newBuilder().setId(request.user().id()).setName(request.user().name()));
        }
        if (request.text() != null) {
            if (wellFormed(request.text())) {
                b.setText(request.text());
            } else {
                b.setTextUtf16(utf16(request.text()));
            }
        }
        if (request.color() != null) {
            b.setColor(request.color());
        }
        if (request.mode() != null) {
            b.setMode(request.mode());
        }
        if (request.clientMsgId() != null) {
            if (wellFormed(request.clientMsgId())) {
                b.setClientMsgId(request.clientMsgId());
            } else {
                b.setClientMsgIdUtf16(utf16(request.clientMsgId()));
            }
        }
        if (request.progressMillis() != null) {
            b.setProgressMs(request.progressMillis());
        }
        if (request.traceId() != null) {
            b.setTraceIdHigh(request.traceId().high()).setTraceIdLow(request.traceId().low());
        }
        return b.build();
    }

    /**
     * The request as logic sees it.
     *
     * @throws IllegalArgumentException when a field breaks the seam's invariants (a user with an empty id): the
     *     message names the field
     */
    public static PostRequest fromProto(io.danmaku.rpc.v1.PostRequest p) {
        requireNonNull(p, "p");
        UserRef user = p.hasUser() ? new UserRef(p.getUser().getId(), p.getUser().getName()) : null;
        String text = p.hasText() ? p.getText() : p.hasTextUtf16() ? fromUtf16(p.getTextUtf16()) : null;
        String clientMsgId = p.hasClientMsgId() ? p.getClientMsgId()
                : p.hasClientMsgIdUtf16() ? fromUtf16(p.getClientMsgIdUtf16()) : null;
        return new PostRequest(p.getRoom(), user, text, p.hasColor() ? p.getColor() : null,
                p.hasMode() ? p.getMode() : null, clientMsgId, TraceId.of(p.getTraceIdHigh(), p.getTraceIdLow()),
                p.hasProgressMs() ? p.getProgressMs() : null);
    }

    public static PostReply toProto(PostResult result) {
        requireNonNull(result, "result");
        if (!result.accepted()) {
            return rejected(result.reason().code(), result.message());
        }
        BusPosition position = result.position();
        Accepted.Builder a = Accepted.newBuilder().setId(result.id()).setRoom(position.room())
                .setOffset(position.offset());
        if (position.epoch() != null) {
            a.setEpoch(position.epoch());
        }
        return PostReply.newBuilder().setAccepted(a).build();
    }

    public static PostReply rejected(String reasonCode, String message) {
        return PostReply.newBuilder()
                .setRejected(Rejected.newBuilder().setReason(reasonCode).setMessage(message))
                .build();
    }

    /**
     * The result as the gateway sees it. A reason code this version does not know (a newer logic) becomes
     * {@code bad_request} with logic's message kept; a reply with neither result becomes {@code unavailable}.
     */
    public static PostResult fromProto(PostReply reply) {
        requireNonNull(reply, "reply");
        switch (reply.getResultCase()) {
            case ACCEPTED: {
                Accepted a = reply.getAccepted();
                return PostResult.accepted(a.getId(),
                        new BusPosition(a.getRoom(), a.getOffset(), a.hasEpoch() ? a.getEpoch() : null));
            }
            case REJECTED: {
                Rejected r = reply.getRejected();
                RejectReason reason = REASONS.getOrDefault(r.getReason(), RejectReason.BAD_REQUEST);
                return PostResult.rejected(reason, r.getMessage());
            }
            default:
                return PostResult.rejected(RejectReason.UNAVAILABLE, "logic sent an empty reply");
        }
    }

    /** True when {@code s} has no unpaired surrogate, i.e. it survives UTF-8 unchanged. */
    static boolean wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    private static ByteString utf16(String s) {
        ByteBuffer bytes = ByteBuffer.allocate(s.length() * 2);
        bytes.asCharBuffer().put(s);
        return ByteString.copyFrom(bytes.array());
    }

    private static String fromUtf16(ByteString bytes) {
        return bytes.asReadOnlyByteBuffer().asCharBuffer().toString();
    }
}
