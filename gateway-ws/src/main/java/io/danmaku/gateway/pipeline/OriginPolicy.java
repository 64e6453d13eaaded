package io.danmaku.gateway.pipeline;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which browser pages may open a WebSocket on this gateway. Browsers send the page's origin in {@code Origin};
 * without this check any web site could connect with its visitors' browsers (and their cookies, if a deployment
 * ever used them). Allowed: a request without {@code Origin} (not a browser: SDKs, apps, servers), an origin
 * whose host name is the host of the request's {@code Host} header (any scheme and port: the demo page and a
 * site on the same host), and the configured origins, compared as {@code scheme://host[:port]} ignoring case
 * and a trailing slash; {@code *} allows any. Immutable.
 */
public final class OriginPolicy {
    public static final String ANY = "*";

    private final boolean any;
    private final Set<String> allowed;

    public OriginPolicy(List<String> allowedOrigins) {
        this.any = allowedOrigins.contains(ANY);
        this.allowed = allowedOrigins.stream().map(OriginPolicy::normalise).collect(Collectors.toUnmodifiableSet());
    }

    /**
     * @param origin the request's {@code Origin}, or null when absent
     * @param host the request's {@code Host}, or null when absent
     */
    public boolean allows(String origin, String host) {
        if (origin == null || any) {
            return true;
        }
        String normalised = normalise(origin);
        if (allowed.contains(normalised)) {
            return true;
        }
        String originHost = originHost(normalised);
        return originHost != null && host != null && originHost.equals(hostName(host.trim().toLowerCase(Locale.ROOT)));
    }

    private static String normalise(String origin) {
        String o = origin.trim().toLowerCase(Locale.ROOT);
        return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
    }

    /** The host name of an origin ({@code null} for {@code "null"} and anything that is not a URI with a host). */
    private static String originHost(String origin) {
        try {
            String h = new URI(origin).getHost();
            return h == null ? null : h.toLowerCase(Locale.ROOT);
        } catch (URISyntaxException e) {
            return null;
        }
    }

    /** The host name of a Host header: without the port, an IPv6 literal with its brackets. */
    private static String hostName(String host) {
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end < 0 ? host : host.substring(0, end + 1);
        }
        int colon = host.indexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }
}
