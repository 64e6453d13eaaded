package io.danmaku.gateway.backend;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AttributeKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The headers of a client's HTTP request that the connect proxy forwards ({@code gateway.backend.connect-headers}):
 * taken from the WebSocket upgrade request and kept on the channel (an attribute, so a connection that needs none
 * holds nothing) until the connection is authenticated.
 */
public final class ConnectHeaders {
    /** The upgrade request's forwarded headers, until the connect. */
    public static final AttributeKey<Map<String, String>> KEY = AttributeKey.valueOf("danmaku.connect-headers");

    private ConnectHeaders() {
    }

    /**
     * The headers of {@code request} named by {@code names} (lower case), several values of one joined with
     * {@code ", "} ({@code "; "} for {@code cookie}); empty when it has none of them.
     */
    public static Map<String, String> pick(HttpHeaders request, List<String> names) {
        Map<String, String> out = new HashMap<>();
        for (String name : names) {
            List<String> values = request.getAll(name);
            if (!values.isEmpty()) {
                out.put(name, String.join(name.equals("cookie") ? "; " : ", ", values));
            }
        }
        return out;
    }
}
