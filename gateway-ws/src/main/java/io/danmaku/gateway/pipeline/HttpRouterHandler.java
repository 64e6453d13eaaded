package io.danmaku.gateway.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.gateway.auth.DemoTokenIssuer;
import io.danmaku.gateway.backend.BackendConfig;
import io.danmaku.gateway.backend.ConnectHeaders;
import io.danmaku.gateway.compression.PerMessageDeflate;
import io.danmaku.gateway.protocol.bilibili.BilibiliHandler;
import io.danmaku.gateway.protocol.centrifuge.CentrifugeHandler;
import io.danmaku.gateway.protocol.centrifuge.CentrifugeJsonCodec;
import io.danmaku.gateway.protocol.centrifuge.CentrifugeProtobufCodec;
import io.danmaku.gateway.session.GatewayContext;
import io.danmaku.protocol.api.ApiRequest;
import io.danmaku.protocol.api.ApiResponse;
import io.danmaku.protocol.api.HttpApi;
import io.danmaku.protocol.json.Json;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker13;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes each HTTP request of the gateway port:
 * <ul>
 *   <li>{@code GET /connection/websocket} with an upgrade → the Centrifugo protocol: Protobuf when the client asks
 *       for the subprotocol {@code centrifuge-protobuf} (or, as older SDKs do, {@code ?format=protobuf}), JSON
 *       otherwise;</li>
 *   <li>{@code GET /sub} with an upgrade → Bilibili's live binary protocol;</li>
 *   <li>{@code /connection/uni_sse} and {@code /connection/uni_http_stream} → the Centrifugo protocol's
 *       unidirectional transports ({@link UniTransports});</li>
 *   <li>{@code /api/...} → the server API (when this process serves it);</li>
 *   <li>{@code POST /demo/token} → a demo token (when enabled);</li>
 *   <li>{@code GET} of a demo page file; anything else 404.</li>
 * </ul>
 * Stateless, hence shared by all channels.
 */
