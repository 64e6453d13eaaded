package io.danmaku.gateway.pipeline;

import static java.util.Objects.requireNonNull;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How the gateway learns a client's address when proxies stand between them (config keys
 * {@code gateway.proxy-protocol}, {@code gateway.trusted-proxies}, {@code gateway.forwarded-header}). Validated
 * once here, then frozen. The address found is the one the per-address cap counts and logs name.
 *
 * @param proxyProtocol every connection starts with a PROXY protocol header (v1 or v2, as HAProxy, AWS NLB,
 *     Envoy send it) whose source address is the client's; a connection without a valid one is closed. When
 *     {@code trustedProxies} is not empty, only connections from those addresses are accepted at all
 * @param trustedProxies addresses and CIDR ranges ({@code 10.0.0.0/8}, {@code 2001:db8::/32},
 *     {@code 192.0.2.7}) of proxies whose forwarding header is believed; empty = no header is read
 * @param forwardedHeader which header the trusted proxies set: {@code X-Forwarded-For} or RFC 7239's
 *     {@code Forwarded}; the other is ignored (a client could have sent it)
 */
public record ProxyConfig(boolean proxyProtocol, List<String> trustedProxies, ForwardedHeader forwardedHeader) {
    public static final String KEY_PROXY_PROTOCOL = "gateway.proxy-protocol";
    public static final String KEY_TRUSTED_PROXIES = "gateway.trusted-proxies";
    public static final String KEY_FORWARDED_HEADER = "gateway.forwarded-header";

    /** No proxy: the TCP peer is the client (the default). */
    public static final ProxyConfig NONE = new ProxyConfig(false, List.of(), ForwardedHeader.X_FORWARDED_FOR);

    /** The header trusted proxies put the client's address in. */
    public enum ForwardedHeader {
        /** {@code X-Forwarded-For: client, proxy1, proxy2} (nginx, most load balancers and CDNs). */
        X_FORWARDED_FOR("x-forwarded-for"),
        /** {@code Forwarded: for=client, for=proxy1} (RFC 7239). */
        FORWARDED("forwarded");

        private final String configName;

        ForwardedHeader(String configName) {
            this.configName = configName;
        }

        /** Its name in configuration and HTTP (lower case). */
        public String configName() {
            return configName;
        }

        /** @throws IllegalArgumentException naming the key when {@code name} is neither */
        public static ForwardedHeader of(String name) {
            for (ForwardedHeader h : values()) {
                if (h.configName.equals(name.toLowerCase(Locale.ROOT))) {
                    return h;
                }
            }
            throw new IllegalArgumentException(KEY_FORWARDED_HEADER + ": " + name
                    + " (expected: x-forwarded-for or forwarded)");
        }
    }

    public ProxyConfig {
        requireNonNull(trustedProxies, KEY_TRUSTED_PROXIES);
        requireNonNull(forwardedHeader, KEY_FORWARDED_HEADER);
        trustedProxies = List.copyOf(trustedProxies);
        for (String range : trustedProxies) {
            Cidr.parse(range); // fails naming the key
        }
    }

    /** Whether the client's address is not simply the TCP peer's: it comes from a PROXY header or a proxy's. */
    public boolean enabled() {
        return proxyProtocol || !trustedProxies.isEmpty();
    }

    /** The parsed {@link #trustedProxies}. */
    TrustedProxies trusted() {
        List<Cidr> ranges = new ArrayList<>(trustedProxies.size());
        for (String range : trustedProxies) {
            ranges.add(Cidr.parse(range));
        }
        return new TrustedProxies(ranges);
    }

    /** An address range: the first {@code prefixBits} bits of {@code network}. */
    record Cidr(byte[] network, int prefixBits) {
        static Cidr parse(String text) {
            String t = text.trim();
            int slash = t.indexOf('/');
            String address = slash < 0 ? t : t.substring(0, slash);
            byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address); // a literal, never a DNS lookup
            if (bytes == null) {
                throw invalid(text);
            }
            int bits = bytes.length * 8;
            if (slash >= 0) {
                try {
                    bits = Integer.parseInt(t.substring(slash + 1));
                } catch (NumberFormatException e) {
                    throw invalid(text);
                }
                if (bits < 0 || bits > bytes.length * 8) {
                    throw invalid(text);
                }
            }
            return new Cidr(bytes, bits);
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefixBits / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefixBits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xff << (8 - rest) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }

        private static IllegalArgumentException invalid(String text) {
            return new IllegalArgumentException(KEY_TRUSTED_PROXIES + ": " + text
                    + " (expected: an IP address or a CIDR range such as 10.0.0.0/8 or 2001:db8::/32)");
        }
    }

    /** Membership in the trusted ranges. */
    record TrustedProxies(List<Cidr> ranges) {
        boolean isEmpty() {
            return ranges.isEmpty();
        }

        boolean contains(InetAddress address) {
            if (address == null) {
                return false;
            }
            byte[] bytes = address.getAddress();
            for (Cidr c : ranges) {
                if (c.contains(bytes)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** An IP literal as an address, or null when {@code text} is not one (never a DNS lookup). */
    static InetAddress literal(String text) {
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(text);
        if (bytes == null) {
            return null;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            return null; // not reached: the length is 4 or 16
        }
    }
}
