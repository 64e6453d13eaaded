package io.danmaku.gateway.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.gateway.backend.BackendConfig;
import io.danmaku.gateway.backend.ConnectHeaders;
import io.danmaku.gateway.protocol.centrifuge.UniSession;
import io.danmaku.gateway.protocol.centrifuge.UniSession.ConnectRequest;
import io.danmaku.gateway.protocol.centrifuge.UniSession.SubRequest;
import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.protocol.json.Json;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of the unidirectional transports, as Centrifugo serves them:
 * <ul>
 *   <li>{@code GET /connection/uni_sse?cf_connect=<connect request JSON>} (no parameter: an empty request), or
 *       {@code POST /connection/uni_sse} with the connect request as body → {@code text/event-stream};</li>
 *   <li>{@code POST /connection/uni_http_stream} with the connect request as body → newline-delimited JSON;
 *       {@code OPTIONS} answers a CORS preflight (204).</li>
 * </ul>
 * A connect request that is not JSON, not an object (or {@code null}), or has a field of the wrong type
 * ({@code token}, {@code name} or {@code version} not a string, {@code subs} not an object of objects,
 * {@code offset} not a non-negative integer, …) is answered {@code 400} with an empty body; another method {@code 405}; a body over the HTTP body limit
 * {@code 413} (the aggregator's). An {@code Origin} the gateway does not allow is {@code 403}, as for WebSocket.
 * Otherwise the answer is {@code 200}, chunked, with headers that stop proxies from buffering
 * ({@code X-Accel-Buffering: no}, {@code Cache-Control: private, no-cache, no-store, must-revalidate, max-age=0})
 * and {@code Connection: close} (the connection ends with the stream), and the connection becomes a {@link UniSession}: token problems are told by its disconnect push, as Centrifugo
 * does. The HTTP codec stays (it frames the chunks); the router and the request deadline make way.
 */
final class UniTransports {
    static final String SSE_PATH = "/connection/uni_sse";
    static final String HTTP_STREAM_PATH = "/connection/uni_http_stream";
    /** The query parameter of an SSE connect request (EventSource can only GET). */
    static final String CONNECT_PARAM = "cf_connect";
    private static final Logger log = LoggerFactory.getLogger(UniTransports.class);

    private final GatewayContext ctx;
    private final OriginPolicy origins;

    UniTransports(GatewayContext ctx, OriginPolicy origins) {
        this.ctx = ctx;
        this.origins = origins;
    }

    void serve(ChannelHandlerContext c, FullHttpRequest req, String path) {
        boolean sse = path.equals(SSE_PATH);
        UniSession.Transport transport = sse ? UniSession.Transport.SSE : UniSession.Transport.HTTP_STREAM;
        String origin = req.headers().get(HttpHeaderNames.ORIGIN);
        if (!origins.allows(origin, req.headers().get(HttpHeaderNames.HOST))) {
            ctx.countRefused(Refusal.ORIGIN.tag());
            log.debug("[{}] {} refused: origin {} not allowed", c.channel().id(), transport.tag(), origin);
            empty(c, req, HttpResponseStatus.FORBIDDEN, null);
            return;
        }
        HttpMethod method = req.method();
        String body;
        if (!sse && method.equals(HttpMethod.OPTIONS)) {
            preflight(c, req, origin);
            return;
        }
        if (sse && method.equals(HttpMethod.GET)) {
            List<String> param = new QueryStringDecoder(req.uri()).parameters().get(CONNECT_PARAM);
            body = param == null || param.isEmpty() || param.get(0).isEmpty() ? "{}" : param.get(0);
        } else if (method.equals(HttpMethod.POST)) {
            body = req.content().toString(java.nio.charset.StandardCharsets.UTF_8);
        } else {
            empty(c, req, HttpResponseStatus.METHOD_NOT_ALLOWED, origin);
            return;
        }
        ConnectRequest connect;
        try {
            connect = parse(body);
        } catch (BadRequest e) {
            ctx.countProtocolError(transport.tag(), "bad_connect_request");
            log.debug("[{}] {} refused: {}", c.channel().id(), transport.tag(), e.getMessage());
            empty(c, req, HttpResponseStatus.BAD_REQUEST, origin);
            return;
        }
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        HttpHeaders h = head.headers();
        h.set(HttpHeaderNames.CONTENT_TYPE, sse ? "text/event-stream; charset=utf-8" : "application/x-ndjson")
                .set(HttpHeaderNames.CACHE_CONTROL, "private, no-cache, no-store, must-revalidate, max-age=0")
                .set(HttpHeaderNames.PRAGMA, HttpHeaderValues.NO_CACHE)
                .set(HttpHeaderNames.EXPIRES, "0")
                .set("X-Accel-Buffering", "no")
                // the connection ends with the stream: a client must not pool it for another request
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        cors(h, origin);
        ChannelPipeline p = c.pipeline();
        if (p.get(HandshakeTimeoutHandler.NAME) != null) {
            p.remove(HandshakeTimeoutHandler.NAME); // the stream lives on; pings and the slow rule watch it now
        }
        BackendConfig backend = ctx.config().backend();
        if (backend.connectUrl() != null && !backend.connectHeaders().isEmpty()) {
            connect = connect.withHeaders(ConnectHeaders.pick(req.headers(), backend.connectHeaders()));
        }
        UniSession session = new UniSession(ctx, transport);
        p.addAfter(c.name(), HttpRouterHandler.SESSION, session);
        p.remove(c.handler());
        c.channel().writeAndFlush(head);
        session.connect(connect);
    }

    /** Parses and checks a connect request; every field optional, unknown fields ignored. */
    static ConnectRequest parse(String json) throws BadRequest {
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new BadRequest("connect request: malformed JSON");
        }
        if (n == null || n.isNull()) {
            return new ConnectRequest("", Map.of(), null, "", "", Map.of());
        }
        if (!n.isObject()) {
            throw new BadRequest("connect request (expected: a JSON object)");
        }
        JsonNode token = n.get("token");
        if (token != null && !token.isNull() && !token.isTextual()) {
            throw new BadRequest("token (expected: a string)");
        }
        String name = optionalString(n, "name");
        String version = optionalString(n, "version");
        JsonNode data = n.get("data");
        Map<String, SubRequest> subs = new LinkedHashMap<>();
        JsonNode s = n.get("subs");
        if (s != null && !s.isNull()) {
            if (!s.isObject()) {
                throw new BadRequest("subs (expected: an object of rooms)");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = s.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = e.getValue();
                if (!v.isObject()) {
                    throw new BadRequest("subs." + e.getKey() + " (expected: an object)");
                }
                JsonNode recover = v.get("recover");
                JsonNode offset = v.get("offset");
                JsonNode epoch = v.get("epoch");
                if (recover != null && !recover.isNull() && !recover.isBoolean()) {
                    throw new BadRequest("subs." + e.getKey() + ".recover (expected: a boolean)");
                }
                if (offset != null && !offset.isNull()
                        && !(offset.isIntegralNumber() && offset.canConvertToLong() && offset.asLong() >= 0)) {
                    throw new BadRequest("subs." + e.getKey() + ".offset (expected: a non-negative integer)");
                }
                if (epoch != null && !epoch.isNull() && !epoch.isTextual()) {
                    throw new BadRequest("subs." + e.getKey() + ".epoch (expected: a string)");
                }
                JsonNode joinLeave = e.getValue().get("join_leave");
                if (joinLeave != null && !joinLeave.isNull() && !joinLeave.isBoolean()) {
                    throw new BadRequest("subs." + e.getKey() + ".join_leave (expected: a boolean)");
                }
                subs.put(e.getKey(), new SubRequest(recover != null && recover.asBoolean(),
                        offset == null ? 0 : offset.asLong(), epoch == null || epoch.isNull() ? "" : epoch.asText(),
                        joinLeave != null && joinLeave.asBoolean()));
            }
        }
        return new ConnectRequest(token == null || token.isNull() ? "" : token.asText(), subs,
                data == null || data.isNull() ? null : data, name, version, Map.of());
    }

    /** A string field of the connect request, {@code ""} when absent or null. */
    private static String optionalString(JsonNode n, String field) throws BadRequest {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return "";
        }
        if (!v.isTextual()) {
            throw new BadRequest(field + " (expected: a string)");
        }
        return v.asText();
    }

    private static void preflight(ChannelHandlerContext c, FullHttpRequest req, String origin) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
        res.headers().set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "300")
                .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS");
        String wanted = req.headers().get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS);
        if (wanted != null) {
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, wanted);
        }
        cors(res.headers(), origin);
        finish(c, req, res);
    }

    /** An allowed cross-origin request may read the stream (the origin was checked before). */
    private static void cors(HttpHeaders h, String origin) {
        if (origin != null) {
            h.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin)
                    .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true")
                    .set(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
        }
    }

    private static void empty(ChannelHandlerContext c, FullHttpRequest req, HttpResponseStatus status, String origin) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
        cors(res.headers(), origin);
        finish(c, req, res);
    }

    private static void finish(ChannelHandlerContext c, FullHttpRequest req, FullHttpResponse res) {
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpUtil.setKeepAlive(res, keepAlive);
        var f = c.writeAndFlush(res);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** A connect request the transports refuse with 400; the message names the field (logged at DEBUG). */
    static final class BadRequest extends Exception {
        BadRequest(String message) {
            super(message, null, false, false);
        }
    }
}
