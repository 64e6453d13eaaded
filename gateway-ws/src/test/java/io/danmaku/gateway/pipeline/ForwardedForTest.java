package io.danmaku.gateway.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.gateway.pipeline.ProxyConfig.ForwardedHeader;
import io.danmaku.gateway.pipeline.ProxyConfig.TrustedProxies;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForwardedForTest {
    private static final TrustedProxies TRUSTED = new ProxyConfig(false,
            List.of("10.0.0.0/8", "192.0.2.128/25", "2001:db8:ff::/48"), ForwardedHeader.X_FORWARDED_FOR).trusted();

    @Test
    void theRightMostAddressThatIsNotATrustedProxyIsTheClient() throws Exception {
        assertThat(xff("10.0.0.1", "198.51.100.1")).isEqualTo(ip("198.51.100.1"));
        assertThat(xff("10.0.0.1", "203.0.113.9, 198.51.100.1, 10.2.3.4, 192.0.2.200")).isEqualTo(ip("198.51.100.1"));
        // two headers are one list, in order
        assertThat(xff("10.0.0.1", "198.51.100.1", "10.9.9.9")).isEqualTo(ip("198.51.100.1"));
        // all trusted: the left-most
        assertThat(xff("10.0.0.1", "10.0.0.2, 10.0.0.3")).isEqualTo(ip("10.0.0.2"));
        // ports and IPv6 forms
        assertThat(xff("10.0.0.1", "198.51.100.1:5000")).isEqualTo(ip("198.51.100.1"));
        assertThat(xff("10.0.0.1", "[2001:db8::7]:443")).isEqualTo(ip("2001:db8::7"));
        assertThat(xff("10.0.0.1", "2001:db8::7, 2001:db8:ff::1")).isEqualTo(ip("2001:db8::7"));
        // 192.0.2.1 is outside 192.0.2.128/25
        assertThat(xff("10.0.0.1", "198.51.100.1, 192.0.2.1")).isEqualTo(ip("192.0.2.1"));
    }

    @Test
    void aPeerThatIsNotTrustedIsTheClientWhateverItSends() throws Exception {
        assertThat(xff("198.51.100.50", "203.0.113.1")).isEqualTo(ip("198.51.100.50"));
        assertThat(xff("192.0.2.1", "203.0.113.1")).isEqualTo(ip("192.0.2.1"));
    }

    @Test
    void aHopThatIsNotAnAddressEndsTheWalkAtTheLastTrustedProxy() throws Exception {
        assertThat(xff("10.0.0.1", "198.51.100.1, unknown")).isEqualTo(ip("10.0.0.1"));
        assertThat(xff("10.0.0.1", "198.51.100.1, proxy.example, 10.0.0.2")).isEqualTo(ip("10.0.0.2"));
        assertThat(xff("10.0.0.1", "")).isEqualTo(ip("10.0.0.1"));
        assertThat(xff("10.0.0.1", "1.2.3.4:port")).isEqualTo(ip("10.0.0.1"));
        assertThat(xff("10.0.0.1", "[2001:db8::7")).isEqualTo(ip("10.0.0.1"));
        // garbage left of the client does not matter
        assertThat(xff("10.0.0.1", "<script>, 198.51.100.1")).isEqualTo(ip("198.51.100.1"));
    }

    @Test
    void theWalkStopsAfterSoManyTrustedHops() throws Exception {
        String many = "198.51.100.1" + ", 10.0.0.9".repeat(ForwardedFor.MAX_HOPS + 5);
        assertThat(xff("10.0.0.1", many)).isEqualTo(ip("10.0.0.9"));
    }

    @Test
    void rfc7239ForParameters() throws Exception {
        HttpHeaders h = new DefaultHttpHeaders()
                .add("Forwarded", "for=198.51.100.1;proto=https, For=\"[2001:db8:cafe::17]:4711\"")
                .add("X-Forwarded-For", "203.0.113.66");
        assertThat(ForwardedFor.client(ip("10.0.0.1"), h, TRUSTED, ForwardedHeader.FORWARDED))
                .isEqualTo(ip("2001:db8:cafe::17"));
        assertThat(ForwardedFor.client(ip("10.0.0.1"), new DefaultHttpHeaders().add("Forwarded",
                "proto=https;for=198.51.100.1;by=10.0.0.1"), TRUSTED, ForwardedHeader.FORWARDED))
                .isEqualTo(ip("198.51.100.1"));
        assertThat(ForwardedFor.client(ip("10.0.0.1"), new DefaultHttpHeaders().add("Forwarded",
                "for=_hidden, for=198.51.100.1"), TRUSTED, ForwardedHeader.FORWARDED)).isEqualTo(ip("198.51.100.1"));
        assertThat(ForwardedFor.client(ip("10.0.0.1"), new DefaultHttpHeaders().add("Forwarded", "for=unknown"),
                TRUSTED, ForwardedHeader.FORWARDED)).isEqualTo(ip("10.0.0.1"));
    }

    @Test
    void rangesAreValidated() throws Exception {
        for (String bad : List.of("10.0.0.0/33", "2001:db8::/129", "10.0.0.0/-1", "proxy.example", "10.0.0.0/8/8", "")) {
            assertThatThrownBy(() -> new ProxyConfig(false, List.of(bad), ForwardedHeader.X_FORWARDED_FOR))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("gateway.trusted-proxies: " + bad);
        }
        TrustedProxies edge = new ProxyConfig(false, List.of("0.0.0.0/0", "192.0.2.5/32"),
                ForwardedHeader.X_FORWARDED_FOR).trusted();
        assertThat(edge.contains(ip("203.0.113.1"))).isTrue();
        assertThat(edge.contains(ip("2001:db8::1"))).as("an IPv4 range never holds an IPv6 address").isFalse();
    }

    private static InetAddress xff(String peer, String... values) throws Exception {
        HttpHeaders h = new DefaultHttpHeaders();
        for (String v : values) {
            h.add("X-Forwarded-For", v);
        }
        return ForwardedFor.client(ip(peer), h, TRUSTED, ForwardedHeader.X_FORWARDED_FOR);
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }
}
