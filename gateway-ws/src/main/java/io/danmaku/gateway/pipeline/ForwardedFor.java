package io.danmaku.gateway.pipeline;

import io.danmaku.gateway.pipeline.ProxyConfig.ForwardedHeader;
import io.danmaku.gateway.pipeline.ProxyConfig.TrustedProxies;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The client's address of a request that came through trusted proxies: the hops of the forwarding header, read
 * from the right (the hop the nearest proxy added) while each is a trusted proxy; the first one that is not is
 * the client. Everything left of it was written by the client or its proxies and is not believed, so a client
 * cannot choose its address by sending the header itself. A hop that is not an IP literal ({@code unknown}, an
 * obfuscated {@code _name}, garbage) ends the walk at the last trusted hop: the proxy that forwarded it is the
 * best address known. Never a DNS lookup. Stateless.
 */
final class ForwardedFor {
    /** Trusted hops walked at most (the headers are bounded by the HTTP decoder's 8 KiB anyway). */
    static final int MAX_HOPS = 32;

    private ForwardedFor() {
    }

    /**
     * @param peer the address that sent the request (the TCP peer, or a PROXY header's source)
     * @return the client's address; {@code peer} when it is not trusted or the header is absent
     */
    static InetAddress client(InetAddress peer, HttpHeaders headers, TrustedProxies trusted, ForwardedHeader header) {
        if (!trusted.contains(peer)) {
            return peer;
        }
        List<String> values = headers.getAll(header.configName());
        if (values.isEmpty()) {
            return peer;
        }
        List<String> hops = new ArrayList<>();
        for (String value : values) {
            for (String element : value.split(",")) {
                hops.add(header == ForwardedHeader.FORWARDED ? forParameter(element) : element.trim());
            }
        }
        InetAddress current = peer;
        int read = 0;
        for (int i = hops.size() - 1; i >= 0 && read < MAX_HOPS && trusted.contains(current); i--, read++) {
            InetAddress hop = address(hops.get(i));
            if (hop == null) {
                return current;
            }
            current = hop;
        }
        return current;
    }

    /** The {@code for=} value of one {@code Forwarded} element ({@code for=192.0.2.1;proto=https}), or "". */
    static String forParameter(String element) {
        for (String pair : element.split(";")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).trim().toLowerCase(Locale.ROOT).equals("for")) {
                String value = pair.substring(eq + 1).trim();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                return value;
            }
        }
        return "";
    }

    /**
     * An address hop: {@code 192.0.2.1}, {@code 192.0.2.1:4711}, {@code 2001:db8::1}, {@code [2001:db8::1]} or
     * {@code [2001:db8::1]:4711}; null for anything else.
     */
    static InetAddress address(String hop) {
        String h = hop.trim();
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            if (close < 0) {
                return null;
            }
            String rest = h.substring(close + 1);
            if (!rest.isEmpty() && !rest.matches(":[0-9]{1,5}")) {
                return null;
            }
            return ProxyConfig.literal(h.substring(1, close));
        }
        int colon = h.indexOf(':');
        if (colon > 0 && colon == h.lastIndexOf(':')) { // IPv4 with a port
            if (!h.substring(colon + 1).matches("[0-9]{1,5}")) {
                return null;
            }
            h = h.substring(0, colon);
        }
        return h.isEmpty() ? null : ProxyConfig.literal(h);
    }
}
