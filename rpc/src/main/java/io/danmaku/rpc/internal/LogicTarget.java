package io.danmaku.rpc.internal;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the gateway finds logic, parsed from one config string: either a DNS name whose every address is a logic
 * instance ({@code dns:///logic-headless.danmaku.svc:9090}, a Kubernetes headless service), or a static list
 * {@code host:port[,host:port…]} (IPv6 literals in brackets). A missing port means {@code defaultPort}.
 *
 * @param grpcTarget for DNS, the target handed to gRPC (port made explicit); {@code null} for a static list
 * @param addresses for a static list, its entries in order, unresolved (resolved when the channel connects);
 *     empty for DNS
 */
public record LogicTarget(String grpcTarget, List<InetSocketAddress> addresses) {
    public static final String DNS_PREFIX = "dns:";
    private static final String EXPECTED = "host:port[,host:port...] or dns:///name:port";

    public LogicTarget {
        addresses = List.copyOf(addresses);
        if ((grpcTarget == null) == addresses.isEmpty()) {
            throw new IllegalArgumentException("exactly one of grpcTarget and addresses");
        }
    }

    public boolean dns() {
        return grpcTarget != null;
    }

    /**
     * For DNS, the name to resolve and the port of every address found (unresolved). The resolver authority of
     * {@code dns://resolver/name} is not used: names are looked up through the JVM's resolver, as gRPC's own DNS
     * resolver does for addresses.
     *
     * @throws IllegalStateException for a static list
     */
    public InetSocketAddress dnsName() {
        if (!dns()) {
            throw new IllegalStateException("not a DNS target: " + addresses);
        }
        String hostPort = grpcTarget.substring(grpcTarget.indexOf('/', DNS_PREFIX.length() + 2) + 1);
        return hostAndPort(hostPort, "dnsName", grpcTarget, 0);
    }

    /**
     * Parses {@code value}; on error throws {@link IllegalArgumentException} naming {@code key}, the value and the
     * expected forms.
     */
    public static LogicTarget parse(String value, String key, int defaultPort) {
        requireNonNull(key, "key");
        if (value == null) {
            throw invalid(key, null, "missing");
        }
        String target = value.strip();
        if (target.isEmpty()) {
            throw invalid(key, value, "empty");
        }
        return target.regionMatches(true, 0, DNS_PREFIX, 0, DNS_PREFIX.length())
                ? parseDns(target, key, defaultPort)
                : parseList(target, key, defaultPort);
    }

    private static LogicTarget parseDns(String target, String key, int defaultPort) {
        URI uri;
        try {
            uri = new URI(target);
        } catch (URISyntaxException e) {
            throw invalid(key, target, "not a URI: " + e.getReason());
        }
        String path = uri.getRawPath();
        if (uri.isOpaque() || path == null || path.length() < 2 || uri.getRawQuery() != null
                || uri.getRawFragment() != null) {
            throw invalid(key, target, "a DNS target is dns:///name[:port] or dns://resolver/name[:port]");
        }
        InetSocketAddress name = hostAndPort(path.substring(1), key, target, defaultPort);
        String authority = uri.getRawAuthority() == null ? "" : uri.getRawAuthority();
        return new LogicTarget("dns://" + authority + "/" + show(name), List.of());
    }

    private static LogicTarget parseList(String target, String key, int defaultPort) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String entry : target.split(",", -1)) {
            out.add(hostAndPort(entry.strip(), key, target, defaultPort));
        }
        return new LogicTarget(null, out);
    }

    private static InetSocketAddress hostAndPort(String entry, String key, String target, int defaultPort) {
        if (entry.isEmpty()) {
            throw invalid(key, target, "an empty entry");
        }
        String host;
        String port;
        if (entry.startsWith("[")) {
            int close = entry.indexOf(']');
            if (close < 2) {
                throw invalid(key, target, "unclosed or empty [ in \"" + entry + "\"");
            }
            host = entry.substring(1, close);
            String rest = entry.substring(close + 1);
            if (!rest.isEmpty() && !rest.startsWith(":")) {
                throw invalid(key, target, "\"" + entry + "\" has text after ]");
            }
            port = rest.isEmpty() ? null : rest.substring(1);
        } else {
            int colon = entry.lastIndexOf(':');
            if (colon >= 0 && entry.indexOf(':') != colon) {
                throw invalid(key, target, "IPv6 address \"" + entry + "\" not in brackets");
            }
            host = colon < 0 ? entry : entry.substring(0, colon);
            port = colon < 0 ? null : entry.substring(colon + 1);
        }
        if (host.isEmpty() || host.chars().anyMatch(c -> c <= ' ' || c == '/' || c == ',' || c == '@')) {
            throw invalid(key, target, "bad host in \"" + entry + "\"");
        }
        int portNumber = defaultPort;
        if (port != null) {
            try {
                portNumber = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                portNumber = -1;
            }
            if (portNumber < 1 || portNumber > 65535) {
                throw invalid(key, target, "port \"" + port + "\" of \"" + entry + "\" is not 1..65535");
            }
        }
        return InetSocketAddress.createUnresolved(host, portNumber);
    }

    /** {@code host:port}, an IPv6 host in brackets. */
    public static String show(InetSocketAddress address) {
        String host = address.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    private static IllegalArgumentException invalid(String key, String value, String problem) {
        String shown = value == null ? "null" : '"' + value + '"';
        return new IllegalArgumentException(key + ": " + shown + " (" + problem + "; expected: " + EXPECTED + ")");
    }
}