@ChannelHandler.Sharable
public final class HttpRouterHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    public static final String CENTRIFUGE_PATH = "/connection/websocket";
    public static final String BILIBILI_PATH = "/sub";
    /** The name of the session handler in an upgraded connection's pipeline. */
    public static final String SESSION = "session";
    private static final Logger log = LoggerFactory.getLogger(HttpRouterHandler.class);

    private final GatewayContext ctx;
    private final HttpApi api;
    private final DemoTokenIssuer demoTokens;
    private final StaticFiles files;
    private final WebSocketDecoderConfig decoderConfig;
    private final WebSocketDecoderConfig binaryDecoderConfig;
    private final OriginPolicy origins;
    private final UniTransports uni;

    /**
     * @param api the server API served under {@code /api/}, or null when another process serves it
     * @param demoTokens the demo token issuer, or null when demo tokens are disabled
     */
    public HttpRouterHandler(GatewayContext ctx, HttpApi api, DemoTokenIssuer demoTokens, StaticFiles files) {
        this.ctx = ctx;
        this.api = api;
        this.demoTokens = demoTokens;
        this.files = files;
        this.decoderConfig = WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(ctx.config().maxFramePayloadBytes())
                .allowExtensions(false)
                .allowMaskMismatch(false)
                .closeOnProtocolViolation(true)
                .withUTF8Validator(false) // the JSON protocol checks whole messages (CentrifugeHandler)
                .build();
        this.origins = new OriginPolicy(ctx.config().allowedOrigins());
        this.uni = new UniTransports(ctx, origins);
        this.binaryDecoderConfig = decoderConfig.toBuilder()
                .maxFramePayloadLength(binaryMaxFrameBytes())
                .build();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext c, FullHttpRequest req) {
        if (!req.decoderResult().isSuccess()) {
            // the decoder gave up on this connection's stream (e.g. headers over the limit): answer and close
            write(c, false, HttpResponseStatus.BAD_REQUEST, "text/plain; charset=utf-8",
                    ("bad request: " + req.decoderResult().cause().getMessage()).getBytes(StandardCharsets.UTF_8));
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(req.uri());
        String path = uri.path();
        if (path.equals(CENTRIFUGE_PATH) || path.equals(BILIBILI_PATH)) {
            upgrade(c, req, path, uri);
        } else if (path.equals(UniTransports.SSE_PATH) || path.equals(UniTransports.HTTP_STREAM_PATH)) {
            uni.serve(c, req, path);
        } else if (path.startsWith("/api/")) {
            serveApi(c, req, uri);
        } else if (path.equals("/demo/token")) {
            serveDemoToken(c, req);
        } else {
            serveFile(c, req, path);
        }
    }

    // ---- WebSocket ---------------------------------------------------------------------------------------

    private void upgrade(ChannelHandlerContext c, FullHttpRequest req, String path, QueryStringDecoder uri) {
        if (!req.method().equals(HttpMethod.GET)
                || !req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
            respond(c, req, HttpResponseStatus.BAD_REQUEST, "text/plain; charset=utf-8",
                    "bad request: " + path + " expects a WebSocket upgrade (GET with Upgrade: websocket)");
            return;
        }
        if (!origins.allows(req.headers().get(HttpHeaderNames.ORIGIN), req.headers().get(HttpHeaderNames.HOST))) {
            ctx.countRefused(Refusal.ORIGIN.tag());
            log.debug("[{}] WebSocket refused: origin {} not allowed", c.channel().id(),
                    req.headers().get(HttpHeaderNames.ORIGIN));
            write(c, false, HttpResponseStatus.FORBIDDEN, "text/plain; charset=utf-8",
                    (Refusal.ORIGIN.message() + "\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        String scheme = "ws://";
        String location = scheme + req.headers().get(HttpHeaderNames.HOST, "localhost") + path;
        boolean binary = path.equals(BILIBILI_PATH);
        WebSocketDecoderConfig config = binary ? binaryDecoderConfig : decoderConfig;
        boolean v13 = WebSocketVersion.V13.toHttpHeaderValue()
                .equals(req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION));
        // permessage-deflate: only on version 13 (every current client); the frame decoder then lets RSV bits
        // through and the session checks them (RSV1 on a data message's first frame, nothing else)
        String deflate = v13 && ctx.config().compression().enabled()
                ? PerMessageDeflate.negotiate(req.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS))
                : null;
        if (deflate != null) {
            config = config.toBuilder().allowExtensions(true).build();
        }
        boolean protobuf = !binary && wantsProtobuf(req, uri);
        // the handshaker echoes centrifuge-protobuf when the client asked for it; any other subprotocol is ignored
        // (the connection speaks JSON, as before)
        String subprotocols = binary ? null : CentrifugeProtobufCodec.SUBPROTOCOL;
        WebSocketServerHandshaker handshaker = v13
                ? new SharedEncoderHandshaker(location, subprotocols, config)
                : new WebSocketServerHandshakerFactory(location, subprotocols, config).newHandshaker(req);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(c.channel());
            return;
        }
        // Install the session before the handshake so no WebSocket byte reaches this router. After the handshake
        // the pipeline is Netty's frame encoder and decoder and the session, nothing else: the handshaker replaces
        // the HTTP codec and removes the aggregator, and the session itself reassembles fragmented messages (and
        // the JSON protocol checks UTF-8), so an idle connection holds no further handler objects.
        BackendConfig backend = ctx.config().backend();
        if (!binary && backend.connectUrl() != null && !backend.connectHeaders().isEmpty()) {
            // for the connect proxy (a connect without a token), until the connection is authenticated
            c.channel().attr(ConnectHeaders.KEY).set(ConnectHeaders.pick(req.headers(), backend.connectHeaders()));
        }
        ChannelPipeline p = c.pipeline();
        p.addAfter(c.name(), SESSION, (binary
                ? new BilibiliHandler(ctx).messageLimit(binaryMaxFrameBytes())
                : new CentrifugeHandler(ctx, protobuf ? CentrifugeProtobufCodec.INSTANCE : CentrifugeJsonCodec.INSTANCE))
                .permessageDeflate(deflate != null));
        p.remove(this);
        if (p.get(HandshakeTimeoutHandler.NAME) != null) {
            p.remove(HandshakeTimeoutHandler.NAME); // the session's connect timeout takes over
        }
        HttpHeaders responseHeaders = deflate == null ? null
                : new DefaultHttpHeaders().add(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS, deflate);
        handshaker.handshake(c.channel(), req, responseHeaders, c.channel().newPromise()).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                log.debug("[{}] handshake failed: {}", f.channel().id(), f.cause().toString());
                f.channel().close();
            }
        });
    }

    /**
     * Whether a Centrifugo client asks for the Protobuf format: the subprotocol {@code centrifuge-protobuf} among
     * those it offers (current SDKs), or {@code format=protobuf} in the query (older ones).
     */
    static boolean wantsProtobuf(FullHttpRequest req, QueryStringDecoder uri) {
        for (String offered : req.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL)) {
            for (String p : offered.split(",")) {
                if (p.trim().equals(CentrifugeProtobufCodec.SUBPROTOCOL)) {
                    return true;
                }
            }
        }
        List<String> format = uri.parameters().get("format");
        return format != null && format.contains("protobuf");
    }

    /** Version 13 (every current client) with the one shared frame encoder instead of one per connection. */
    private static final class SharedEncoderHandshaker extends WebSocketServerHandshaker13 {
        SharedEncoderHandshaker(String location, String subprotocols, WebSocketDecoderConfig config) {
            super(location, subprotocols, config);
        }

        @Override
        protected WebSocketFrameEncoder newWebSocketEncoder() {
            return SharedFrameEncoder.INSTANCE;
        }
    }

    /** Bilibili clients send only small packets: a tighter limit than the JSON protocol's. */
    private int binaryMaxFrameBytes() {
        return Math.min(ctx.config().maxFramePayloadBytes(), BilibiliHandler.MAX_CLIENT_FRAME_BYTES);
    }

    // ---- server API ----------------------------------------------------------------------------------------

    private void serveApi(ChannelHandlerContext c, FullHttpRequest req, QueryStringDecoder uri) {
        if (api == null) {
            respondJson(c, req, HttpResponseStatus.NOT_FOUND,
                    "{\"error\":{\"code\":104,\"message\":\"method not found: this process does not serve the server API\"}}");
            return;
        }
        Map<String, String> query = new HashMap<>();
        uri.parameters().forEach((k, v) -> {
            if (!v.isEmpty()) {
                query.put(k, v.get(0));
            }
        });
        Map<String, String> headers = new HashMap<>();
        req.headers().forEach(h -> headers.putIfAbsent(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
        byte[] body = ByteBufUtil.getBytes(req.content());
        ApiRequest apiReq = new ApiRequest(req.method().name(), uri.path(), query, headers, body);
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        api.handle(apiReq).whenComplete((res, err) -> {
            ApiResponse out = err == null ? res : ApiResponse.json(500,
                    "{\"error\":{\"code\":100,\"message\":\"internal error\"}}");
            if (err != null) {
                log.warn("server API request {} failed", uri.path(), err);
            }
            c.executor().execute(() -> write(c, keepAlive, HttpResponseStatus.valueOf(out.status()),
                    out.contentType(), out.body(), out.headers()));
        });
    }

    // ---- demo token -------------------------------------------------------------------------------------------

    private void serveDemoToken(ChannelHandlerContext c, FullHttpRequest req) {
        if (demoTokens == null) {
            respondJson(c, req, HttpResponseStatus.NOT_FOUND,
                    "{\"error\":{\"code\":104,\"message\":\"demo tokens are disabled on this server\"}}");
            return;
        }
        if (!req.method().equals(HttpMethod.POST)) {
            respondJson(c, req, HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "{\"error\":{\"code\":107,\"message\":\"use POST\"}}");
            return;
        }
        String name = null;
        if (req.content().isReadable()) {
            try {
                JsonNode n = Json.MAPPER.readTree(ByteBufUtil.getBytes(req.content()));
                if (n != null && n.isObject() && n.path("name").isTextual()) {
                    name = n.get("name").asText();
                }
            } catch (IOException e) {
                respondJson(c, req, HttpResponseStatus.BAD_REQUEST,
                        "{\"error\":{\"code\":107,\"message\":\"bad request: body (expected: {\\\"name\\\":\\\"...\\\"})\"}}");
                return;
            }
        }
        DemoTokenIssuer.Issued issued = demoTokens.issue(name);
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("token", issued.token());
        ObjectNode user = out.putObject("user");
        user.put("id", issued.userId());
        user.put("name", issued.name());
        respondJson(c, req, HttpResponseStatus.OK, out.toString());
    }

    // ---- demo page ---------------------------------------------------------------------------------------------

    private void serveFile(ChannelHandlerContext c, FullHttpRequest req, String path) {
        StaticFiles.Entry f = files.get(path);
        if (f == null) {
            respond(c, req, HttpResponseStatus.NOT_FOUND, "text/plain; charset=utf-8", "not found: " + path);
            return;
        }
        if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.HEAD)) {
            respond(c, req, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "use GET");
            return;
        }
        write(c, HttpUtil.isKeepAlive(req), HttpResponseStatus.OK, f.contentType(),
                req.method().equals(HttpMethod.HEAD) ? new byte[0] : f.bytes());
    }

    // ---- responses --------------------------------------------------------------------------------------------

    private static void respondJson(ChannelHandlerContext c, FullHttpRequest req, HttpResponseStatus status,
                                    String json) {
        respond(c, req, status, "application/json", json);
    }

    private static void respond(ChannelHandlerContext c, FullHttpRequest req, HttpResponseStatus status,
                                String contentType, String body) {
        write(c, HttpUtil.isKeepAlive(req), status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void write(ChannelHandlerContext c, boolean keepAlive, HttpResponseStatus status,
                              String contentType, byte[] body) {
        write(c, keepAlive, status, contentType, body, Map.of());
    }

    /** {@code extraHeaders} are set as given; they may replace the default {@code Cache-Control: no-cache}. */
    private static void write(ChannelHandlerContext c, boolean keepAlive, HttpResponseStatus status,
                              String contentType, byte[] body, Map<String, String> extraHeaders) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(body));
        res.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        extraHeaders.forEach(res.headers()::set);
        HttpUtil.setKeepAlive(res, keepAlive);
        ChannelFuture f = c.writeAndFlush(res);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
        log.debug("[{}] HTTP connection error: {}", c.channel().id(), cause.toString());
        c.close();
    }

}
